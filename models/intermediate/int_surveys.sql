{{ config(enabled=var('enable_surveys', true), materialized='view') }}
-- Clean survey responses as of the as-of date: one row per response, attached to its golden contact.
with

validated as (

    select * from {{ ref('int_surveys__validated') }}

),

final as (

    select
        response_id,
        master_contact_id as contact_id,
        contact_id as source_contact_id,
        nps,
        csat,
        review_rating,
        comment_text,
        submitted_at
    from validated
    where relational_reason_code is null

)

select * from final
