with

source as (

    {{ raw_source('shop', 'products') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.product_id') }} as product_id,

        -- attributes
        {{ clean_text('source.name') }} as product_name,
        {{ clean_text('source.category', lower_case=true) }} as category,
        cast(source.list_price as decimal(18, 2)) as list_price,
        upper({{ clean_text('source.currency') }}) as currency_code,
        {{ clean_text('source.target_industries', lower_case=true) }} as target_industries,
        {{ clean_text('source.target_segments', lower_case=true) }} as target_segments,
        cast(source.min_budget as decimal(18, 2)) as min_budget,
        cast(source.repurchase_days as {{ dbt.type_int() }}) as repurchase_days,

        -- timestamps
        source.updated_at,
        coalesce(source._loaded_at, source.updated_at) as loaded_at,

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
            when product_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['product_id'], 'loaded_at desc, updated_at desc nulls last, product_name, list_price') }}

)

select * from classified
