{% macro as_of_date_value() -%}
    {%- set raw = var('as_of_date', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d') -%}
        {%- if execute and flags.WHICH in ('run', 'build', 'test') -%}
            {{ log("as_of_date is not set: using the run's start date " ~ value ~ " (pass --vars '{as_of_date: YYYY-MM-DD}' for a reproducible build)", info=false) }}
        {%- endif -%}
    {%- else -%}
        {%- set value = raw | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("var as_of_date must be a date written YYYY-MM-DD, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- set parsed = modules.datetime.datetime.strptime(value, '%Y-%m-%d') -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
