-- Who each audience selected but leaves out, as of the as-of date, with one reason: the first that applies of
-- do_not_contact, unsubscribed, hard_bounce, no_consent, missing_address (int_activation__audience_rows). Ids only;
-- the export manifest counts these rows by reason.
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

        -- why
        reason

    from audience_rows
    where reason is not null

)

select * from final
