{#- A calendar date from text under the dialect's date order (no time-zone conversion: a birth date is a date). -#}
{% macro parse_date(text, dialect) -%}
    cast({{ adapter.dispatch('parse_timestamp', 'customer_scoring')(year_first(text, dialect.date_order), 'UTC') }}
        as date)
{%- endmacro %}
