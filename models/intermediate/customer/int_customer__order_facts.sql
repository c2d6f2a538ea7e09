-- Purchase facts per customer as of the as-of date: one row per golden contact with at least one completed order
-- on or before it. Windows end on the as-of date: the look-back (var customer_lookback_days) for RFM and value
-- criteria, and two consecutive trend windows (var spend_trend_window_days) for the spend trend. Amounts are in the
-- reporting currency and net of cancellations and refunds: only completed orders count as spend, each at its net
-- amount (partial refunds and credit notes deducted, int_orders.net_amount). Order counts are orders; gap statistics
-- (purchase gaps, their mean and variation, the overdue ratio) are between distinct purchase days: two checkouts on
-- one day are one purchase occasion, as in BTYD models.
{%- set lookback_start = as_of_date_minus(var('customer_lookback_days')) %}
{%- set recent_start = as_of_date_minus(var('spend_trend_window_days')) %}
{%- set previous_start = as_of_date_minus(2 * var('spend_trend_window_days')) %}

with

orders as (

    select * from {{ ref('int_orders') }}

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

completed as (

    select
        contact_id,
        order_id,
        ordered_at,
        ordered_on,
        net_amount
    from orders
    where is_completed

),

-- purchase occasions: the days with a completed order
occasions as (

    select distinct
        contact_id,
        ordered_on
    from completed

),

purchase_days as (

    select
        contact_id,
        ordered_on,
        lag(ordered_on) over (partition by contact_id order by ordered_on) as previous_ordered_on
    from occasions

),

spend as (

    select
        contact_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as completed_orders_total,
        sum(case when ordered_on > {{ lookback_start }} then 1 else 0 end) as frequency_orders,
        sum(case when ordered_on > {{ lookback_start }} then net_amount else 0 end) as monetary_net,
        sum(case when ordered_on > {{ recent_start }} then net_amount else 0 end) as spend_recent,
        sum(
            case
                when ordered_on > {{ previous_start }} and ordered_on <= {{ recent_start }} then net_amount
                else 0
            end
        ) as spend_previous
    from completed
    group by contact_id

),

placed as (

    select
        contact_id,
        count(*) as orders_placed,
        sum(case when is_refunded then 1 else 0 end) as refunded_orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        -- full refunds (status) and partial ones (refunded_amount, credit notes) of purchases
        sum(case when is_completed or is_refunded then refunded_amount else 0 end) as refunded_amount
    from orders
    where ordered_on > {{ lookback_start }} and not is_credit_note
    group by contact_id

),

gap_days as (

    select
        contact_id,
        cast({{ days_between('previous_ordered_on', 'ordered_on') }} as {{ dbt.type_bigint() }}) as gap_days
    from purchase_days
    where previous_ordered_on is not null and ordered_on > {{ lookback_start }}

),

-- Mean and standard deviation from exact integer sums, so that the order in which threads add the rows cannot
-- change the last digit (a float sum could, and a rounded criterion would then move by one unit).
gaps as (

    select
        contact_id,
        count(*) as purchase_gaps,
        cast(sum(gap_days) as decimal(38, 10)) / count(*) as mean_gap_days,
        case
            when count(*) >= 2
                then sqrt(cast(
                    (count(*) * sum(gap_days * gap_days) - sum(gap_days) * sum(gap_days))
                    / (cast(count(*) as decimal(38, 10)) * (count(*) - 1))
                    as {{ type_double() }}
                ))
        end as stddev_gap_days
    from gap_days
    group by contact_id

),

baskets as (

    select
        completed.contact_id,
        count(distinct products.category) as category_breadth,
        sum(
            case when order_lines.discount_rate > 0 then order_lines.line_amount_local else 0 end
        ) as discounted_amount_local,
        sum(order_lines.line_amount_local) as line_amount_local
    from completed
    inner join order_lines
        on completed.order_id = order_lines.order_id
    left join products
        on order_lines.product_id = products.product_id
    where completed.ordered_on > {{ lookback_start }}
    group by completed.contact_id

),

combined as (

    select
        spend.*,
        {{ days_between('spend.last_order_at', as_of_date()) }} as recency_days,
        {{ days_between('spend.first_order_at', as_of_date()) }} as tenure_days,
        coalesce(placed.orders_placed, 0) as orders_placed,
        coalesce(placed.refunded_orders, 0) as refunded_orders,
        coalesce(placed.cancelled_orders, 0) as cancelled_orders,
        coalesce(placed.refunded_amount, 0) as refunded_amount,
        coalesce(gaps.purchase_gaps, 0) as purchase_gaps,
        gaps.mean_gap_days,
        gaps.stddev_gap_days,
        coalesce(baskets.category_breadth, 0) as category_breadth,
        baskets.discounted_amount_local,
        baskets.line_amount_local
    from spend
    left join placed
        on spend.contact_id = placed.contact_id
    left join gaps
        on spend.contact_id = gaps.contact_id
    left join baskets
        on spend.contact_id = baskets.contact_id

),

final as (

    select
        -- ids
        contact_id,

        -- RFM inputs
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(frequency_orders as {{ dbt.type_int() }}) as frequency_orders,
        cast(monetary_net as decimal(18, 2)) as monetary_net,

        -- value criteria
        cast(
            round(frequency_orders * 365.25 / greatest(least(tenure_days, {{ var('customer_lookback_days') }}), 30), 4)
            as decimal(18, 4)
        ) as orders_per_year,
        cast(round(monetary_net / nullif(frequency_orders, 0), 2) as decimal(18, 2)) as avg_basket,
        cast({{ round_decimal('mean_gap_days', 4) }} as decimal(18, 4)) as mean_gap_days,
        cast(
            case
                when purchase_gaps >= 2 then {{ round_decimal('stddev_gap_days / nullif(mean_gap_days, 0)', 4) }}
                -- a single gap shows no variation
                when purchase_gaps = 1 then 0
            end
            as decimal(18, 4)
        ) as gap_cv,
        cast(spend_recent as decimal(18, 2)) as spend_recent,
        cast(spend_previous as decimal(18, 2)) as spend_previous,
        cast(
            round((spend_recent - spend_previous) / nullif(spend_recent + spend_previous, 0), 4) as decimal(18, 4)
        ) as spend_trend,
        cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(category_breadth as {{ dbt.type_int() }}) as category_breadth,

        -- risk signals
        cast(orders_placed as {{ dbt.type_int() }}) as orders_placed,
        cast(refunded_orders as {{ dbt.type_int() }}) as refunded_orders,
        cast(cancelled_orders as {{ dbt.type_int() }}) as cancelled_orders,
        cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(
            round(cast(refunded_orders + cancelled_orders as decimal(18, 4)) / nullif(orders_placed, 0), 4)
            as decimal(18, 4)
        ) as refund_cancel_rate,
        cast({{ round_decimal('recency_days / nullif(mean_gap_days, 0)', 4) }} as decimal(18, 4)) as overdue_ratio,
        cast(round(discounted_amount_local / nullif(line_amount_local, 0), 4) as decimal(18, 4)) as discount_dependency,

        -- history
        cast(completed_orders_total as {{ dbt.type_int() }}) as completed_orders_total,
        first_order_at,
        last_order_at

    from combined

)

select * from final
