{{ config(enabled=var('enable_erasure_requests', true)) }}

with

source as (

    select * from {{ source('crm', 'erasure_requests') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.request_id') }} as request_id,
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ normalize_email('source.email') }} as email,

        -- timestamps
        cast(source.requested_at as timestamp) as requested_at,
        coalesce(cast(source._loaded_at as timestamp), cast(source.requested_at as timestamp)) as loaded_at

    from source

),

flagged as (

    select
        *,
        case
            when request_id is null or (contact_id is null and email is null) then 'missing_id'
            when requested_at is null then 'missing_date'
            when requested_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['request_id'], 'loaded_at desc, requested_at desc nulls last, contact_id, email') }}

)

select * from classified
