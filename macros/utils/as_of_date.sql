{#- The one as-of date of a build. Every time-dependent model reads it through as_of_date_value and the macros
    built on it (macros/utils), never the clock. -#}

{#- SQL date literal of the as-of date. -#}
{% macro as_of_date() -%}
    cast('{{ as_of_date_value() }}' as date)
{%- endmacro %}
