-- One row per current order (the newest valid version of each order_id), checked against the contact map and
-- converted to the reporting currency. Orders whose contact is unknown as of the as-of date carry a reason code and
-- go to quarantine; the others form int_orders. An order dated before its currency's first rate follows var
-- fx_before_first_rate: 'earliest' (default) converts it at that first rate and flags it (repair
-- fx_rate_extrapolated), 'quarantine' gives it reason no_fx_rate_for_date.
-- Refunds are netted here: a row with credited_order_id is a credit note for that order (its amount, whatever its
-- sign, is a credit; its own contact is not checked, it belongs to the order's customer). A credit note for an order
-- that does not exist (or is itself a credit note) is unknown_credited_order, one for an order that was quarantined
-- follows it (parent_quarantined), one for an order loaded after the as-of date waits with it (after_as_of). Each
-- order's refunded_amount is its own refund (refunded_amount column; a 'refunded' order without it is refunded in
-- full) plus its kept credit notes, at most its total; net_amount is what the customer kept paying for.
{%- set fx_rule = var('fx_before_first_rate', 'earliest') %}
{%- set fx_rules = ['earliest', 'quarantine'] %}
{%- if fx_rule not in fx_rules %}
    {{ exceptions.raise_compiler_error(
        "var fx_before_first_rate is '" ~ fx_rule ~ "': allowed values are " ~ fx_rules | join(', ')
    ) }}
{%- endif %}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    where dq_status = 'current'

),

-- every order_id written as an order (not a credit note), and whether any of its versions is visible yet
order_ids as (

    select
        order_id,
        max(case when dq_status in ('current', 'superseded', 'quarantined') then 1 else 0 end) as has_visible
    from {{ ref('stg_shop__orders') }}
    where order_id is not null and credited_order_id is null
    group by order_id

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

converted as (

    select
        -- ids
        orders.order_id,
        orders.raw_row_key,
        orders.contact_id,
        identity.master_contact_id,
        orders.credited_order_id,

        -- order
        orders.credited_order_id is not null as is_credit_note,
        orders.order_status,
        coalesce(statuses.is_completed, false) and orders.credited_order_id is null as is_completed,
        orders.order_status = 'cancelled' and orders.credited_order_id is null as is_cancelled,
        orders.order_status = 'refunded' and orders.credited_order_id is null as is_refunded,
        orders.sales_channel,

        -- amounts
        orders.currency_code,
        orders.total_amount as total_amount_local,
        {{ reporting_amount('orders.total_amount', 'fx.rate_to_reporting') }} as total_amount,
        {{ reporting_amount('orders.refunded_amount', 'fx.rate_to_reporting') }} as own_refund_amount,
        fx.is_extrapolated as is_fx_rate_extrapolated,

        -- timestamps
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_on,
        orders.updated_at,
        orders.loaded_at,

        -- data quality of the row itself (a credit note's contact is its order's: not checked)
        case
            when identity.contact_id is null and orders.credited_order_id is null then 'orphan_contact'
            {%- if fx_rule == 'quarantine' %}
                when fx.is_extrapolated then 'no_fx_rate_for_date'
            {%- endif %}
        end as row_reason_code

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

),

-- a credit note follows the order it credits: unknown, quarantined or not loaded yet
checked as (

    select
        converted.*,
        case when converted.is_credit_note then credited.master_contact_id else converted.master_contact_id end
            as customer_contact_id,
        case
            when not converted.is_credit_note then converted.row_reason_code
            when order_ids.order_id is null then 'unknown_credited_order'
            when order_ids.has_visible = 0 then 'after_as_of'
            when credited.order_id is null or credited.row_reason_code is not null then 'parent_quarantined'
            else converted.row_reason_code
        end as relational_reason_code
    from converted
    left join order_ids
        on converted.credited_order_id = order_ids.order_id
    left join converted as credited
        on
            converted.credited_order_id = credited.order_id
            and not credited.is_credit_note

),

credits as (

    select
        credited_order_id as order_id,
        sum(abs(total_amount)) as credited_amount
    from checked
    where is_credit_note and relational_reason_code is null
    group by credited_order_id

),

netted as (

    select
        -- ids
        checked.order_id,
        checked.raw_row_key,
        checked.contact_id,
        checked.customer_contact_id as master_contact_id,
        checked.credited_order_id,

        -- order
        checked.is_credit_note,
        checked.order_status,
        checked.is_completed,
        checked.is_cancelled,
        checked.is_refunded,
        checked.sales_channel,

        -- amounts
        checked.currency_code,
        checked.total_amount_local,
        checked.total_amount,
        cast(coalesce(credits.credited_amount, 0) as decimal(18, 2)) as credited_amount,
        cast(
            case
                when checked.is_credit_note then 0
                else least(
                    checked.total_amount,
                    coalesce(
                        checked.own_refund_amount,
                        case when checked.is_refunded then checked.total_amount else 0 end
                    )
                    + coalesce(credits.credited_amount, 0)
                )
            end as decimal(18, 2)
        ) as refunded_amount,
        checked.is_fx_rate_extrapolated,

        -- timestamps
        checked.ordered_at,
        checked.ordered_on,
        checked.updated_at,
        checked.loaded_at,

        -- data quality
        checked.relational_reason_code

    from checked
    left join credits
        on checked.order_id = credits.order_id and not checked.is_credit_note

),

final as (

    select
        netted.*,
        cast(
            case when netted.is_credit_note then 0 else netted.total_amount - netted.refunded_amount end
            as decimal(18, 2)
        ) as net_amount
    from netted

)

select * from final
