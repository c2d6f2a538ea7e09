-- Who each audience reaches, as of the as-of date: one row per audience and entity it selected and no suppression
-- left out (int_activation__audience_rows). Ids and scores only: the export joins the personal columns its channel
-- needs from pii.contacts.
with

audience_rows as (

    select * from {{ ref('int_activation__audience_rows') }}

),

final as (

    select
        -- keys
        audience,
        channel,
        as_of_date,
        entity_type,
        entity_id,
        contact_id,

        -- score
        profile,
        score,
        tier,
        recommended_action

    from audience_rows
    where reason is null

)

select * from final
