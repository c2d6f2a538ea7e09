{#- A 64-bit hash of a whole row (the alias of a relation or CTE in the FROM clause), summed by refresh_keys to
    fingerprint the raw rows a build sees. Engine functions: DuckDB hash() of the row as a struct, PostgreSQL
    hashtextextended() of the row's text, Spark xxhash64() of the row's JSON. -#}
{% macro refresh_row_hash(alias) -%}
    {{ return(adapter.dispatch('refresh_row_hash', 'customer_scoring')(alias)) }}
{%- endmacro %}

{% macro default__refresh_row_hash(alias) -%}
    hash({{ alias }})
{%- endmacro %}

{% macro postgres__refresh_row_hash(alias) -%}
    hashtextextended(cast({{ alias }} as text), 0)
{%- endmacro %}

{% macro spark__refresh_row_hash(alias) -%}
    xxhash64(to_json(struct({{ alias }}.*)))
{%- endmacro %}
