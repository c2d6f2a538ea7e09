-- Purchase facts per customer as of the as-of date: one row per golden contact with at least one completed order
-- on or before it. Windows end on the as-of date: the look-back (var customer_lookback_days) for RFM and value
-- criteria, and two consecutive trend windows (var spend_trend_window_days) for the spend trend. Amounts are in the
-- reporting currency and net of cancellations and refunds: only completed orders count as spend, each at its net
-- amount (partial refunds and credit notes deducted, int_orders.net_amount). Order counts are orders; gap statistics
-- (purchase gaps, their mean and variation, the overdue ratio) are between distinct purchase days: two checkouts on
-- one day are one purchase occasion, as in BTYD models. Contacts who objected to profiling
-- (int_privacy__profiling_objections) are left out: no score, no tier, no offer.
-- The formulas live in the macro customer_order_facts_ctes, shared with the training examples
-- (int_customer__training_examples), which compute them for many cut-off dates at once.
with

orders as (

    select * from {{ ref('int_orders') }}
    -- a contact who objected to profiling (GDPR art. 21) is not a scored customer
    where contact_id not in (
        select objections.contact_id from {{ ref('int_privacy__profiling_objections') }} as objections
        where objections.contact_id is not null
    )

),

order_lines as (

    select * from {{ ref('int_order_items') }}

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
    where dq_status = 'current'

),

{{ customer_order_facts_ctes('orders', 'order_lines', 'products') }}

select * from final
