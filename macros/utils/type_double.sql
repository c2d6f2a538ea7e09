{#- An 8-byte float on every engine. dbt's type_float is `float`, a 4-byte float on DuckDB but 8 bytes on
    PostgreSQL, so engine results would differ in the last cents. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
