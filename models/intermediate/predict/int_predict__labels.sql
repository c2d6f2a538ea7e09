-- What every customer of every cut-off did next: one row per cut-off and customer (int_predict__order_facts), with
-- the labels of the window (cutoff_date, cutoff_date + H] (var prediction_horizon_days) read from the orders as the
-- as-of build knows them (int_orders): completed orders dated after the cut-off and on or before the window's end.
-- The customer of a cut-off is followed to the golden contact it belongs to on the as-of date
-- (int_contacts__identity), so a duplicate created after the cut-off and its orders count for the same person.
-- Labels are null where the window does not end on or before the as-of date (the scoring cut-off); churn is only
-- defined for repeat customers (at least two completed orders at the cut-off).
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

customers as (

    select
        cutoff_date,
        contact_id,
        completed_orders_total
    from {{ ref('int_predict__order_facts') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

followed as (

    select
        customers.cutoff_date,
        customers.contact_id,
        customers.completed_orders_total,
        cutoffs.is_labelled,
        cutoffs.label_window_end,
        coalesce(identity.master_contact_id, customers.contact_id) as as_of_contact_id
    from customers
    inner join cutoffs
        on customers.cutoff_date = cutoffs.cutoff_date
    left join identity
        on customers.contact_id = identity.contact_id

),

outcomes as (

    select
        followed.cutoff_date,
        followed.contact_id,
        count(orders.order_id) as window_orders,
        coalesce(sum(orders.net_amount), 0) as window_revenue
    from followed
    inner join orders
        on
            followed.as_of_contact_id = orders.contact_id
            and orders.is_completed
            and followed.cutoff_date < orders.ordered_on
            and followed.label_window_end >= orders.ordered_on
    where followed.is_labelled
    group by followed.cutoff_date, followed.contact_id

),

final as (

    select
        -- ids
        followed.cutoff_date,
        followed.contact_id,
        followed.as_of_contact_id,

        -- labels (null when the window is not over on the as-of date; cast outside the case, which would drop the
        -- scale of a decimal on PostgreSQL)
        cast(
            case when followed.is_labelled then case when coalesce(outcomes.window_orders, 0) > 0 then 1 else 0 end end
            as {{ dbt.type_int() }}
        ) as label_purchase,
        cast(
            case when followed.is_labelled then coalesce(outcomes.window_orders, 0) end as {{ dbt.type_int() }}
        ) as label_orders,
        cast(
            case when followed.is_labelled then coalesce(outcomes.window_revenue, 0) end as decimal(18, 2)
        ) as label_revenue,
        cast(
            case
                when followed.is_labelled and followed.completed_orders_total >= 2
                    then case when coalesce(outcomes.window_orders, 0) > 0 then 0 else 1 end
            end as {{ dbt.type_int() }}
        ) as label_churn

    from followed
    left join outcomes
        on
            followed.cutoff_date = outcomes.cutoff_date
            and followed.contact_id = outcomes.contact_id

)

select * from final
