{{ config(enabled=var('enable_consents', true), materialized='view') }}
-- Clean consent records as of the as-of date: one row per source contact, channel and recording time.
with

validated as (

    select * from {{ ref('int_consents__validated') }}

),

final as (

    select
        raw_row_key as consent_record_key,
        master_contact_id as contact_id,
        contact_id as source_contact_id,
        channel,
        is_granted,
        recorded_at
    from validated
    where relational_reason_code is null

)

select * from final
