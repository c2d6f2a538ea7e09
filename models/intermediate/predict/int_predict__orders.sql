-- A view, not a table: its scoring cut-off is int_orders itself (every order of the as-of date), which a table would
-- copy; its two readers (int_predict__order_facts, int_predict__purchase_timing) compute the past cut-offs (the
-- training sample, small) in their own queries.
{{ config(materialized='view') }}
-- The clean orders (int_orders) as of every cut-off: one row per cut-off and order (credit notes included), as a
-- build as of that cut-off has them. Order versions come with their validity intervals (macro pit_versions, the key
-- and version order of stg_shop__orders; an order dated after a cut-off is a future date then): a 'completed' version
-- later replaced by a 'refunded' one is completed at the cut-offs before the new version was loaded. Each cut-off
-- then applies the checks and netting of int_orders__validated with what it knew: the contact map of that cut-off
-- (int_predict__identity), and only the credit notes current then (a credit note loaded after a cut-off does not
-- reduce the order's net amount at it). Past cut-offs hold the orders of the training sample only: the versions of
-- orders whose contact is in no past cut-off's contact map (int_predict__identity holds the sample) are orphans at
-- every past cut-off and are left out before the spine join; credit notes follow their order. The scoring cut-off
-- (the as-of date) is int_orders itself, which a build as of that date computes.
{%- set fx_rule = var('fx_before_first_rate', 'earliest') %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

staged as (

    select * from {{ ref('stg_shop__orders') }}

),

statuses as (

    select * from {{ ref('order_statuses') }}

),

identity as (

    select * from {{ ref('int_predict__identity') }}

),

as_of_orders as (

    select * from {{ ref('int_orders') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

-- the contacts of the past cut-offs' contact maps (the training sample)
sampled_contacts as (

    select distinct identity.contact_id
    from identity
    inner join cutoffs
        on identity.cutoff_date = cutoffs.cutoff_date
    where not cutoffs.is_scoring_row

),

-- every version of the orders one of whose versions belongs to the sample, and of the credit notes: the versions of
-- the other orders are orphans at every past cut-off, and leaving whole keys out keeps the validity intervals. The
-- lookups here and in order_ids read the staging table itself, not the CTE: DuckDB materialises a CTE read more than
-- once (10M orders at 1M contacts, spilled to disk), where another scan of the table costs a second
sampled_staged as (

    select *
    from staged
    where order_id in (
        select sampled_orders.order_id
        from {{ ref('stg_shop__orders') }} as sampled_orders
        where
            sampled_orders.credited_order_id is not null
            or sampled_orders.contact_id in (select sampled_contacts.contact_id from sampled_contacts)
    )

),

versions as (

    {{ pit_versions(
        'sampled_staged', ['order_id'],
        'loaded_at desc, updated_at desc nulls last, ordered_at, order_status, total_amount',
        dated_by='ordered_at'
    ) }}

),

sampled_versions as (

    select *
    from versions
    where
        credited_order_id is not null
        or contact_id in (select sampled_contacts.contact_id from sampled_contacts)

),

-- the first day a version of each order id (not a credit note) was loaded, valid or not (int_orders__validated's
-- has_visible: a credit note for an order not loaded yet waits with it)
order_ids as (

    select
        order_id,
        min(coalesce(cast(loaded_at as date), cast('0001-01-01' as date))) as first_visible_on
    from {{ ref('stg_shop__orders') }}
    where
        order_id is not null
        and credited_order_id is null
        -- only the orders a credit note credits are looked up
        and order_id in (
            select credit_notes.credited_order_id
            from {{ ref('stg_shop__orders') }} as credit_notes
            where credit_notes.credited_order_id is not null
        )
    group by order_id

),

-- the order status and the reporting currency of each version, once per version (they do not depend on the cut-off)
priced_versions as (

    select
        sampled_versions.*,
        coalesce(statuses.is_completed, false) as is_completed_status,
        {{ reporting_amount('sampled_versions.total_amount', 'fx.rate_to_reporting') }} as total_amount_reporting,
        {{ reporting_amount('sampled_versions.refunded_amount', 'fx.rate_to_reporting') }}
            as own_refund_amount_reporting,
        fx.is_extrapolated as is_fx_extrapolated
    from sampled_versions
    left join statuses
        on sampled_versions.order_status = statuses.order_status
    left join fx
        on
            sampled_versions.currency_code = fx.currency_code
            and sampled_versions.ordered_at >= fx.valid_from
            and sampled_versions.ordered_at < fx.valid_to

),

orders as (

    select
        cutoffs.cutoff_date,
        priced_versions.*
    from cutoffs
    inner join priced_versions
        on {{ pit_is_current('priced_versions', 'cutoffs') }}
    where not cutoffs.is_scoring_row

),

converted as (

    select
        -- ids
        orders.cutoff_date,
        orders.order_id,
        orders.contact_id,
        identity.master_contact_id,
        orders.credited_order_id,

        -- order
        orders.credited_order_id is not null as is_credit_note,
        orders.order_status,
        orders.is_completed_status and orders.credited_order_id is null as is_completed,
        orders.order_status = 'cancelled' and orders.credited_order_id is null as is_cancelled,
        orders.order_status = 'refunded' and orders.credited_order_id is null as is_refunded,
        orders.sales_channel,

        -- amounts
        orders.currency_code,
        orders.total_amount as total_amount_local,
        orders.total_amount_reporting as total_amount,
        orders.own_refund_amount_reporting as own_refund_amount,

        -- timestamps
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_on,
        orders.updated_at,

        -- data quality of the row itself (a credit note's contact is its order's: not checked)
        case
            when identity.contact_id is null and orders.credited_order_id is null then 'orphan_contact'
            {%- if fx_rule == 'quarantine' %}
                when orders.is_fx_extrapolated then 'no_fx_rate_for_date'
            {%- endif %}
        end as row_reason_code

    from orders
    left join identity
        on
            orders.cutoff_date = identity.cutoff_date
            and orders.contact_id = identity.contact_id

),

-- a credit note follows the order it credits: unknown, quarantined or not loaded yet at the cut-off (only the credit
-- notes are looked up: an order's own checks are its row's)
checked as (

    select
        converted.*,
        converted.master_contact_id as customer_contact_id,
        converted.row_reason_code as relational_reason_code
    from converted
    where not converted.is_credit_note

    union all

    select
        converted.*,
        credited.master_contact_id as customer_contact_id,
        case
            when order_ids.order_id is null then 'unknown_credited_order'
            when order_ids.first_visible_on > converted.cutoff_date then 'after_as_of'
            when credited.order_id is null or credited.row_reason_code is not null then 'parent_quarantined'
            else converted.row_reason_code
        end as relational_reason_code
    from converted
    left join order_ids
        on converted.credited_order_id = order_ids.order_id
    left join converted as credited
        on
            converted.cutoff_date = credited.cutoff_date
            and converted.credited_order_id = credited.order_id
            and not credited.is_credit_note
    where converted.is_credit_note

),

credits as (

    select
        cutoff_date,
        credited_order_id as order_id,
        sum(abs(total_amount)) as credited_amount
    from checked
    where is_credit_note and relational_reason_code is null
    group by cutoff_date, credited_order_id

),

netted as (

    select
        checked.cutoff_date,
        checked.order_id,
        checked.customer_contact_id as contact_id,
        checked.contact_id as source_contact_id,
        checked.credited_order_id,
        checked.is_credit_note,
        checked.order_status,
        checked.is_completed,
        checked.is_cancelled,
        checked.is_refunded,
        checked.sales_channel,
        checked.currency_code,
        checked.total_amount_local,
        checked.total_amount,
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
        checked.ordered_at,
        checked.ordered_on,
        checked.updated_at
    from checked
    left join credits
        on
            checked.cutoff_date = credits.cutoff_date
            and checked.order_id = credits.order_id
            and not checked.is_credit_note
    where checked.relational_reason_code is null

),

final as (

    select
        -- ids
        cutoff_date,
        order_id,
        contact_id,
        source_contact_id,
        credited_order_id,

        -- order
        is_credit_note,
        order_status,
        is_completed,
        is_cancelled,
        is_refunded,
        sales_channel,

        -- amounts
        currency_code,
        total_amount_local,
        total_amount,
        refunded_amount,
        cast(case when is_credit_note then 0 else total_amount - refunded_amount end as decimal(18, 2)) as net_amount,

        -- timestamps
        ordered_at,
        ordered_on,
        updated_at

    from netted

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        order_id,
        contact_id,
        source_contact_id,
        credited_order_id,

        -- order
        is_credit_note,
        order_status,
        is_completed,
        is_cancelled,
        is_refunded,
        sales_channel,

        -- amounts
        currency_code,
        total_amount_local,
        total_amount,
        refunded_amount,
        net_amount,

        -- timestamps
        ordered_at,
        ordered_on,
        updated_at
    from as_of_orders

)

select * from final
