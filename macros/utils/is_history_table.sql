{#- True for a node that accumulates the history of every build (an incremental model tagged `history`): the one node
    kind a backtest writes where the regular build does. -#}
{% macro is_history_table(node) -%}
    {%- if node is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set config = node.config if node.config is defined else {} -%}
    {%- set tags = (config.tags if config.tags is defined else []) or [] -%}
    {%- set node_tags = (node.tags if node.tags is defined else []) or [] -%}
    {%- set materialized = config.materialized if config.materialized is defined else none -%}
    {{ return(('history' in tags or 'history' in node_tags) and materialized == 'incremental') }}
{%- endmacro %}
