-- One row per current order (the newest valid version of each order_id), checked against the contact map and
-- converted to the reporting currency. Orders whose contact is unknown as of the as-of date carry a reason code and
-- go to quarantine; the others form int_orders. An order dated before its currency's first rate follows var
-- fx_before_first_rate: 'earliest' (default) converts it at that first rate and flags it (repair
-- fx_rate_extrapolated), 'quarantine' gives it reason no_fx_rate_for_date.
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

statuses as (

    select * from {{ ref('order_statuses') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

final as (

    select
        -- ids
        orders.order_id,
        orders.raw_row_key,
        orders.contact_id,
        identity.master_contact_id,

        -- order
        orders.order_status,
        coalesce(statuses.is_completed, false) as is_completed,
        orders.order_status = 'cancelled' as is_cancelled,
        orders.order_status = 'refunded' as is_refunded,
        orders.sales_channel,

        -- amounts
        orders.currency_code,
        orders.total_amount as total_amount_local,
        cast(round(orders.total_amount * fx.rate_to_reporting, 2) as decimal(18, 2)) as total_amount,
        fx.is_extrapolated as is_fx_rate_extrapolated,

        -- timestamps
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_on,
        orders.updated_at,
        orders.loaded_at,

        -- data quality
        case
            when identity.contact_id is null then 'orphan_contact'
            {%- if fx_rule == 'quarantine' %}
                when fx.is_extrapolated then 'no_fx_rate_for_date'
            {%- endif %}
        end as relational_reason_code

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

)

select * from final
