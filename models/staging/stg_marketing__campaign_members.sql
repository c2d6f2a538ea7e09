{{ config(enabled=var('enable_campaigns', true)) }}

with

source as (

    select * from {{ source('marketing', 'campaign_members') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.campaign_id') }} as campaign_id,
        {{ clean_text('source.contact_id') }} as contact_id,

        -- response
        cast(source.converted as boolean) as is_converted,

        -- timestamps
        cast(source.sent_at as timestamp) as sent_at,
        cast(source.responded_at as timestamp) as responded_at_raw,
        coalesce(
            cast(source._loaded_at as timestamp), cast(source.responded_at as timestamp),
            cast(source.sent_at as timestamp)
        ) as loaded_at

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
        case
            when campaign_id is null or contact_id is null then 'missing_id'
            when sent_at is null then 'missing_date'
            when sent_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['campaign_id', 'contact_id'], 'loaded_at desc, sent_at desc nulls last, responded_at') }}

)

select * from classified
