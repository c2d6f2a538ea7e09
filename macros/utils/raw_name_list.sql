{#- Comma-separated names of the columns whose check fired, NULL when none. -#}
{% macro raw_name_list(checks, separator=', ') -%}
    {%- if checks -%}
        nullif(concat_ws('{{ separator }}', {{ checks | join(', ') }}), '')
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
