-- One row per current order (the newest valid version of each order_id), checked against the contact map and
-- converted to the reporting currency. Orders whose contact is unknown as of the as-of date carry a reason code and
-- go to quarantine; the others form int_orders.
with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    where dq_status = 'current'

),

statuses as (

    select * from {{ ref('order_statuses') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

final as (

    select
        -- ids
        orders.order_id,
        orders.raw_row_key,
        orders.contact_id,
        identity.master_contact_id,

        -- order
        orders.order_status,
        coalesce(statuses.is_completed, false) as is_completed,
        orders.order_status = 'cancelled' as is_cancelled,
        orders.order_status = 'refunded' as is_refunded,
        orders.sales_channel,

        -- amounts
        orders.currency_code,
        orders.total_amount as total_amount_local,
        cast(round(orders.total_amount * fx.rate_to_reporting, 2) as decimal(18, 2)) as total_amount,

        -- timestamps
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_on,
        orders.updated_at,
        orders.loaded_at,

        -- data quality
        case when identity.contact_id is null then 'orphan_contact' end as relational_reason_code

    from orders
    left join statuses
        on orders.order_status = statuses.order_status
    left join identity
        on orders.contact_id = identity.contact_id
    left join fx
        on
            orders.currency_code = fx.currency_code
            and orders.ordered_at >= fx.valid_from
            and orders.ordered_at < fx.valid_to

)

select * from final
