-- Purchase timing of every customer as of every cut-off, the predictive features the production models do not have:
-- one row per cut-off and customer. Completed orders in the last 30, 90 and 365 days (a window of n days ending on
-- the cut-off: dated after cut-off - n), the gap between the last two purchase days, and the BG/NBD summary of the
-- whole history (as lifetimes' summary_data_from_transaction_data with freq 'D': purchase occasions are the distinct
-- days with a completed order; x = repeat purchase days, t_x = days from the first to the last purchase day, T =
-- days from the first purchase day to the cut-off, mean spend = mean net amount of a repeat purchase day, the first
-- day left out, null without repeat).
with

orders as (

    select * from {{ ref('int_predict__orders') }}

),

completed as (

    select
        cutoff_date,
        contact_id,
        ordered_on,
        net_amount
    from orders
    where is_completed

),

counts as (

    select
        cutoff_date,
        contact_id,
        sum(case when ordered_on > {{ date_minus_days('cutoff_date', 30) }} then 1 else 0 end) as orders_30d,
        sum(case when ordered_on > {{ date_minus_days('cutoff_date', 90) }} then 1 else 0 end) as orders_90d,
        sum(case when ordered_on > {{ date_minus_days('cutoff_date', 365) }} then 1 else 0 end) as orders_365d
    from completed
    group by cutoff_date, contact_id

),

purchase_days as (

    select
        cutoff_date,
        contact_id,
        ordered_on,
        sum(net_amount) as day_net_amount
    from completed
    group by cutoff_date, contact_id, ordered_on

),

ranked_days as (

    select
        *,
        row_number() over (partition by cutoff_date, contact_id order by ordered_on asc) as day_number,
        lag(ordered_on) over (partition by cutoff_date, contact_id order by ordered_on) as previous_ordered_on
    from purchase_days

),

summary as (

    select
        cutoff_date,
        contact_id,
        count(*) - 1 as btyd_x,
        min(ordered_on) as first_purchase_on,
        max(ordered_on) as last_purchase_on,
        -- the day before the last one is the latest previous day (one sort: no descending window)
        {{ days_between('max(previous_ordered_on)', 'max(ordered_on)') }} as last_gap_days,
        sum(case when day_number > 1 then day_net_amount else 0 end) as repeat_net_amount
    from ranked_days
    group by cutoff_date, contact_id

),

final as (

    select
        -- ids
        summary.cutoff_date,
        summary.contact_id,

        -- recent windows
        cast(counts.orders_30d as {{ dbt.type_int() }}) as orders_30d,
        cast(counts.orders_90d as {{ dbt.type_int() }}) as orders_90d,
        cast(counts.orders_365d as {{ dbt.type_int() }}) as orders_365d,
        cast(summary.last_gap_days as {{ dbt.type_int() }}) as last_gap_days,

        -- BG/NBD summary
        cast(summary.btyd_x as {{ dbt.type_int() }}) as btyd_x,
        cast({{ days_between('summary.first_purchase_on', 'summary.last_purchase_on') }} as {{ dbt.type_int() }})
            as btyd_t_x,
        cast({{ days_between('summary.first_purchase_on', 'summary.cutoff_date') }} as {{ dbt.type_int() }})
            as btyd_t,
        cast(
            {{ round_decimal('cast(summary.repeat_net_amount as decimal(38, 10)) / nullif(summary.btyd_x, 0)', 2) }}
            as decimal(18, 2)
        ) as btyd_mean_spend

    from summary
    inner join counts
        on
            summary.cutoff_date = counts.cutoff_date
            and summary.contact_id = counts.contact_id

)

select * from final
