-- Scored accounts as of the as-of date: one row per golden account (B2B roll-up of its contacts): firmographics
-- and fit, engaged contacts and buying-committee coverage, best and average lead score, open pipeline and won
-- revenue, the account score 0-100 of the primary account profile (var account_primary_profile), tier, action and
-- top factors.
{%- set primary = var('account_primary_profile', 'account') %}

with

rollup as (

    select * from {{ ref('int_account__rollup') }}

),

scores as (

    select * from {{ ref('int_account__scores') }}
    where profile = '{{ primary }}'

),

final as (

    select
        -- ids
        cast(rollup.account_id as {{ dbt.type_string() }}) as account_id,
        {{ as_of_date() }} as as_of_date,

        -- firmographics
        cast(rollup.account_name as {{ dbt.type_string() }}) as account_name,
        cast(rollup.domain as {{ dbt.type_string() }}) as domain,
        cast(rollup.industry as {{ dbt.type_string() }}) as industry,
        cast(rollup.employee_band as {{ dbt.type_string() }}) as employee_band,
        cast(rollup.revenue_band as {{ dbt.type_string() }}) as revenue_band,
        cast(rollup.country_code as {{ dbt.type_string() }}) as country_code,
        cast(rollup.industry_fit as {{ type_double() }}) as industry_fit,
        cast(rollup.employee_band_fit as {{ type_double() }}) as employee_band_fit,
        cast(rollup.revenue_band_fit as {{ type_double() }}) as revenue_band_fit,
        cast(rollup.country_fit as {{ type_double() }}) as country_fit,

        -- contacts
        rollup.contacts,
        rollup.engaged_contacts,
        rollup.functions_engaged,
        rollup.seniorities_engaged,
        rollup.best_lead_score,
        rollup.avg_lead_score,

        -- revenue (reporting currency)
        rollup.open_pipeline_amount,
        rollup.won_deal_amount,
        rollup.order_revenue,
        rollup.won_revenue,

        -- score
        cast(scores.account_score as decimal(18, 2)) as account_score,
        cast(scores.tier as {{ dbt.type_string() }}) as tier,
        cast(scores.recommended_action as {{ dbt.type_string() }}) as recommended_action,
        cast(scores.top_factors as {{ dbt.type_string() }}) as top_factors

    from rollup
    left join scores
        on rollup.account_id = scores.account_id

)

select * from final
