-- The order ids (refresh_key) whose lines an incremental build recomputes in stg_shop__order_items (every line of an
-- order: lines without a number are numbered within their order), or one NULL row for all of them (a full build, or
-- history that changed under the watermark): macro refresh_keys, D104.
with

source as (

    {{ raw_source('shop', 'order_items') }}

),

raw_keys as (

    -- the staging model's order id and load time (stg_shop__order_items)
    select
        {{ refresh_key([clean_text('source.order_id')]) }} as refresh_key,
        source._loaded_at as loaded_at,
        {{ refresh_row_hash('source') }} as row_hash
    from source

),

{{ refresh_keys(
    'raw_keys', refresh_previous('stg_shop__order_items'), refresh_previous(this.name), refresh_since(), ['order_id'],
    erased_now="order_id in (select erased.order_id from " ~ ref('stg_shop__orders') ~ " as erased where erased.dq_status = 'erased')"
) }}
