{#- Written between a CTE's name and its body (`owned as {{ inline_cte() }} (`) for a CTE a query reads more than
    once: on DuckDB `not materialized`, so each reader reads the relation itself (DuckDB otherwise materialises a CTE
    read twice, even a plain `select * from` a table, and holds that copy in memory for the whole query: the offer
    candidates ran out of memory at 1M contacts with 11M owned items copied, and passed without the copy); nothing on
    other engines (PostgreSQL plans them as they are). -#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}
