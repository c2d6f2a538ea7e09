-- What each entity bought, as known at each cut-off: one row per cut-off and order line of a completed order (all
-- history up to the cut-off; look-back windows are their readers'). The as-of rows are int_orders (completed) and
-- int_order_items themselves. The evaluation cut-off rebuilds them with what a build on that date knew: the order
-- version current then (pit_versions with stg_shop__orders' key and version order, dated by ordered_at, so an order
-- dated after the cut-off is not there; completed through the order_statuses seed: an order refunded after the
-- cut-off is still completed at it), the line versions current then (loaded before the cut-off + 1 day, valid), and
-- the golden contact of today's contact map (int_contacts__identity: a merge known today links ids, it brings no
-- purchase after the cut-off). Amounts: the line after its discount, in the reporting currency at the order's date
-- (macros order_line_amount and reporting_amount: the formulas of int_order_items__validated and
-- int_orders__validated).
-- A line whose product is unknown at the cut-off keeps its product_id, with category null (item_id null at category
-- grain).
{%- set fx_rule = var('fx_before_first_rate', 'earliest') %}

with

scoring_cutoff as (

    select * from {{ ref('int_offer__cutoffs') }}
    where is_scoring_row

),

as_of_orders as (

    select * from {{ ref('int_orders') }}
    where is_completed

),

as_of_lines as (

    select * from {{ ref('int_order_items') }}

),

staged_orders as (

    select * from {{ ref('stg_shop__orders') }}
    where credited_order_id is null

),

staged_lines as (

    select * from {{ ref('stg_shop__order_items') }}

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

products as (

    select * from {{ ref('int_offer__products') }}

),

-- the as-of date: int_orders x int_order_items
as_of_purchases as (

    select
        scoring_cutoff.cutoff_date,
        as_of_orders.contact_id,
        as_of_orders.order_id,
        as_of_orders.ordered_at,
        as_of_lines.line_number,
        as_of_lines.product_id,
        as_of_lines.quantity,
        as_of_lines.line_amount_local,
        as_of_orders.currency_code
    from as_of_orders
    inner join as_of_lines
        on as_of_orders.order_id = as_of_lines.order_id
    cross join scoring_cutoff

),

-- the evaluation cut-off: versions current at it
order_versions as (

    {{ pit_versions(
        'staged_orders', ['order_id'],
        'loaded_at desc, updated_at desc nulls last, ordered_at, order_status, total_amount',
        dated_by='ordered_at'
    ) }}

),

line_versions as (

    {{ pit_versions('staged_lines', ['order_id', 'line_number'], 'loaded_at desc, product_id, quantity, unit_price') }}

),

evaluation_lines as (

    select *
    from line_versions
    where {{ pit_is_current_on('line_versions', offer_evaluation_cutoff()) }}

),

evaluation_orders as (

    select
        {{ offer_evaluation_cutoff() }} as cutoff_date,
        identity.master_contact_id as contact_id,
        order_versions.order_id,
        order_versions.ordered_at,
        order_versions.currency_code
    from order_versions
    inner join statuses
        on order_versions.order_status = statuses.order_status
    inner join identity
        on order_versions.contact_id = identity.contact_id
    where
        statuses.is_completed
        and {{ pit_is_current_on('order_versions', offer_evaluation_cutoff()) }}

),

evaluation_purchases as (

    select
        evaluation_orders.cutoff_date,
        evaluation_orders.contact_id,
        evaluation_orders.order_id,
        evaluation_orders.ordered_at,
        evaluation_lines.line_number,
        evaluation_lines.product_id,
        evaluation_lines.quantity,
        {{ order_line_amount(
            'evaluation_lines.quantity', 'evaluation_lines.unit_price', 'evaluation_lines.discount_rate'
        ) }} as line_amount_local,
        evaluation_orders.currency_code
    from evaluation_orders
    inner join evaluation_lines
        on evaluation_orders.order_id = evaluation_lines.order_id

),

purchases as (

    select * from as_of_purchases
    union all
    select * from evaluation_purchases

),

converted as (

    select
        purchases.*,
        {{ reporting_amount('purchases.line_amount_local', 'fx.rate_to_reporting') }} as line_amount,
        fx.is_extrapolated as is_fx_extrapolated
    from purchases
    left join fx
        on
            purchases.currency_code = fx.currency_code
            and purchases.ordered_at >= fx.valid_from
            and purchases.ordered_at < fx.valid_to

),

final as (

    select
        -- ids
        converted.cutoff_date,
        converted.contact_id,
        converted.order_id,
        converted.line_number,
        converted.product_id,
        {{ offer_item_id('converted.product_id', 'products.category') }} as item_id,

        -- purchase
        cast(converted.ordered_at as date) as ordered_on,
        products.category,
        converted.quantity,
        converted.line_amount,
        cast({{ days_between('converted.ordered_at', 'converted.cutoff_date') }} as {{ dbt.type_int() }})
            as days_before_cutoff

    from converted
    left join products
        on
            converted.cutoff_date = products.cutoff_date
            and converted.product_id = products.product_id
    {%- if fx_rule == 'quarantine' %}
        -- int_orders quarantines these orders as of the as-of date (no_fx_rate_for_date); the evaluation cut-off too
        where not coalesce(converted.is_fx_extrapolated, false)
    {%- endif %}

)

select * from final
