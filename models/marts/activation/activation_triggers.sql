-- The trigger log: one row per trigger ever produced, kept across builds (incremental, never fully refreshed), so a
-- trigger is sent once. Triggers, per entity and profile:
-- - entered_tier: the entity moved into its profile's top tier (highest min_score in tier_thresholds);
-- - left_tier: it moved out of the top tier;
-- - dropped_two_tiers: it fell two tiers or more;
-- - new_mql: a lead that is an MQL and was not at the previous build (int_activation__mql_history), on the primary
--   lead profile.
-- Tier changes come from marts.tier_changes, each dated by the later of its two as-of dates (changed_on). A build as
-- of D adds the triggers dated after the previous build's date (the latest first_exported_on before D; D alone for
-- the first build) and on or before D that the log does not hold yet, with first_exported_on D: a rerun of D adds
-- nothing, a later date never sends an earlier trigger again, and a build that failed after writing the history
-- leaves its triggers to the next one. trigger_id is a hash of entity, profile, trigger type and changed_on. After
-- each build a post-hook deletes the triggers of people erased or objecting to profiling (macro
-- privacy_history_hooks, as from the score history).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['trigger_id']}, {'columns': ['first_exported_on']}],
    post_hook=privacy_history_hooks()
) }}
{%- set string = dbt.type_string() %}
{%- set lead_profile = var('lead_primary_profile', 'lead') %}

with

tier_changes as (

    select * from {{ ref('tier_changes') }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

mql_history as (

    select * from {{ ref('int_activation__mql_history') }}

),

score_history as (

    select * from {{ ref('score_history') }}
    where entity_type = 'lead' and profile = '{{ lead_profile }}'

),

-- triggers dated after this date are new to the log (the previous build's as-of date)
window_start as (

    {%- if is_incremental() %}
        select
            coalesce(
                max(first_exported_on),
                {{ dbt.dateadd('day', -1, as_of_date()) }}
            ) as after_date
        from {{ this }}
        where first_exported_on < {{ as_of_date() }}
    {%- else %}
        select {{ dbt.dateadd('day', -1, as_of_date()) }} as after_date
    {%- endif %}

),

tier_ranks as (

    select
        profile,
        tier,
        row_number() over (partition by profile order by min_score desc, tier asc) as tier_rank
    from tiers

),

changes as (

    select
        tier_changes.as_of_date as changed_on,
        tier_changes.entity_type,
        tier_changes.entity_id,
        tier_changes.profile,
        tier_changes.from_tier,
        tier_changes.to_tier,
        tier_changes.score_before,
        tier_changes.score_after,
        tier_changes.moved_factors,
        from_ranks.tier_rank as from_rank,
        to_ranks.tier_rank as to_rank
    from tier_changes
    cross join window_start
    left join tier_ranks as from_ranks
        on
            tier_changes.profile = from_ranks.profile
            and tier_changes.from_tier = from_ranks.tier
    left join tier_ranks as to_ranks
        on
            tier_changes.profile = to_ranks.profile
            and tier_changes.to_tier = to_ranks.tier
    where
        tier_changes.as_of_date > cast(window_start.after_date as date)
        and tier_changes.as_of_date <= {{ as_of_date() }}

),

-- the builds of the MQL history and the one before each
mql_dates as (

    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from (select distinct as_of_date from mql_history) as dates

),

new_mqls as (

    select
        mql_history.as_of_date as changed_on,
        mql_history.entity_id as contact_id,
        mql_dates.previous_as_of_date
    from mql_history
    inner join mql_dates
        on mql_history.as_of_date = mql_dates.as_of_date
    cross join window_start
    left join mql_history as previous_mqls
        on
            mql_dates.previous_as_of_date = previous_mqls.as_of_date
            and mql_history.entity_id = previous_mqls.entity_id
    where
        mql_dates.previous_as_of_date is not null
        and previous_mqls.entity_id is null
        and mql_history.as_of_date > cast(window_start.after_date as date)
        and mql_history.as_of_date <= {{ as_of_date() }}

),

triggers as (

    select
        changed_on,
        'entered_tier' as trigger_type,
        entity_type,
        entity_id,
        profile,
        from_tier,
        to_tier,
        score_before,
        score_after,
        moved_factors
    from changes
    where to_rank = 1 and coalesce(from_rank, 0) <> 1
    union all
    select
        changed_on,
        'left_tier' as trigger_type,
        entity_type,
        entity_id,
        profile,
        from_tier,
        to_tier,
        score_before,
        score_after,
        moved_factors
    from changes
    where from_rank = 1 and coalesce(to_rank, 0) <> 1
    union all
    select
        changed_on,
        'dropped_two_tiers' as trigger_type,
        entity_type,
        entity_id,
        profile,
        from_tier,
        to_tier,
        score_before,
        score_after,
        moved_factors
    from changes
    where to_rank - from_rank >= 2
    union all
    select
        new_mqls.changed_on,
        'new_mql' as trigger_type,
        'lead' as entity_type,
        new_mqls.contact_id as entity_id,
        '{{ lead_profile }}' as profile,
        before_scores.tier as from_tier,
        after_scores.tier as to_tier,
        before_scores.score as score_before,
        after_scores.score as score_after,
        -- the factors that moved, when the lead's tier changed too (tier_changes explains tier changes only)
        lead_changes.moved_factors
    from new_mqls
    left join score_history as before_scores
        on
            new_mqls.previous_as_of_date = before_scores.as_of_date
            and new_mqls.contact_id = before_scores.entity_id
    left join score_history as after_scores
        on
            new_mqls.changed_on = after_scores.as_of_date
            and new_mqls.contact_id = after_scores.entity_id
    left join changes as lead_changes
        on
            new_mqls.changed_on = lead_changes.changed_on
            and new_mqls.contact_id = lead_changes.entity_id
            and lead_changes.entity_type = 'lead'
            and lead_changes.profile = '{{ lead_profile }}'

),

keyed as (

    select
        {{ dbt.hash(
            "entity_type || '|' || entity_id || '|' || profile || '|' || trigger_type || '|' || "
            ~ dbt.cast("changed_on", string)
        ) }} as trigger_id,
        triggers.*
    from triggers

),

final as (

    select
        -- keys
        cast(keyed.trigger_id as {{ string }}) as trigger_id,
        {{ as_of_date() }} as first_exported_on,
        cast(keyed.changed_on as date) as changed_on,
        cast(keyed.trigger_type as {{ string }}) as trigger_type,
        cast(keyed.entity_type as {{ string }}) as entity_type,
        cast(keyed.entity_id as {{ string }}) as entity_id,
        cast(case when keyed.entity_type in ('customer', 'lead') then keyed.entity_id end as {{ string }})
            as contact_id,
        cast(keyed.profile as {{ string }}) as profile,

        -- change
        cast(keyed.from_tier as {{ string }}) as from_tier,
        cast(keyed.to_tier as {{ string }}) as to_tier,
        cast(keyed.score_before as decimal(5, 2)) as score_before,
        cast(keyed.score_after as decimal(5, 2)) as score_after,
        cast(keyed.moved_factors as {{ string }}) as moved_factors

    from keyed
    {%- if is_incremental() %}
        where keyed.trigger_id not in (select logged.trigger_id from {{ this }} as logged)
    {%- endif %}

)

select * from final
