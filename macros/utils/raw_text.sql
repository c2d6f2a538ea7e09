{#- ------------------------------------------------------------------------------------------------------------
    Dialect-aware parsing of raw text. Every macro takes a SQL expression of text that is already trimmed and NULL
    when empty (see raw_text) and a dialect (see raw_dialect), and returns a typed value or NULL: never an error,
    whatever the text holds.
    ------------------------------------------------------------------------------------------------------------ -#}

{#- Trimmed text of any value, NULL when empty. -#}
{% macro raw_text(expression) -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}
