-- One row per current event (exact duplicates removed), checked against the contact map.
with

events as (

    select * from {{ ref('stg_marketing__events') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

final as (

    select
        -- ids
        events.event_id,
        events.raw_row_key,
        events.contact_id,
        identity.master_contact_id,

        -- event (url and properties stay in staging: nothing downstream reads them, and they are the bulk of the
        -- bytes at 20M events)
        events.event_type,

        -- timestamps
        events.occurred_at,
        cast(events.occurred_at as date) as occurred_on,
        events.loaded_at,

        -- data quality
        case when identity.contact_id is null then 'orphan_contact' end as relational_reason_code

    from events
    left join identity
        on events.contact_id = identity.contact_id

)

select * from final
