{{ config(enabled=var('enable_campaigns', true)) }}

with

source as (

    select * from {{ source('marketing', 'campaigns') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.campaign_id') }} as campaign_id,

        -- attributes
        {{ clean_text('source.name') }} as campaign_name,
        lower({{ clean_text('source.channel') }}) as channel,
        lower({{ clean_text('source.objective') }}) as objective,

        -- timestamps
        cast(source.started_at as timestamp) as started_at,
        coalesce(cast(source._loaded_at as timestamp), cast(source.started_at as timestamp)) as loaded_at

    from source

),

flagged as (

    select
        *,
        case
            when campaign_id is null then 'missing_id'
            when started_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['campaign_id'], 'loaded_at desc, started_at desc nulls last, campaign_name') }}

)

select * from classified
