{{ config(enabled=var('enable_campaigns', true)) }}
-- One row per current campaign membership, checked against the contact map and the campaigns.
with

members as (

    select * from {{ ref('stg_marketing__campaign_members') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

final as (

    select
        -- ids
        members.raw_row_key,
        members.campaign_id,
        members.contact_id,
        identity.master_contact_id,

        -- response
        members.is_converted,

        -- timestamps
        members.sent_at,
        members.responded_at,
        members.loaded_at,

        -- data quality
        case when identity.contact_id is null then 'orphan_contact' end as relational_reason_code

    from members
    left join identity
        on members.contact_id = identity.contact_id

)

select * from final
