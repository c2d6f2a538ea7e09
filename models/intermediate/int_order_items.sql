-- Clean order lines as of the as-of date: one row per order line of a clean order.
{{ config(materialized='view') }}

with

validated as (

    select * from {{ ref('int_order_items__validated') }}

),

final as (

    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        discount_rate,
        line_amount_local,
        currency_code
    from validated
    where relational_reason_code is null

)

select * from final
