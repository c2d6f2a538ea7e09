{#- Key used to look a country up in the country_aliases seed: clean_text lower-cased, without dots. -#}
{% macro country_lookup_key(expression) -%}
    {{ clean_text("replace(" ~ expression ~ ", '.', '')", lower_case=true) }}
{%- endmacro %}
