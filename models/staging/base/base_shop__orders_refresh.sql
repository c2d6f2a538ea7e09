-- The order ids (refresh_key) that an incremental build recomputes in stg_shop__orders, or one NULL row for all of
-- them (a full build, or history that changed under the watermark): macro refresh_keys, D104.
with

source as (

    {{ raw_source('shop', 'orders') }}

),

raw_keys as (

    -- the staging model's key and load time (stg_shop__orders)
    select
        {{ refresh_key([clean_text('source.order_id')]) }} as refresh_key,
        coalesce(source._loaded_at, source.updated_at, source.ordered_at) as loaded_at,
        {{ refresh_row_hash('source') }} as row_hash
    from source

),

{{ refresh_keys(
    'raw_keys', refresh_previous('stg_shop__orders'), refresh_previous(this.name), refresh_since(), ['order_id'],
    dated='ordered_at', erased_now=privacy_is_erased('contact_id')
) }}
