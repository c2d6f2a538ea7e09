{#- SQL date literal of the as-of date minus `days` days: the exclusive start of a look-back window ending on the
    as-of date (a row dated d is inside the window of n days when d > as_of_date_minus(n)). -#}
{% macro as_of_date_minus(days) -%}
    {%- set d = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d')
        - modules.datetime.timedelta(days=days | int) -%}
    cast('{{ d.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}
