{#- Statistics of a table as soon as it is built (project-wide post-hook, dbt_project.yml), so the models and tests
    that read it are planned on its real row counts and values rather than on a guess until autovacuum gets to it
    (which made the same build's plans, and its time, vary from run to run). PostgreSQL only; a view has no
    statistics of its own (D97). -#}
{% macro analyze_relation(relation, materialized) -%}
    {{ return(adapter.dispatch('analyze_relation', 'customer_scoring')(relation, materialized)) }}
{%- endmacro %}

{% macro default__analyze_relation(relation, materialized) -%}
{%- endmacro %}

{% macro postgres__analyze_relation(relation, materialized) -%}
    {%- if materialized in ('table', 'incremental') -%}
        analyze {{ relation }}
    {%- endif -%}
{%- endmacro %}
