with

source as (

    select * from {{ source('shop', 'order_items') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.order_id') }} as order_id,
        cast(source.line_number as integer) as line_number,
        {{ clean_text('source.product_id') }} as product_id,

        -- numerics (in the order's currency)
        cast(source.quantity as integer) as quantity,
        {{ clean_text('source.unit_price') }} as unit_price_raw,
        {{ safe_decimal('source.unit_price', 18, 4) }} as unit_price,
        coalesce(cast(source.discount as decimal(9, 4)), 0) as discount_rate,

        -- timestamps
        cast(source._loaded_at as timestamp) as loaded_at

    from source

),

flagged as (

    select
        *,
        case
            when order_id is null or line_number is null then 'missing_id'
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when unit_price is null then 'non_numeric_amount'
            when unit_price < 0 then 'negative_amount'
        end as dq_reason_code
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['order_id', 'line_number'], 'loaded_at desc, product_id, quantity, unit_price_raw') }}

)

select * from classified
