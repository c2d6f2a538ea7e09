{{ config(enabled=var('enable_campaigns', true), materialized='view') }}
-- Clean campaign memberships as of the as-of date: one row per campaign and source contact.
with

validated as (

    select * from {{ ref('int_campaign_members__validated') }}

),

final as (

    select
        raw_row_key as membership_key,
        campaign_id,
        master_contact_id as contact_id,
        contact_id as source_contact_id,
        is_converted,
        sent_at,
        responded_at
    from validated
    where relational_reason_code is null

)

select * from final
