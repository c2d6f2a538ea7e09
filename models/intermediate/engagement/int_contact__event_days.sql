-- Behaviour per golden contact, event type and day as of the as-of date: one row per contact, event type and day
-- with at least one event. Web, email and event activity come from int_events; campaign responses
-- (int_campaign_members.responded_at, when var enable_campaigns is on) are the type 'campaign_response'. The daily
-- cap of each type (event_scoring.cap_per_day) is applied here, so a bot or a noisy contact counts at most that many
-- events a day. Days do not depend on the as-of date beyond what is visible, which makes them the unit of an
-- incremental refresh.
with

events as (

    select * from {{ ref('int_events') }}

),

{% if var('enable_campaigns', true) %}
    campaign_members as (

        select * from {{ ref('int_campaign_members') }}

    ),
{% endif %}

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

activity as (

    select
        contact_id,
        event_type,
        occurred_on as event_on,
        occurred_at
    from events
    where occurred_on <= {{ as_of_date() }}
    {% if var('enable_campaigns', true) %}
        union all
        select
            contact_id,
            'campaign_response' as event_type,
            cast(responded_at as date) as event_on,
            responded_at as occurred_at
        from campaign_members
        where responded_at < {{ as_of_cutoff() }}
    {% endif %}

),

daily as (

    select
        contact_id,
        event_type,
        event_on,
        count(*) as event_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from activity
    group by contact_id, event_type, event_on

),

final as (

    select
        -- ids
        daily.contact_id,
        daily.event_type,
        daily.event_on,

        -- counts
        cast(daily.event_count as {{ dbt.type_int() }}) as event_count,
        cast(least(daily.event_count, event_scoring.cap_per_day) as {{ dbt.type_int() }}) as counted_events,

        -- timestamps
        daily.first_event_at,
        daily.last_event_at

    from daily
    -- every event type has a scoring row (singular test engagement_seeds_are_valid)
    inner join event_scoring
        on daily.event_type = event_scoring.event_type

)

select * from final
