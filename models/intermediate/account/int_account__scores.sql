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

{{ scoring_engine_ctes('account_criteria', 'account', none, 'account') }}

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
