{{ config(enabled=var('enable_do_not_contact', true)) }}
-- The do-not-contact list (activation): an entry names a contact id, an e-mail and/or a phone; each is normalised as
-- the contacts are (e-mail trimmed and lower-cased, phone as digits with its leading +), so the suppression matches
-- on equality. An entry without a date applies from the start; a suppression list is never erased with a person.
with

source as (

    {{ raw_source('crm', 'do_not_contact') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ normalize_email('source.email') }} as email,
        {{ normalize_phone('source.phone') }} as phone,

        -- entry
        {{ clean_text('source.reason') }} as reason,

        -- timestamps
        source.added_at,
        coalesce(source._loaded_at, source.added_at) as loaded_at,

        -- values that could not be read (raw_source)
        source._unreadable_quarantine,
        source._unreadable_nulled,
        source._out_of_domain_code,
        source._out_of_domain_nulled as out_of_domain_nulled,
        source._malformed_line,
        source._unreadable_detail as unreadable_detail

    from source

),

flagged as (

    select
        *,
        case
            when _malformed_line is not null then 'malformed_line'
            when contact_id is null and email is null and phone is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when added_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['contact_id', 'email', 'phone'], 'loaded_at desc nulls last, added_at desc nulls last, reason'
    ) }}

)

select * from classified
