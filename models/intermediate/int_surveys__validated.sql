{{ config(enabled=var('enable_surveys', true)) }}
-- One row per current survey response, checked against the contact map.
with

surveys as (

    select * from {{ ref('stg_feedback__surveys') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

final as (

    select
        -- ids
        surveys.response_id,
        surveys.raw_row_key,
        surveys.contact_id,
        identity.master_contact_id,

        -- answers (out-of-range values already set to NULL in staging)
        surveys.nps,
        surveys.csat,
        surveys.review_rating,
        surveys.comment_text,

        -- timestamps
        surveys.submitted_at,
        surveys.loaded_at,

        -- data quality
        case when identity.contact_id is null then 'orphan_contact' end as relational_reason_code

    from surveys
    left join identity
        on surveys.contact_id = identity.contact_id

)

select * from final
