{{ config(enabled=var('enable_opportunities', true)) }}
-- Clean opportunities as of the as-of date: one row per opportunity, attached to the golden contact and account
-- (NULL when the CRM reference is unknown: a deal stays a deal), amounts in the reporting currency. A deal closed
-- after the as-of date is still open as of that date. A deal created before its currency's first rate converts at
-- that first rate whatever var fx_before_first_rate says (a deal is never quarantined for FX); it is flagged and
-- counted as repair fx_rate_extrapolated.
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where dq_status = 'current'

),

contact_identity as (

    select * from {{ ref('int_contacts__identity') }}

),

account_identity as (

    select * from {{ ref('int_accounts__identity') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.raw_row_key,
        contact_identity.master_contact_id as contact_id,
        coalesce(account_identity.master_account_id, contact_identity.account_id) as account_id,

        -- deal as of the as-of date
        case
            when opportunities.closed_at < {{ as_of_cutoff() }} then opportunities.stage
            when opportunities.closed_at is null then coalesce(opportunities.stage, 'open')
            else 'open'
        end as stage_as_of,
        coalesce(opportunities.closed_at < {{ as_of_cutoff() }}, false) as is_closed,
        coalesce(opportunities.closed_at < {{ as_of_cutoff() }} and opportunities.is_won, false) as is_won,

        -- amounts
        opportunities.currency_code,
        opportunities.amount as amount_local,
        {{ reporting_amount('opportunities.amount', 'fx.rate_to_reporting') }} as amount,
        coalesce(opportunities.amount is not null and fx.is_extrapolated, false) as is_fx_rate_extrapolated,

        -- timestamps
        opportunities.created_at,
        case when opportunities.closed_at < {{ as_of_cutoff() }} then opportunities.closed_at end as closed_at

    from opportunities
    left join contact_identity
        on opportunities.contact_id = contact_identity.contact_id
    left join account_identity
        on opportunities.account_id = account_identity.account_id
    left join fx
        on
            opportunities.currency_code = fx.currency_code
            and opportunities.created_at >= fx.valid_from
            and opportunities.created_at < fx.valid_to

)

select * from final
