{#- How a staging model of a large raw table (events, orders, order lines) is materialised: `incremental` on DuckDB
    and PostgreSQL, where an incremental build recomputes only the business keys that changed since the previous
    build (models/staging/base/base_*_refresh, D104), `table` on Spark, whose Parquet tables take no DELETE. -#}
{% macro refresh_materialization() -%}
    {{ return(adapter.dispatch('refresh_materialization', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__refresh_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__refresh_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
