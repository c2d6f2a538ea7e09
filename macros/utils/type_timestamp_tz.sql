{#- A timestamp type that carries its time zone (an instant): timestamp with time zone on DuckDB and PostgreSQL; on
    Spark plain timestamp is an instant (shown in the session time zone). -#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}
