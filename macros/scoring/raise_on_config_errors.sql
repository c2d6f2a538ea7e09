{#- Post-hook of a configuration validation model (int_scoring__config_errors, int_activation__config_errors: columns
    config_table, row_key, problem): fails the build, listing every problem, when the `what` configuration is invalid.
    Each line names the seed, the offending row and what is wrong. -#}
{% macro raise_on_config_errors(relation, what='scoring') %}
    {%- if execute -%}
        {%- set result = run_query("select config_table, row_key, problem from " ~ relation
            ~ " order by config_table, row_key, problem") -%}
        {%- if result.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in result.rows -%}
                {%- do lines.append("  - " ~ row[0] ~ " (" ~ row[1] ~ "): " ~ row[2]) -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "Invalid " ~ what ~ " configuration, " ~ (result.rows | length) ~ " problem(s):\n" ~ (lines | join("\n"))
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
