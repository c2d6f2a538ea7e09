{#- The number of elements of a ';'-separated list (an empty element counts). -#}
{% macro activation_list_length(list_column) -%}
    (length({{ list_column }}) - length(replace({{ list_column }}, ';', '')) + 1)
{%- endmacro %}
