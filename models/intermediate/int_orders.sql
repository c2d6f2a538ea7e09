-- Clean orders as of the as-of date: one row per order, attached to its golden contact, amounts in the reporting
-- currency. Every status is kept (completed, pending, cancelled, refunded); facts decide what counts.
{{ config(materialized='view') }}

with

validated as (

    select * from {{ ref('int_orders__validated') }}

),

final as (

    select
        order_id,
        master_contact_id as contact_id,
        contact_id as source_contact_id,
        order_status,
        is_completed,
        is_cancelled,
        is_refunded,
        sales_channel,
        currency_code,
        total_amount_local,
        total_amount,
        ordered_at,
        ordered_on,
        updated_at
    from validated
    where relational_reason_code is null

)

select * from final
