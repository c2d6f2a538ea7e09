{{ config(enabled=var('enable_campaigns', true)) }}

with

source as (

    {{ raw_source('marketing', 'campaigns') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.campaign_id') }} as campaign_id,

        -- attributes
        {{ clean_text('source.name') }} as campaign_name,
        {{ clean_text('source.channel', lower_case=true) }} as channel,
        {{ clean_text('source.objective', lower_case=true) }} as objective,

        -- timestamps
        source.started_at,
        coalesce(source._loaded_at, source.started_at) as loaded_at,

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
            when campaign_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when started_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['campaign_id'], 'loaded_at desc, started_at desc nulls last, campaign_name') }}

)

select * from classified
