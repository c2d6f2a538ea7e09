-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Account score of every golden account, as of the as-of date: one row per account and account scoring profile
-- (entity type account in the seeds), with tier, action and top factors (scoring engine macros).
{%- set names = entity_criteria()['account'] %}

with

inputs as (

    select * from {{ ref('int_account__rollup') }}

),

account_criteria as (

    {{ unpivot_criteria('inputs', 'account_id', names['number'], names['text']) }}

),

no_activity as (

    select
        cast(null as {{ dbt.type_string() }}) as entity_id,
        cast(null as {{ dbt.type_string() }}) as activity_type,
        cast(null as {{ dbt.type_int() }}) as days_before_as_of,
        cast(null as {{ dbt.type_int() }}) as activity_count
    where 1 = 0

),

account_contributions as (

    {{ scoring_contributions('account_criteria', 'account') }}

),

account_points as (

    {{ scoring_points('account_criteria', 'no_activity', 'account') }}

),

account_totals as (

    {{ scoring_totals('account_contributions', 'account_points', 'account') }}

),

final as (

    select
        entity_id as account_id,
        profile,
        score as account_score,
        tier,
        recommended_action,
        top_factors
    from account_totals

)

select * from final
