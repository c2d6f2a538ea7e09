{#- Post-hook of base_crm__erased_contacts in a regular build: when the build erases anyone, drop the backtest's
    scratch schemas (`backtest_<schema>` for every schema of the project: `customer-scoring backtest` builds there
    with var backtest_schema_prefix 'backtest', customer_scoring/backtest.py PREFIX). They hold staged contacts,
    pii.contacts and intermediate tables as of past dates, when the person was not erased yet, and nothing reads
    them after the backtest (its history rows are in the regular history tables, which the history post-hooks
    clean). A backtest rebuilds them whole. Nothing happens in a backtest itself, nor when nobody is erased. -#}
{% macro privacy_drop_backtest_schemas(relation) -%}
    {%- set backtest = var('backtest_schema_prefix', '') | string | trim -%}
    {%- if execute and backtest in ('', 'None', 'none') -%}
        {%- set erased = run_query('select count(*) from ' ~ relation).rows[0][0] -%}
        {%- if erased > 0 -%}
            {%- set schemas = [] -%}
            {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
                {%- if ('backtest_' ~ node.schema) not in schemas -%}
                    {%- do schemas.append('backtest_' ~ node.schema) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for schema in schemas | sort -%}
                {%- do adapter.drop_schema(api.Relation.create(database=relation.database, schema=schema)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
