{#- A timestamp column that already has a timestamp type, as UTC without time zone. `with_zone`: the column carries
    its time zone (converted to UTC); otherwise it is a wall-clock time in the dialect's time zone. -#}
{% macro utc_timestamp(expression, with_zone, timezone='UTC') -%}
    {{ return(adapter.dispatch('utc_timestamp', 'customer_scoring')(expression, with_zone, timezone)) }}
{%- endmacro %}

{% macro default__utc_timestamp(expression, with_zone, timezone='UTC') -%}
    {%- if with_zone -%}
        cast({{ expression }} at time zone 'UTC' as timestamp)
    {%- elif timezone | upper == 'UTC' -%}
        cast({{ expression }} as timestamp)
    {%- else -%}
        cast((cast({{ expression }} as timestamp) at time zone '{{ timezone }}') at time zone 'UTC' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- Spark: timestamp is an instant shown in the session time zone (UTC, pinned in profiles.yml), timestamp_ntz a
    wall-clock time: a wall-clock time is converted from the dialect's time zone. -#}
{% macro spark__utc_timestamp(expression, with_zone, timezone='UTC') -%}
    {%- if with_zone or timezone | upper == 'UTC' -%}
        cast({{ expression }} as timestamp)
    {%- else -%}
        to_utc_timestamp(cast({{ expression }} as timestamp_ntz), '{{ timezone }}')
    {%- endif -%}
{%- endmacro %}
