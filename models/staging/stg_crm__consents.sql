{{ config(enabled=var('enable_consents', true)) }}

with

source as (

    select * from {{ source('crm', 'consents') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.contact_id') }} as contact_id,
        lower({{ clean_text('source.channel') }}) as channel,

        -- consent
        cast(source.granted as boolean) as is_granted,

        -- timestamps
        cast(source.recorded_at as timestamp) as recorded_at,
        coalesce(cast(source._loaded_at as timestamp), cast(source.recorded_at as timestamp)) as loaded_at

    from source

),

flagged as (

    select
        *,
        case
            when contact_id is null or channel is null then 'missing_id'
            when recorded_at is null then 'missing_date'
            when recorded_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['contact_id', 'channel', 'recorded_at'], 'loaded_at desc, is_granted') }}

)

select * from classified
