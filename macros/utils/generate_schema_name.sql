{#- Models land in the schema their folder names (staging, intermediate, marts, audit, config), so BI tools and exports
    read `marts.customer_scores` whatever the target. Set CS_SCHEMA_PREFIX to keep several builds apart in one
    warehouse database (a prefix `ci` gives `ci_marts`). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = env_var('CS_SCHEMA_PREFIX', '') | trim -%}
    {%- set base = (custom_schema_name | trim) if custom_schema_name is not none else target.schema -%}
    {%- if prefix -%}{{ prefix }}_{{ base }}{%- else -%}{{ base }}{%- endif -%}
{%- endmacro %}
