-- A view, not a table: its scoring cut-off is int_contact__event_days itself, which a table would copy; its one
-- reader (int_predict__contact_engagement) computes the past cut-offs (the training sample) in its own query.
{{ config(materialized='view') }}
-- Behaviour per golden contact, event type and day as of every cut-off: one row per cut-off, contact, event type and
-- day, the rows and columns int_contact__event_days has in a build as of that cut-off (same macro,
-- contact_event_days_ctes), for the days that can still count at it. Events and campaign memberships (when var
-- enable_campaigns is on) are the versions current at the cut-off (macro pit_versions, the keys and version order of
-- their staging models: an event dated or loaded after the cut-off, a response after it, do not exist then) and
-- follow the contact map of the cut-off (int_predict__identity: past cut-offs hold the training sample; a row whose
-- contact is unknown then is an orphan, left out as int_events does).
-- A day at least as old as the longest window of the engagement (kept_days: the longest window_days of the seed
-- event_scoring, or high_intent_window_days if longer) adds no points, counted or high-intent events at a cut-off:
-- only the last positive day matters (days_since_last_positive, last_positive_event_at). Past cut-offs therefore keep
-- the days younger than kept_days and, in place of the older ones, one row per contact: the last older positive day
-- (event_on), the last positive event of that day (first_event_at = last_event_at), a positive event type of those days
-- and counts of 1. The older days are reduced before the spine join: each positive event is old at the cut-offs from
-- the first one on or after max(its day + kept_days, valid_from) to the last one before its valid_to, so the events
-- are grouped by contact and those two cut-offs (dates known at compile time: macro predict_cutoff_dates) and only the
-- groups meet the spine. The scoring cut-off (the as-of date) is int_contact__event_days itself, which a build as of
-- that date computes.
{%- set past_cutoffs = predict_cutoff_dates() | sort %}
{%- set day_columns = [
    'contact_id', 'event_type', 'event_on', 'event_count', 'counted_events', 'first_event_at', 'last_event_at'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

staged_events as (

    select * from {{ ref('stg_marketing__events') }}

),

{% if var('enable_campaigns', true) %}
    staged_members as (

        select * from {{ ref('stg_marketing__campaign_members') }}

    ),
{% endif %}

identity as (

    select * from {{ ref('int_predict__identity') }}

),

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

engagement_settings as (

    select * from {{ ref('engagement_settings') }}

),

as_of_event_days as (

    select * from {{ ref('int_contact__event_days') }}

),

past_cutoffs as (

    select cutoff_date
    from cutoffs
    where not is_scoring_row

),

-- the longest window a day can count in
kept_window as (

    select
        cast(greatest(
            (select max(event_scoring.window_days) from event_scoring),
            (
                select max(engagement_settings.value)
                from engagement_settings
                where engagement_settings.setting = 'high_intent_window_days'
            )
        ) as {{ dbt.type_int() }}) as kept_days

),

-- the contacts of the past cut-offs' contact maps (the training sample)
sampled_contacts as (

    select distinct identity.contact_id
    from identity
    inner join past_cutoffs
        on identity.cutoff_date = past_cutoffs.cutoff_date

),

-- every version of the events one of whose versions belongs to the sample (whole keys: the validity intervals hold).
-- The inner lookup reads the staging table itself, not the CTE: DuckDB materialises a CTE read twice (20M events at
-- 1M contacts, spilled to disk), where a second scan of the table costs a second
sampled_events as (

    select *
    from staged_events
    where event_id in (
        select sampled.event_id
        from {{ ref('stg_marketing__events') }} as sampled
        where sampled.contact_id in (select sampled_contacts.contact_id from sampled_contacts)
    )

),

event_versions as (

    select *
    from (
        {{ pit_versions(
            'sampled_events', ['event_id'], 'loaded_at desc, occurred_at, contact_id, event_type', dated_by='occurred_at'
        ) }}
    ) as versions
    where contact_id in (select sampled_contacts.contact_id from sampled_contacts)

),

events as (

    select
        past_cutoffs.cutoff_date,
        identity.master_contact_id as contact_id,
        event_versions.event_type,
        cast(event_versions.occurred_at as date) as occurred_on,
        event_versions.occurred_at
    from past_cutoffs
    cross join kept_window
    inner join event_versions
        on
            {{ pit_is_current('event_versions', 'past_cutoffs') }}
            and {{ days_between('event_versions.occurred_at', 'past_cutoffs.cutoff_date') }} < kept_window.kept_days
    inner join identity
        on
            past_cutoffs.cutoff_date = identity.cutoff_date
            and event_versions.contact_id = identity.contact_id

),

{% if var('enable_campaigns', true) %}
    -- contact_id is part of the key: every version of a sampled contact's memberships
    sampled_members as (

        select *
        from staged_members
        where contact_id in (select sampled_contacts.contact_id from sampled_contacts)

    ),

    member_versions as (

        select *
        from (
            {{ pit_versions(
                'sampled_members', ['campaign_id', 'contact_id'],
                'loaded_at desc, sent_at desc nulls last, responded_at', dated_by='sent_at'
            ) }}
        ) as versions
        where
            responded_at is not null
            and contact_id in (select sampled_contacts.contact_id from sampled_contacts)

    ),

    campaign_members as (

        select
            past_cutoffs.cutoff_date,
            identity.master_contact_id as contact_id,
            member_versions.responded_at
        from past_cutoffs
        cross join kept_window
        inner join member_versions
            on
                {{ pit_is_current('member_versions', 'past_cutoffs') }}
                and {{ days_between('member_versions.responded_at', 'past_cutoffs.cutoff_date') }}
                < kept_window.kept_days
        inner join identity
            on
                past_cutoffs.cutoff_date = identity.cutoff_date
                and member_versions.contact_id = identity.contact_id

    ),
{% endif %}

-- the positive events and responses, with the first date they are older than kept_days and current
positive_activity as (

    select
        event_versions.contact_id,
        event_versions.event_type,
        cast(event_versions.occurred_at as date) as event_on,
        event_versions.occurred_at,
        greatest(
            cast(event_versions.occurred_at as date) + kept_window.kept_days, event_versions.valid_from
        ) as old_from,
        event_versions.valid_to
    from event_versions
    cross join kept_window
    inner join event_scoring
        on event_versions.event_type = event_scoring.event_type
    where event_scoring.points > 0
    {%- if var('enable_campaigns', true) %}
        union all
        select
            member_versions.contact_id,
            'campaign_response' as event_type,
            cast(member_versions.responded_at as date) as event_on,
            member_versions.responded_at as occurred_at,
            greatest(
                cast(member_versions.responded_at as date) + kept_window.kept_days, member_versions.valid_from
            ) as old_from,
            member_versions.valid_to
        from member_versions
        cross join kept_window
        inner join event_scoring
            on event_scoring.event_type = 'campaign_response'
        where event_scoring.points > 0
    {%- endif %}

),

-- the past cut-offs each of them is old and current at: from first_cutoff on, before end_cutoff (null: no end)
snapped as (

    select
        contact_id,
        event_type,
        event_on,
        occurred_at,
        case
            {%- for d in past_cutoffs %}
                when old_from <= cast('{{ d }}' as date) then cast('{{ d }}' as date)
            {%- endfor %}
        end as first_cutoff,
        case
            when valid_to is null then cast(null as date)
            {%- for d in past_cutoffs %}
                when valid_to <= cast('{{ d }}' as date) then cast('{{ d }}' as date)
            {%- endfor %}
        end as end_cutoff
    from positive_activity

),

old_groups as (

    select
        contact_id,
        first_cutoff,
        end_cutoff,
        max(event_type) as event_type,
        max(event_on) as event_on,
        max(occurred_at) as last_event_at
    from snapped
    where first_cutoff is not null
    group by contact_id, first_cutoff, end_cutoff

),

old_days as (

    select
        past_cutoffs.cutoff_date,
        identity.master_contact_id as contact_id,
        max(old_groups.event_type) as event_type,
        max(old_groups.event_on) as event_on,
        max(old_groups.last_event_at) as last_event_at
    from past_cutoffs
    inner join old_groups
        on
            past_cutoffs.cutoff_date >= old_groups.first_cutoff
            and (old_groups.end_cutoff is null or past_cutoffs.cutoff_date < old_groups.end_cutoff)
    inner join identity
        on
            past_cutoffs.cutoff_date = identity.cutoff_date
            and old_groups.contact_id = identity.contact_id
    group by past_cutoffs.cutoff_date, identity.master_contact_id

),

{{ contact_event_days_ctes(
    'events', 'campaign_members' if var('enable_campaigns', true) else none, 'event_scoring',
    keys=['cutoff_date'], as_of='cutoff_date'
) }},

-- the past cut-offs' recent days (final, from the macro) and old rows, and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ day_columns | join(',\n        ') }}
    from final

    union all

    select
        cutoff_date,
        contact_id,
        event_type,
        event_on,
        cast(1 as {{ dbt.type_int() }}) as event_count,
        cast(1 as {{ dbt.type_int() }}) as counted_events,
        last_event_at as first_event_at,
        last_event_at
    from old_days

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ day_columns | join(',\n        ') }}
    from as_of_event_days

)

select * from with_scoring_cutoff
