-- Every published score of every build, one as-of date per build: one row per as-of date, scoring profile and
-- entity (customers: every profile of customer_profile_scores; leads: the primary lead profile and lead_fit of
-- lead_scores; accounts: the primary account profile of account_scores). Incremental by as-of date: a build
-- replaces the rows of its own date (delete+insert on as_of_date) and leaves every other date as it was, so a
-- rebuild never duplicates a date and a build for an earlier date (a backtest) inserts it in place. PostgreSQL gets an
-- index on as_of_date (config indexes; other engines ignore it) so that the delete of a date does not scan the
-- history; DuckDB's row groups, each written by one build, already skip by their min/max as-of date. After each
-- build a post-hook deletes, at every date, the rows of people erased (GDPR art. 17) or objecting to profiling
-- (art. 21) as of the as-of date (macro privacy_history_hooks).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
    full_refresh=false,
    indexes=[{'columns': ['as_of_date']}],
    post_hook=privacy_history_hooks()
) }}
{#- audit.erasure_log counts the rows of erased people here before the post-hook deletes them -#}
{%- if var('enable_erasure_requests', true) %}
-- depends_on: {{ ref('erasure_log') }}
{%- endif %}

{%- set lead_profile = var('lead_primary_profile', 'lead') %}
{%- set account_profile = var('account_primary_profile', 'account') %}

with

customer_scores as (

    select * from {{ ref('customer_profile_scores') }}

),

lead_scores as (

    select * from {{ ref('lead_scores') }}

),

account_scores as (

    select * from {{ ref('account_scores') }}

),

scores as (

    select
        as_of_date,
        profile,
        'customer' as entity_type,
        contact_id as entity_id,
        score,
        tier,
        top_factors
    from customer_scores
    union all
    select
        as_of_date,
        '{{ lead_profile }}' as profile,
        'lead' as entity_type,
        contact_id as entity_id,
        lead_score as score,
        tier,
        top_factors
    from lead_scores
    union all
    select
        as_of_date,
        'lead_fit' as profile,
        'lead' as entity_type,
        contact_id as entity_id,
        fit_score as score,
        fit_grade as tier,
        fit_top_factors as top_factors
    from lead_scores
    union all
    select
        as_of_date,
        '{{ account_profile }}' as profile,
        'account' as entity_type,
        account_id as entity_id,
        account_score as score,
        tier,
        top_factors
    from account_scores

),

final as (

    select
        -- keys
        cast(as_of_date as date) as as_of_date,
        cast(profile as {{ dbt.type_string() }}) as profile,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,

        -- score
        cast(score as decimal(5, 2)) as score,
        cast(tier as {{ dbt.type_string() }}) as tier,
        cast(coalesce(top_factors, '') as {{ dbt.type_string() }}) as top_factors

    from scores

)

select * from final
