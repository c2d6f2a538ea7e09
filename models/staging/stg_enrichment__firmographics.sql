{{ config(enabled=var('enable_enrichment', true)) }}

with

source as (

    {{ raw_source('enrichment', 'firmographics') }}

),

renamed as (

    select
        -- ids
        {{ domain_from_url('source.domain') }} as domain,
        {{ clean_text('source.domain') }} as domain_raw,

        -- firmographics
        {{ clean_text('source.industry') }} as industry,
        {{ clean_text('source.employee_range') }} as employee_range,
        {{ clean_text('source.revenue_range') }} as revenue_range,
        cast(source.marketing_budget as decimal(18, 2)) as marketing_budget,
        {{ clean_text('source.technologies') }} as technologies,

        -- timestamps
        source._loaded_at as loaded_at,

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
            when domain is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        domain is not null and domain_raw <> domain as is_domain_normalised,
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['domain'], 'loaded_at desc, domain_raw, industry, employee_range') }}

)

select * from classified
