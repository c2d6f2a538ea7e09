-- One row per current order line, with the fate of its order: lines follow their order into quarantine
-- (parent_quarantined), into the after-as-of bucket (their order was not loaded yet), or are orphans.
with

items as (

    select * from {{ ref('stg_shop__order_items') }}
    where dq_status = 'current'

),

order_rows as (

    select
        order_id,
        max(case when dq_status = 'current' then 1 else 0 end) as has_current,
        max(case when dq_status in ('current', 'superseded', 'quarantined') then 1 else 0 end) as has_visible
    from {{ ref('stg_shop__orders') }}
    where order_id is not null
    group by order_id

),

validated_orders as (

    select
        order_id,
        currency_code,
        relational_reason_code
    from {{ ref('int_orders__validated') }}

),

final as (

    select
        -- ids
        items.order_id,
        items.line_number,
        items.raw_row_key,
        items.product_id,

        -- numerics
        items.quantity,
        items.unit_price,
        items.discount_rate,
        {{ order_line_amount('items.quantity', 'items.unit_price', 'items.discount_rate') }} as line_amount_local,
        validated_orders.currency_code,

        -- timestamps
        items.loaded_at,

        -- data quality
        case
            when order_rows.order_id is null then 'orphan_order'
            when order_rows.has_visible = 0 then 'after_as_of'
            when order_rows.has_current = 0 or validated_orders.relational_reason_code is not null
                then 'parent_quarantined'
        end as relational_reason_code

    from items
    left join order_rows
        on items.order_id = order_rows.order_id
    left join validated_orders
        on items.order_id = validated_orders.order_id

)

select * from final
