{#- The master record's value of an attribute, as an aggregate over the group's member rows (is_master marks the one
    master record of the group); see macro survivor. -#}
{% macro master_value(column) -%}
    max(case when is_master then {{ column }} end)
{%- endmacro %}
