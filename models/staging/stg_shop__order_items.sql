{{ config(
    materialized=refresh_materialization(),
    incremental_strategy='append',
    pre_hook="{{ refresh_delete('base_shop__order_items_refresh', ['order_id']) }}"
) }}
-- Incremental on DuckDB and PostgreSQL (D104): a build after an earlier one recomputes only the order_ids that
-- base_shop__order_items_refresh lists (new or corrected rows, rows that changed status with the as-of date);
-- the pre-hook deletes their rows first. depends_on: {{ ref('base_shop__order_items_refresh') }}
with

source as (

    select * from (
        {{ raw_source('shop', 'order_items') }}
    ) as raw_rows
    {{ refresh_filter('base_shop__order_items_refresh', refresh_key([clean_text('raw_rows.order_id')])) }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.order_id') }} as order_id,
        -- an export without line numbers: lines are numbered within their order
        coalesce(
            source.line_number,
            row_number() over (
                partition by {{ clean_text('source.order_id') }}
                order by {{ clean_text('source.product_id') }}, source.quantity, source.unit_price, source.discount
            )
        ) as line_number,
        {{ clean_text('source.product_id') }} as product_id,

        -- numerics (in the order's currency)
        source.quantity,
        cast(source.unit_price as decimal(18, 4)) as unit_price,
        cast(coalesce(source.discount, 0) as decimal(9, 4)) as discount_rate,

        -- timestamps
        source._loaded_at as loaded_at,

        -- values that could not be read (raw_source)
        source._unreadable_quarantine,
        source._unreadable_nulled,
        source._out_of_domain_code,
        source._out_of_domain_nulled as out_of_domain_nulled,
        source._malformed_line,
        source._unreadable_detail as unreadable_detail

    from source

),

flagged as (

    select
        *,
        case
            when _malformed_line is not null then 'malformed_line'
            when order_id is null or line_number is null then 'missing_id'
            when _unreadable_quarantine = 'unit_price' then 'non_numeric_amount'
            when _unreadable_quarantine = 'quantity' then 'invalid_quantity'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when unit_price is null then 'non_numeric_amount'
            when unit_price < 0 then 'negative_amount'
            -- an otherwise valid line of an order of a person erased as of the as-of date
            when
                order_id in (
                    select erased.order_id from {{ ref('stg_shop__orders') }} as erased
                    where erased.dq_status = 'erased'
                )
                then 'erased'
        end as dq_reason_code,
        -- a line of an order of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce(
            order_id in (
                select erased.order_id from {{ ref('stg_shop__orders') }} as erased
                where erased.dq_status = 'erased'
            ),
            false
        ) as is_erased,
        -- repairs, counted in dq_repairs
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['order_id', 'line_number'],
        'loaded_at desc, product_id, quantity, unit_price',
        erased='is_erased'
    ) }}

)

select * from classified
