-- Dated behaviour of leads for windowed points rules, as of the as-of date: one row per lead, activity type
-- (event type or campaign_response) and day, with the number of counted events (after the daily caps of the
-- engagement model) and the age in days on the as-of date.
with

leads as (

    select contact_id from {{ ref('int_contact__lifecycle') }}
    where population = 'lead'

),

event_days as (

    select * from {{ ref('int_contact__event_days') }}

),

final as (

    select
        event_days.contact_id as entity_id,
        event_days.event_type as activity_type,
        event_days.event_on as activity_on,
        cast({{ days_between('event_days.event_on', as_of_date()) }} as {{ dbt.type_int() }}) as days_before_as_of,
        cast(event_days.counted_events as {{ dbt.type_int() }}) as activity_count
    from event_days
    inner join leads
        on event_days.contact_id = leads.contact_id

)

select * from final
