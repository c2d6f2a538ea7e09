-- Customer or lead, and a lead's stage, as of every cut-off: one row per cut-off and golden contact, the columns of
-- int_contact__lifecycle as a build as of that cut-off has them (D12: a customer has a completed order on or before
-- the cut-off, int_predict__order_facts; everyone else is a lead). Opportunities are the versions current at the
-- cut-off (macro pit_versions, the key and version order of stg_crm__opportunities) and follow its contact map; a
-- deal is closed at the cut-off when it closed on or before it (int_opportunities: a deal closed later is still
-- open then). Amounts in the reporting currency at the rate of the deal's creation (int_fx_rates). Past cut-offs are
-- computed here (the contacts of the training sample); the scoring cut-off (the as-of date) is int_contact__lifecycle
-- itself, which a build as of that date computes.
{%- set lifecycle_columns = [
    'contact_id', 'account_id', 'population', 'is_customer', 'lead_stage', 'crm_lifecycle_stage',
    'has_open_opportunity', 'has_won_opportunity', 'open_pipeline_amount', 'created_at', 'first_order_at'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

contacts as (

    select * from {{ ref('int_predict__contacts') }}

),

as_of_lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}

),

order_facts as (

    select
        cutoff_date,
        contact_id,
        first_order_at
    from {{ ref('int_predict__order_facts') }}

),

{% if var('enable_opportunities', true) %}
    staged_opportunities as (

        select * from {{ ref('stg_crm__opportunities') }}

    ),

    identity as (

        select * from {{ ref('int_predict__identity') }}

    ),

    fx as (

        select * from {{ ref('int_fx_rates') }}

    ),

    opportunity_versions as (

        {{ pit_versions(
            'staged_opportunities', ['opportunity_id'], 'loaded_at desc, closed_at desc nulls last, created_at, stage',
            dated_by='created_at'
        ) }}

    ),

    -- int_opportunities per cut-off
    deals as (

        select
            cutoffs.cutoff_date,
            identity.master_contact_id as contact_id,
            coalesce(cast(opportunity_versions.closed_at as date) <= cutoffs.cutoff_date, false) as is_closed,
            coalesce(
                cast(opportunity_versions.closed_at as date) <= cutoffs.cutoff_date and opportunity_versions.is_won,
                false
            ) as is_won,
            {{ reporting_amount('opportunity_versions.amount', 'fx.rate_to_reporting') }} as amount
        from cutoffs
        inner join opportunity_versions
            on {{ pit_is_current('opportunity_versions', 'cutoffs') }}
        inner join identity
            on
                cutoffs.cutoff_date = identity.cutoff_date
                and opportunity_versions.contact_id = identity.contact_id
        left join fx
            on
                opportunity_versions.currency_code = fx.currency_code
                and opportunity_versions.created_at >= fx.valid_from
                and opportunity_versions.created_at < fx.valid_to

    ),

    opportunities as (

        select
            cutoff_date,
            contact_id,
            max(case when not is_closed then 1 else 0 end) as has_open_opportunity,
            max(case when is_won then 1 else 0 end) as has_won_opportunity,
            sum(case when not is_closed then coalesce(amount, 0) else 0 end) as open_pipeline_amount
        from deals
        group by cutoff_date, contact_id

    ),
{% endif %}

combined as (

    select
        contacts.cutoff_date,
        contacts.contact_id,
        contacts.account_id,
        contacts.lifecycle_stage as crm_lifecycle_stage,
        contacts.created_at,
        order_facts.first_order_at,
        order_facts.contact_id is not null as is_customer,
        {% if var('enable_opportunities', true) %}
            coalesce(opportunities.has_open_opportunity, 0) = 1 as has_open_opportunity,
            coalesce(opportunities.has_won_opportunity, 0) = 1 as has_won_opportunity,
            coalesce(opportunities.open_pipeline_amount, 0) as open_pipeline_amount
        {% else %}
            false as has_open_opportunity,
            false as has_won_opportunity,
            0 as open_pipeline_amount
        {% endif %}
    from contacts
    left join order_facts
        on
            contacts.cutoff_date = order_facts.cutoff_date
            and contacts.contact_id = order_facts.contact_id
    {% if var('enable_opportunities', true) %}
        left join opportunities
            on
                contacts.cutoff_date = opportunities.cutoff_date
                and contacts.contact_id = opportunities.contact_id
    {% endif %}

),

final as (

    select
        -- ids
        cutoff_date,
        contact_id,
        account_id,

        -- population
        case when is_customer then 'customer' else 'lead' end as population,
        is_customer,
        {{ lead_stage_expr('is_customer', 'has_open_opportunity', 'crm_lifecycle_stage') }} as lead_stage,
        crm_lifecycle_stage,

        -- opportunities
        has_open_opportunity,
        has_won_opportunity,
        cast(open_pipeline_amount as decimal(18, 2)) as open_pipeline_amount,

        -- timestamps
        created_at,
        first_order_at

    from combined

),

-- the past cut-offs and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ lifecycle_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ lifecycle_columns | join(',\n        ') }}
    from as_of_lifecycle

)

select * from with_scoring_cutoff
