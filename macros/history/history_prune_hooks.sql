{#- Retention of an incremental history model: the post-hooks that delete its rows older than `var(var_name)` days
    before the newest as-of date in the table (rows of that date minus N days are kept). The var unset, empty or
    none: no hook, everything is kept. Anything but a whole number of days >= 0 fails the build naming the var. -#}
{% macro history_prune_hooks(var_name) -%}
    {%- set raw = var(var_name, none) -%}
    {%- if raw is none or (raw | string | trim | lower) in ('', 'none', 'null') -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]+$', raw | string | trim) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a whole number of days (0 or more) or none, got '" ~ raw ~ "'"
        ) }}
    {%- endif -%}
    {{ return(["{{ history_prune_sql(this, " ~ (raw | string | trim | int) ~ ") }}"]) }}
{%- endmacro %}
