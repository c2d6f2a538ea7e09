{#- The exclusive as-of cutoff of the previous successful build of this work database, as a 'YYYY-MM-DD HH:MM:SS'
    string, when the runner chose an incremental build (var refresh_since, set by the runner only: D104); none
    otherwise. A value that is not before this build's cutoff (an as-of date moved back) counts as none: every key is
    recomputed. -#}
{% macro refresh_since() -%}
    {%- set since = var('refresh_since', none) -%}
    {%- if since is none or since == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.strptime(since[:10], '%Y-%m-%d') -%}
    {%- set cutoff = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    {%- if parsed > cutoff -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(parsed.strftime('%Y-%m-%d %H:%M:%S')) }}
{%- endmacro %}
