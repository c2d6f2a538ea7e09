{#- A 64-bit hash of a text key and a timestamp, summed by refresh_keys to compare the raw rows under the watermark
    with the previous staging table's. Engine functions: DuckDB hash(), PostgreSQL hashtextextended(), Spark
    xxhash64(); a NULL timestamp hashes as the text '<null>'. -#}
{% macro refresh_hash(key, ts) -%}
    {{ return(adapter.dispatch('refresh_hash', 'customer_scoring')(key, ts)) }}
{%- endmacro %}

{% macro default__refresh_hash(key, ts) -%}
    hash({{ key }}, coalesce(cast({{ ts }} as {{ dbt.type_string() }}), '<null>'))
{%- endmacro %}

{% macro postgres__refresh_hash(key, ts) -%}
    hashtextextended({{ key }} || '|' || coalesce(cast({{ ts }} as text), '<null>'), 0)
{%- endmacro %}

{% macro spark__refresh_hash(key, ts) -%}
    xxhash64({{ key }}, coalesce(cast({{ ts }} as string), '<null>'))
{%- endmacro %}
