{{ config(enabled=var('enable_erasure_requests', true)) }}

with

source as (

    {{ raw_source('crm', 'erasure_requests') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.request_id') }} as request_id,
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ normalize_email('source.email') }} as email,

        -- timestamps
        source.requested_at,
        coalesce(source._loaded_at, source.requested_at) as loaded_at,

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
            when request_id is null or (contact_id is null and email is null) then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when requested_at is null then 'missing_date'
            when requested_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['request_id'], 'loaded_at desc, requested_at desc nulls last, contact_id, email') }}

)

select * from classified
