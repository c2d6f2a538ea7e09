{#- dbt-spark's listagg drops the order by (a warning at parse), so the list order would be arbitrary and differ from
    DuckDB's and PostgreSQL's. Spark 4 has listagg(x, d) within group (order by ...). Only the Spark variant lives
    here: the other engines use dbt's own. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg: limit_num is not supported on Spark by this project') }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
