{#- The purchase facts of int_customer__order_facts as CTEs (completed ... final), shared by the production model
    (one as-of date) and the training examples (one row per cut-off and customer), so that both compute every
    feature with one formula.
    - orders, order_lines, products: names of CTEs shaped like int_orders, int_order_items and the current products
      (product_id, category), each carrying the `keys` columns too;
    - keys: the columns that tell the as-of dates apart ([] in production, ['cutoff_date'] for the training
      examples); they lead every grouping and join and come first in `final`;
    - as_of: none (the build's as-of date, as constant literals) or the name of the key column holding the as-of
      date of each row.
    The caller ends with `select * from final`. -#}
{% macro customer_order_facts_ctes(orders, order_lines, products, keys=[], as_of=none) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set key_prefix = key_list ~ ', ' if keys else '' -%}
    {%- set lookback_days = var('customer_lookback_days') -%}
    {%- set trend_days = var('spend_trend_window_days') -%}
completed as (

    select
        {{ key_prefix }}contact_id,
        order_id,
        ordered_at,
        ordered_on,
        net_amount
    from {{ orders }}
    where is_completed

),

-- purchase occasions: the days with a completed order
occasions as (

    select distinct
        {{ key_prefix }}contact_id,
        ordered_on
    from completed

),

purchase_days as (

    select
        {{ key_prefix }}contact_id,
        ordered_on,
        lag(ordered_on) over (partition by {{ key_prefix }}contact_id order by ordered_on) as previous_ordered_on
    from occasions

),

spend as (

    select
        {{ key_prefix }}contact_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as completed_orders_total,
        sum(case when ordered_on > {{ window_start_of('completed', as_of, lookback_days) }} then 1 else 0 end) as frequency_orders,
        sum(case when ordered_on > {{ window_start_of('completed', as_of, lookback_days) }} then net_amount else 0 end) as monetary_net,
        sum(case when ordered_on > {{ window_start_of('completed', as_of, trend_days) }} then net_amount else 0 end) as spend_recent,
        sum(
            case
                when
                    ordered_on > {{ window_start_of('completed', as_of, 2 * trend_days) }}
                    and ordered_on <= {{ window_start_of('completed', as_of, trend_days) }}
                    then net_amount
                else 0
            end
        ) as spend_previous
    from completed
    group by {{ key_prefix }}contact_id

),

placed as (

    select
        {{ key_prefix }}contact_id,
        count(*) as orders_placed,
        sum(case when is_refunded then 1 else 0 end) as refunded_orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        -- full refunds (status) and partial ones (refunded_amount, credit notes) of purchases
        sum(case when is_completed or is_refunded then refunded_amount else 0 end) as refunded_amount
    from {{ orders }}
    where ordered_on > {{ window_start_of(orders, as_of, lookback_days) }} and not is_credit_note
    group by {{ key_prefix }}contact_id

),

gap_days as (

    select
        {{ key_prefix }}contact_id,
        cast({{ days_between('previous_ordered_on', 'ordered_on') }} as {{ dbt.type_bigint() }}) as gap_days
    from purchase_days
    where previous_ordered_on is not null and ordered_on > {{ window_start_of('purchase_days', as_of, lookback_days) }}

),

-- Mean and standard deviation from exact integer sums, so that the order in which threads add the rows cannot
-- change the last digit (a float sum could, and a rounded criterion would then move by one unit).
gaps as (

    select
        {{ key_prefix }}contact_id,
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
    group by {{ key_prefix }}contact_id

),

baskets as (

    select
        {%- for k in keys %}
            completed.{{ k }},
        {%- endfor %}
        completed.contact_id,
        count(distinct {{ products }}.category) as category_breadth,
        sum(
            case when {{ order_lines }}.discount_rate > 0 then {{ order_lines }}.line_amount_local else 0 end
        ) as discounted_amount_local,
        sum({{ order_lines }}.line_amount_local) as line_amount_local
    from completed
    inner join {{ order_lines }}
        on completed.order_id = {{ order_lines }}.order_id{{ keys_match('completed', order_lines, keys) }}
    left join {{ products }}
        on {{ order_lines }}.product_id = {{ products }}.product_id{{ keys_match(order_lines, products, keys) }}
    where completed.ordered_on > {{ window_start_of('completed', as_of, lookback_days) }}
    group by
        {%- for k in keys %}
            completed.{{ k }},
        {%- endfor %}
        completed.contact_id

),

combined as (

    select
        spend.*,
        {{ days_between('spend.last_order_at', as_of_expr(none if as_of is none else 'spend.' ~ as_of)) }} as recency_days,
        {{ days_between('spend.first_order_at', as_of_expr(none if as_of is none else 'spend.' ~ as_of)) }} as tenure_days,
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
        on spend.contact_id = placed.contact_id{{ keys_match('spend', 'placed', keys) }}
    left join gaps
        on spend.contact_id = gaps.contact_id{{ keys_match('spend', 'gaps', keys) }}
    left join baskets
        on spend.contact_id = baskets.contact_id{{ keys_match('spend', 'baskets', keys) }}

),

-- Quotients are rounded through decimal(38, 10) (round_decimal): DuckDB divides decimals in double precision, so a
-- half cent (3681.45 / 18 = 204.525) would round down there and up on PostgreSQL.
final as (

    select
        -- ids
        {{ key_prefix }}contact_id,

        -- RFM inputs
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(frequency_orders as {{ dbt.type_int() }}) as frequency_orders,
        cast(monetary_net as decimal(18, 2)) as monetary_net,

        -- value criteria
        cast(
            {{ round_decimal('frequency_orders * 365.25 / greatest(least(tenure_days, ' ~ lookback_days ~ '), 30)', 4) }}
            as decimal(18, 4)
        ) as orders_per_year,
        cast({{ round_decimal('monetary_net / nullif(frequency_orders, 0)', 2) }} as decimal(18, 2)) as avg_basket,
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
            {{ round_decimal('(spend_recent - spend_previous) / nullif(spend_recent + spend_previous, 0)', 4) }}
            as decimal(18, 4)
        ) as spend_trend,
        cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(category_breadth as {{ dbt.type_int() }}) as category_breadth,

        -- risk signals
        cast(orders_placed as {{ dbt.type_int() }}) as orders_placed,
        cast(refunded_orders as {{ dbt.type_int() }}) as refunded_orders,
        cast(cancelled_orders as {{ dbt.type_int() }}) as cancelled_orders,
        cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(
            {{ round_decimal('cast(refunded_orders + cancelled_orders as decimal(18, 4)) / nullif(orders_placed, 0)', 4) }}
            as decimal(18, 4)
        ) as refund_cancel_rate,
        cast({{ round_decimal('recency_days / nullif(mean_gap_days, 0)', 4) }} as decimal(18, 4)) as overdue_ratio,
        cast(
            {{ round_decimal('discounted_amount_local / nullif(line_amount_local, 0)', 4) }} as decimal(18, 4)
        ) as discount_dependency,

        -- history
        cast(completed_orders_total as {{ dbt.type_int() }}) as completed_orders_total,
        first_order_at,
        last_order_at

    from combined

)
{%- endmacro %}
