-- Clean behaviour events as of the as-of date: one row per event, attached to its golden contact.
{{ config(materialized='view') }}

with

validated as (

    select * from {{ ref('int_events__validated') }}

),

final as (

    select
        event_id,
        master_contact_id as contact_id,
        contact_id as source_contact_id,
        event_type,
        occurred_at,
        occurred_on
    from validated
    where relational_reason_code is null

)

select * from final
