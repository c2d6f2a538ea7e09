{#- `column` is a ';'-separated list (audiences.tiers, audiences.columns) holding `item` as one of its elements:
    a plain text search, so that no character of a name acts as a wildcard. -#}
{% macro activation_list_has(list_column, item) -%}
    (position(';' || {{ item }} || ';' in ';' || {{ list_column }} || ';') > 0)
{%- endmacro %}
