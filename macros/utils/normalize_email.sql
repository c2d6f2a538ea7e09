{#- E-mail address as clean_text makes it, lower-cased (NULL when empty). Validity is checked by is_valid_email. -#}
{% macro normalize_email(expression) -%}
    {{ clean_text(expression, lower_case=true) }}
{%- endmacro %}
