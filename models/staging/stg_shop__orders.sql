{{ config(
    materialized=refresh_materialization(),
    incremental_strategy='append',
    pre_hook="{{ refresh_delete('base_shop__orders_refresh', ['order_id']) }}"
) }}
-- Incremental on DuckDB and PostgreSQL (D104): a build after an earlier one recomputes only the order_ids that
-- base_shop__orders_refresh lists (new or corrected rows, rows that changed status with the as-of date);
-- the pre-hook deletes their rows first. depends_on: {{ ref('base_shop__orders_refresh') }}
with

source as (

    select * from (
        {{ raw_source('shop', 'orders') }}
    ) as raw_rows
    {{ refresh_filter('base_shop__orders_refresh', refresh_key([clean_text('raw_rows.order_id')])) }}

),

statuses as (

    select * from {{ ref('order_statuses') }}

),

currencies as (

    -- the reporting currency converts at 1 without a rate row
    select upper(trim(currency_code)) as currency_code from {{ ref('fx_rates') }}
    union
    select '{{ var("reporting_currency") }}' as currency_code

),

renamed as (

    select
        -- ids
        {{ clean_text('source.order_id') }} as order_id,
        {{ clean_text('source.contact_id') }} as contact_id,

        -- order
        {{ clean_text('source.status') }} as status_raw,
        lower({{ clean_text('source.status') }}) as order_status,
        upper({{ clean_text('source.currency') }}) as currency_code,
        cast(source.total_amount as decimal(18, 2)) as total_amount,
        lower({{ clean_text('source.channel') }}) as sales_channel,

        -- refunds: a partial refund of this order, or this row is a credit note for another order
        abs(cast(source.refunded_amount as decimal(18, 2))) as refunded_amount,
        {{ clean_text('source.credited_order_id') }} as credited_order_id,

        -- timestamps
        source.ordered_at,
        source.updated_at,
        coalesce(
            source._loaded_at, source.updated_at,
            source.ordered_at
        ) as loaded_at,

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
        renamed.*,
        case
            when renamed._malformed_line is not null then 'malformed_line'
            when renamed.order_id is null then 'missing_id'
            when renamed._unreadable_quarantine = 'total_amount' then 'non_numeric_amount'
            when renamed._unreadable_quarantine is not null then 'unreadable_value'
            when renamed._out_of_domain_code is not null then renamed._out_of_domain_code
            when renamed.ordered_at is null then 'missing_date'
            when renamed.ordered_at >= {{ as_of_cutoff() }} then 'future_date'
            when statuses.order_status is null then 'unknown_status'
            when currencies.currency_code is null then 'unknown_currency'
            when renamed.total_amount is null then 'non_numeric_amount'
            -- a credit note's amount is a credit whatever its sign; any other negative amount is a defect
            when renamed.total_amount < 0 and renamed.credited_order_id is null then 'negative_amount'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        renamed.credited_order_id is not null as is_credit_note,
        -- repairs, counted in dq_repairs
        statuses.order_status is not null and renamed.status_raw <> renamed.order_status as is_status_normalised,
        renamed._unreadable_nulled is not null as is_value_unreadable
    from renamed
    left join statuses
        on renamed.order_status = statuses.order_status
    left join currencies
        on renamed.currency_code = currencies.currency_code

),

classified as (

    {{ dq_classify(
        'flagged', ['order_id'],
        'loaded_at desc, updated_at desc nulls last, ordered_at, order_status, total_amount',
        erased='is_erased'
    ) }}

)

select * from classified
