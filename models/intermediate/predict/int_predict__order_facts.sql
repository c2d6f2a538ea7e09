-- The purchase facts of every customer as of every cut-off: one row per cut-off and customer (golden contact of that
-- cut-off with a completed order on or before it), the rows and columns int_customer__order_facts has in a build as
-- of that cut-off (same macro, customer_order_facts_ctes, with the cut-off as the as-of date of each row). Orders are
-- int_predict__orders; order lines and products are the versions current at each cut-off (macro pit_versions, the
-- keys and version order of their staging models). Only lines of completed orders are read, which are clean at that
-- cut-off, so the line checks of int_order_items__validated hold by construction. Past cut-offs are computed here for
-- the customers of the training sample (the orders of int_predict__orders); the scoring cut-off (the as-of date) is
-- int_customer__order_facts itself, which a build as of that date computes.
{%- set fact_columns = [
    'contact_id', 'recency_days', 'frequency_orders', 'monetary_net', 'orders_per_year', 'avg_basket',
    'mean_gap_days', 'gap_cv', 'spend_recent', 'spend_previous', 'spend_trend', 'tenure_days', 'category_breadth',
    'orders_placed', 'refunded_orders', 'cancelled_orders', 'refunded_amount', 'refund_cancel_rate',
    'overdue_ratio', 'discount_dependency', 'completed_orders_total', 'first_order_at', 'last_order_at'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

orders as (

    select predict_orders.*
    from {{ ref('int_predict__orders') }} as predict_orders
    inner join cutoffs
        on predict_orders.cutoff_date = cutoffs.cutoff_date
    where
        not cutoffs.is_scoring_row
        -- the same rows, said so the planner drops the scoring cut-off's branch of the view unread
        and predict_orders.cutoff_date < {{ as_of_date() }}

),

as_of_facts as (

    select * from {{ ref('int_customer__order_facts') }}

),

staged_lines as (

    select * from {{ ref('stg_shop__order_items') }}

),

staged_products as (

    select * from {{ ref('stg_shop__products') }}

),

-- the lines of the orders of the past cut-offs only (every version of them: order_id is part of the key)
sampled_lines as (

    select *
    from staged_lines
    where order_id in (select orders.order_id from orders)

),

sampled_line_versions as (

    {{ pit_versions('sampled_lines', ['order_id', 'line_number'], 'loaded_at desc, product_id, quantity, unit_price') }}

),

product_versions as (

    {{ pit_versions(
        'staged_products', ['product_id'], 'loaded_at desc, updated_at desc nulls last, product_name, list_price'
    ) }}

),

order_lines as (

    select
        cutoffs.cutoff_date,
        line_versions.order_id,
        line_versions.line_number,
        line_versions.product_id,
        line_versions.discount_rate,
        {{ order_line_amount('line_versions.quantity', 'line_versions.unit_price', 'line_versions.discount_rate') }}
            as line_amount_local
    from cutoffs
    inner join sampled_line_versions as line_versions
        on {{ pit_is_current('line_versions', 'cutoffs') }}
    where not cutoffs.is_scoring_row

),

products as (

    select
        cutoffs.cutoff_date,
        product_versions.product_id,
        product_versions.category
    from cutoffs
    inner join product_versions
        on {{ pit_is_current('product_versions', 'cutoffs') }}
    where not cutoffs.is_scoring_row

),

{{ customer_order_facts_ctes('orders', 'order_lines', 'products', keys=['cutoff_date'], as_of='cutoff_date') }},

-- the past cut-offs (final, from the macro) and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ fact_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ fact_columns | join(',\n        ') }}
    from as_of_facts

)

select * from with_scoring_cutoff
