{{ config(enabled=var('enable_campaigns', true)) }}

with

source as (

    {{ raw_source('marketing', 'campaign_members') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.campaign_id') }} as campaign_id,
        {{ clean_text('source.contact_id') }} as contact_id,

        -- response
        source.converted as is_converted,

        -- timestamps
        source.sent_at,
        source.responded_at as responded_at_raw,
        coalesce(
            source._loaded_at, source.responded_at,
            source.sent_at
        ) as loaded_at,

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
        campaign_id,
        contact_id,
        is_converted,
        sent_at,
        -- a response dated after the as-of date had not happened yet
        case when responded_at_raw < {{ as_of_cutoff() }} then responded_at_raw end as responded_at,
        loaded_at,
        unreadable_detail,
        case
            when _malformed_line is not null then 'malformed_line'
            when campaign_id is null or contact_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when sent_at is null then 'missing_date'
            when sent_at >= {{ as_of_cutoff() }} then 'future_date'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['campaign_id', 'contact_id'],
        'loaded_at desc, sent_at desc nulls last, responded_at',
        erased='is_erased'
    ) }}

)

select * from classified
