with

source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.product_id') }} as product_id,

        -- attributes
        {{ clean_text('source.name') }} as product_name,
        lower({{ clean_text('source.category') }}) as category,
        {{ safe_decimal('source.list_price', 18, 2) }} as list_price,
        upper({{ clean_text('source.currency') }}) as currency_code,
        lower({{ clean_text('source.target_industries') }}) as target_industries,
        lower({{ clean_text('source.target_segments') }}) as target_segments,
        {{ safe_decimal('source.min_budget', 18, 2) }} as min_budget,

        -- timestamps
        cast(source.updated_at as timestamp) as updated_at,
        coalesce(cast(source._loaded_at as timestamp), cast(source.updated_at as timestamp)) as loaded_at

    from source

),

flagged as (

    select
        *,
        case
            when product_id is null then 'missing_id'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['product_id'], 'loaded_at desc, updated_at desc nulls last, product_name, list_price') }}

)

select * from classified
