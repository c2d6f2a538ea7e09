{#- A timestamp column that already has a timestamp type, as UTC without time zone. `with_zone`: the column carries
    its time zone (converted to UTC); otherwise it is a wall-clock time in the dialect's time zone. -#}
{% macro utc_timestamp(expression, with_zone, timezone='UTC') -%}
    {%- if with_zone -%}
        cast({{ expression }} at time zone 'UTC' as timestamp)
    {%- elif timezone | upper == 'UTC' -%}
        cast({{ expression }} as timestamp)
    {%- else -%}
        cast((cast({{ expression }} as timestamp) at time zone '{{ timezone }}') at time zone 'UTC' as timestamp)
    {%- endif -%}
{%- endmacro %}
