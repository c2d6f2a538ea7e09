{#- ` and left.k = right.k` for every key column k (nothing when keys is empty). -#}
{% macro keys_match(left, right, keys) -%}
    {%- for k in keys %} and {{ left }}.{{ k }} = {{ right }}.{{ k }}{% endfor -%}
{%- endmacro %}
