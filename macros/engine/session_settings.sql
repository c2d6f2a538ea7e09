{#- Settings of the transaction a model is built in (project-wide pre-hook, dbt_project.yml). PostgreSQL: no nested
    loops and no JIT compilation. Its planner estimates a CTE, a window function's filtered output or a freshly
    created table at a row or two, and then joins them by nested loops (minutes on the 2,000-contact demo, growing
    with the square of the rows); JIT compiles every query estimated as costly, which those same estimates make
    (11 s of compilation for a 1 s query in int_predict__lead_fit_inputs). Hash and merge joins remain, and a nested
    loop still runs where nothing else can (a join on inequalities only). Nothing on DuckDB (D97). -#}
{% macro session_settings() -%}
    {{ return(adapter.dispatch('session_settings', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__session_settings() -%}
{%- endmacro %}

{% macro postgres__session_settings() -%}
    set local enable_nestloop = off; set local jit = off
{%- endmacro %}
