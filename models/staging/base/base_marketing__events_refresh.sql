-- The event ids (refresh_key) that an incremental build recomputes in stg_marketing__events, or one NULL row for
-- all of them (a full build, or history that changed under the watermark): macro refresh_keys, D104.
with

source as (

    {{ raw_source('marketing', 'events') }}

),

raw_rows as (

    -- the staging model's key and load time (stg_marketing__events)
    select
        {{ clean_text('source.event_id') }} as event_id,
        coalesce(source._loaded_at, source.occurred_at) as loaded_at,
        {{ refresh_row_hash('source') }} as row_hash
    from source

),

raw_keys as (

    select
        {{ refresh_key(['event_id']) }} as refresh_key,
        loaded_at,
        row_hash
    from raw_rows

),

{{ refresh_keys(
    'raw_keys', refresh_previous('stg_marketing__events'), refresh_previous(this.name), refresh_since(), ['event_id'],
    dated='occurred_at', erased_now=privacy_is_erased('contact_id')
) }}
