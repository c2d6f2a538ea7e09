{{ config(enabled=var('enable_consents', true)) }}

with

source as (

    {{ raw_source('crm', 'consents') }}

),

-- the crm.consents channel values a channel of the activation reads (seeds/activation/consent_channels.csv)
consent_channels as (

    select consent_channel from {{ ref('consent_channels') }}
    where consent_channel is not null

),

renamed as (

    select
        -- ids
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ clean_text('source.channel', lower_case=true) }} as channel,

        -- consent
        source.granted as is_granted,

        -- timestamps
        source.recorded_at,
        coalesce(source._loaded_at, source.recorded_at) as loaded_at,

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
            when contact_id is null or channel is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when recorded_at is null then 'missing_date'
            when recorded_at >= {{ as_of_cutoff() }} then 'future_date'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable,
        -- kept, but read by no channel: its channel is no consent_channel of consent_channels (counted in dq_repairs)
        coalesce(
            channel not in (select consent_channels.consent_channel from consent_channels),
            false
        ) as is_channel_unused
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['contact_id', 'channel', 'recorded_at'],
        'loaded_at desc, is_granted',
        erased='is_erased'
    ) }}

)

select * from classified
