{#- Exclusive upper bound of what a build as of D may read: D + 1 day at 00:00. A row is visible when its
    timestamp is strictly before it, i.e. dated on or before D. -#}
{% macro as_of_cutoff() -%}
    {%- set d = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    cast('{{ d.strftime("%Y-%m-%d") }} 00:00:00' as timestamp)
{%- endmacro %}
