-- Validates the engagement seeds (event_scoring, engagement_settings, engagement_levels) against each other and
-- against event_types. Returns one row per problem: the seed, the offending row and what is wrong. Whole-number
-- columns load as decimals (seeds/engagement/_engagement_seeds.yml), so a fraction is named here, not rounded.
with

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

event_types as (

    select * from {{ ref('event_types') }}

),

engagement_settings as (

    select * from {{ ref('engagement_settings') }}

),

engagement_levels as (

    select * from {{ ref('engagement_levels') }}

),

required_settings as (

    select 'inactivity_days' as setting
    union all
    select 'inactivity_points' as setting
    union all
    select 'scale_points' as setting
    union all
    select 'high_intent_window_days' as setting

),

ordered_levels as (

    select
        engagement_level,
        min_score,
        row_number() over (order by engagement_level) as level_position,
        lag(min_score) over (order by engagement_level) as previous_min_score
    from engagement_levels

),

problems as (

    select
        'event_scoring' as seed_name,
        event_type as row_key,
        'points must not be 0' as problem
    from event_scoring
    where points = 0 or points is null

    union all
    select
        'event_scoring' as seed_name,
        event_type as row_key,
        'half_life_days must be > 0' as problem
    from event_scoring
    where not coalesce(half_life_days > 0, false)

    union all
    select
        'event_scoring' as seed_name,
        event_type as row_key,
        'cap_per_day and cap_points must be > 0' as problem
    from event_scoring
    where not coalesce(cap_per_day > 0 and cap_points > 0, false)

    union all
    select
        'event_scoring' as seed_name,
        event_type as row_key,
        'window_days must be > 0' as problem
    from event_scoring
    where not coalesce(window_days > 0, false)

    union all
    select
        'event_scoring' as seed_name,
        event_type as row_key,
        'half_life_days, cap_per_day and window_days must be whole numbers' as problem
    from event_scoring
    where
        half_life_days <> floor(half_life_days)
        or cap_per_day <> floor(cap_per_day)
        or window_days <> floor(window_days)

    union all
    select
        'event_scoring' as seed_name,
        event_types.event_type as row_key,
        'event type of event_types has no scoring row' as problem
    from event_types
    left join event_scoring
        on event_types.event_type = event_scoring.event_type
    where event_scoring.event_type is null

    union all
    select
        'event_scoring' as seed_name,
        'campaign_response' as row_key,
        'campaign responses have no scoring row' as problem
    from (
        select count(*) as row_count
        from event_scoring
        where event_type = 'campaign_response'
    ) as campaign_rows
    where campaign_rows.row_count = 0

    union all
    select
        'event_scoring' as seed_name,
        event_scoring.event_type as row_key,
        'event_family differs from event_types (' || event_types.event_family || ')' as problem
    from event_scoring
    inner join event_types
        on event_scoring.event_type = event_types.event_type
    where event_scoring.event_family <> event_types.event_family

    union all
    select
        'event_scoring' as seed_name,
        event_scoring.event_type as row_key,
        'points must be negative exactly for the negative event types of event_types' as problem
    from event_scoring
    inner join event_types
        on event_scoring.event_type = event_types.event_type
    where event_types.is_negative <> (event_scoring.points < 0)

    union all
    select
        'engagement_settings' as seed_name,
        required_settings.setting as row_key,
        'required setting is missing' as problem
    from required_settings
    left join engagement_settings
        on required_settings.setting = engagement_settings.setting
    where engagement_settings.setting is null

    union all
    select
        'engagement_settings' as seed_name,
        setting as row_key,
        'must be > 0' as problem
    from engagement_settings
    where
        setting in ('inactivity_days', 'scale_points', 'high_intent_window_days')
        and not coalesce(value > 0, false)

    union all
    select
        'engagement_settings' as seed_name,
        setting as row_key,
        'must be a whole number of days' as problem
    from engagement_settings
    where setting in ('inactivity_days', 'high_intent_window_days') and value <> floor(value)

    union all
    select
        'engagement_settings' as seed_name,
        setting as row_key,
        'must be <= 0 (a penalty)' as problem
    from engagement_settings
    where setting = 'inactivity_points' and not coalesce(value <= 0, false)

    union all
    select
        'engagement_levels' as seed_name,
        trim(trailing '.' from trim(trailing '0' from cast(engagement_level as {{ dbt.type_string() }}))) as row_key,
        'the lowest level must start at min_score 0' as problem
    from ordered_levels
    where level_position = 1 and not coalesce(min_score = 0, false)

    union all
    select
        'engagement_levels' as seed_name,
        trim(trailing '.' from trim(trailing '0' from cast(engagement_level as {{ dbt.type_string() }}))) as row_key,
        'levels must be whole numbers 1, 2, 3 ... in order' as problem
    from ordered_levels
    where engagement_level <> level_position

    union all
    select
        'engagement_levels' as seed_name,
        trim(trailing '.' from trim(trailing '0' from cast(engagement_level as {{ dbt.type_string() }}))) as row_key,
        'min_score must rise with the level' as problem
    from ordered_levels
    where previous_min_score is not null and not coalesce(min_score > previous_min_score, false)

)

select * from problems
