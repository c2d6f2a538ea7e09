{#- Post-hook of int_scoring__config_errors: fails the build, listing every problem, when the scoring
    configuration is invalid. Each line names the seed, the offending row and what is wrong. -#}
{% macro raise_on_config_errors(relation) %}
    {%- if execute -%}
        {%- set result = run_query("select config_table, row_key, problem from " ~ relation
            ~ " order by config_table, row_key, problem") -%}
        {%- if result.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in result.rows -%}
                {%- do lines.append("  - " ~ row[0] ~ " (" ~ row[1] ~ "): " ~ row[2]) -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "Invalid scoring configuration, " ~ (result.rows | length) ~ " problem(s):\n" ~ (lines | join("\n"))
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
