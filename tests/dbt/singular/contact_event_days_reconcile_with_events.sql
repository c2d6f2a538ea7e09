-- int_contact__event_days loses and adds no event: per event type, its event_count adds up to the clean events of
-- int_events dated on or before the as-of date, and to the campaign responses on or before it (type
-- 'campaign_response', when var enable_campaigns is on). Returns each type whose counts differ.
with

events as (

    select
        event_type,
        count(*) as source_events
    from {{ ref('int_events') }}
    where occurred_on <= {{ as_of_date() }}
    group by event_type

    {% if var('enable_campaigns', true) %}
        union all
        select
            'campaign_response' as event_type,
            count(*) as source_events
        from {{ ref('int_campaign_members') }}
        where responded_at < {{ as_of_cutoff() }}
    {% endif %}

),

event_days as (

    select
        event_type,
        sum(event_count) as day_events
    from {{ ref('int_contact__event_days') }}
    group by event_type

),

final as (

    select
        coalesce(events.event_type, event_days.event_type) as event_type,
        coalesce(events.source_events, 0) as source_events,
        coalesce(event_days.day_events, 0) as day_events
    from events
    full outer join event_days
        on events.event_type = event_days.event_type
    where coalesce(events.source_events, 0) <> coalesce(event_days.day_events, 0)

)

select * from final
