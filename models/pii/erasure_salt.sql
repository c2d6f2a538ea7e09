-- The salt of audit.erasure_log's key hashes when env var CS_ERASURE_SALT and var erasure_salt are unset: one random
-- value, drawn by the first build and kept by every later one (incremental, never rebuilt by --full-refresh), in the
-- restricted pii schema that is never published. Without a stable salt the hashes of one person would differ from
-- build to build. A backtest draws its own in backtest_pii: it logs only a request no regular build has seen, which
-- a backtest's earlier as-of date practically never sees first.
{{ config(
    materialized='incremental',
    full_refresh=false,
    tags=['pii', 'privacy']
) }}

with

drawn as (

    select
        cast(
            replace(cast({{ random_uuid() }} as {{ dbt.type_string() }}), '-', '')
            || replace(cast({{ random_uuid() }} as {{ dbt.type_string() }}), '-', '')
            as {{ dbt.type_string() }}
        ) as salt

),

final as (

    select drawn.salt
    from drawn
    {%- if is_incremental() %}
        where not exists (select 1 from {{ this }})
    {%- endif %}

)

select * from final
