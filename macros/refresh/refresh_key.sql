{#- The text key of a row for incremental refresh: the business-key columns, NULL-safe ('<null>'), joined by '|',
    as dq_classify partitions them. -#}
{% macro refresh_key(key_columns, prefix='') -%}
    {%- for c in key_columns -%}
        coalesce(cast({{ prefix }}{{ c }} as {{ dbt.type_string() }}), '<null>'){% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%}
{%- endmacro %}
