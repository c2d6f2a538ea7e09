-- Every MQL lead of every build, one as-of date per build: one row per as-of date and lead whose is_mql was true
-- (marts.lead_scores). What activation_triggers compares to find the leads that became MQLs since the previous build
-- (score_history keeps scores and tiers, not the MQL flag). Incremental by as-of date like score_history: a build
-- replaces its own date, never the others, and --full-refresh does not wipe it. After each build a post-hook deletes,
-- at every date, the leads erased (GDPR art. 17) or objecting to profiling (art. 21) as of the as-of date, as from
-- the score history (macro privacy_history_hooks).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
    full_refresh=false,
    indexes=[{'columns': ['as_of_date']}],
    post_hook=privacy_history_hooks()
) }}

with

lead_scores as (

    select * from {{ ref('lead_scores') }}

),

final as (

    select
        -- keys
        cast(as_of_date as date) as as_of_date,
        cast('lead' as {{ dbt.type_string() }}) as entity_type,
        cast(contact_id as {{ dbt.type_string() }}) as entity_id,

        -- flag
        cast(mql_rule as {{ dbt.type_string() }}) as mql_rule

    from lead_scores
    where is_mql

)

select * from final
