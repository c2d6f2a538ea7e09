{% macro window_start(as_of, days) -%}
    {%- if as_of is none -%}{{ as_of_date_minus(days) }}{%- else -%}{{ date_minus_days(as_of, days) }}{%- endif -%}
{%- endmacro %}
