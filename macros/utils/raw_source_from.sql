{#- What to select a raw table's rows from (a relation, or a DuckDB file reader with its malformed lines), as staging
    reads it; none when the table is absent (or at parse time). -#}
{% macro raw_source_from(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set info = raw_relation_info(source_name, table_name, relation, raw_dialect(source_name, table_name)) -%}
    {{ return(raw_malformed_lines(info) if info.exists else none) }}
{%- endmacro %}
