{#- The part after the @ of a normalised address. -#}
{% macro email_domain(normalized_expression) -%}
    nullif(split_part({{ normalized_expression }}, '@', 2), '')
{%- endmacro %}
