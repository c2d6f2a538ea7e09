{#- The relation of a history table (score_history, score_factor_history) as the erasure log finds it before the
    history models run: none on the first build. The history tables keep their schema in a backtest
    (generate_schema_name), as the erasure log does. -#}
{% macro privacy_history_relation(name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set schema = generate_schema_name('marts', model) | trim -%}
    {{ return(adapter.get_relation(database=this.database, schema=schema, identifier=name)) }}
{%- endmacro %}
