-- Clean orders as of the as-of date: one row per order, attached to its golden contact, amounts in the reporting
-- currency. Every status is kept (completed, pending, cancelled, refunded); facts decide what counts. Credit notes
-- are kept as their own rows (is_credit_note, attached to their order's customer, never completed, cancelled or
-- refunded) and already netted into their order: spend is net_amount (total_amount - refunded_amount).
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
        credited_order_id,
        is_credit_note,
        order_status,
        is_completed,
        is_cancelled,
        is_refunded,
        sales_channel,
        currency_code,
        total_amount_local,
        total_amount,
        refunded_amount,
        net_amount,
        ordered_at,
        ordered_on,
        updated_at
    from validated
    where relational_reason_code is null

)

select * from final
