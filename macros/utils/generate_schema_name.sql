{#- Models land in the schema their folder names (staging, intermediate, marts, audit, config), so BI tools and exports
    read `marts.customer_scores` whatever the target. Set CS_SCHEMA_PREFIX to keep several builds apart in one
    warehouse database (a prefix `ci` gives `ci_marts`).
    A backtest (`customer-scoring backtest`) parses with the var `backtest_schema_prefix` (`backtest`): every node then
    lands in `backtest_<schema>` (`backtest_marts`; `backtest_build_marts` on a warehouse, on top of CS_SCHEMA_PREFIX),
    away from the regular build's tables, except the history tables themselves: the incremental models tagged
    `history` (score_history, score_factor_history) keep their schema, so the backtest's dates are appended to the
    one history the regular build appends to. The history folder's other models (tier_changes, tier_performance,
    score_drift: full rebuilds) are prefixed like the rest. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = env_var('CS_SCHEMA_PREFIX', '') | trim -%}
    {%- set base = (custom_schema_name | trim) if custom_schema_name is not none else target.schema -%}
    {%- set schema = (prefix ~ '_' ~ base) if prefix else base -%}
    {%- set backtest = var('backtest_schema_prefix', '') | string | trim -%}
    {%- if backtest in ('', 'None', 'none') or is_history_table(node) -%}
        {{ schema }}
    {%- else -%}
        {{ backtest }}_{{ schema }}
    {%- endif -%}
{%- endmacro %}
