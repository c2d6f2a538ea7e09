{{ config(enabled=var('enable_consents', true)) }}
-- One row per current consent record (contact, channel, time), checked against the contact map.
with

consents as (

    select * from {{ ref('stg_crm__consents') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

final as (

    select
        -- ids
        consents.raw_row_key,
        consents.contact_id,
        identity.master_contact_id,
        consents.channel,

        -- consent
        consents.is_granted,

        -- timestamps
        consents.recorded_at,
        consents.loaded_at,

        -- data quality
        case when identity.contact_id is null then 'orphan_contact' end as relational_reason_code

    from consents
    left join identity
        on consents.contact_id = identity.contact_id

)

select * from final
