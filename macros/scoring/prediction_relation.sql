{#- A select of the rows of the runner-written relation source('predict', name) that belong to this build's as-of
    date. When the relation does not exist (a plain `dbt build`, with no predict step, or a new work database) it
    selects no row, with the column types declared in models/marts/model/_model__sources.yml, so every model reading
    it still builds: predictions are null and model_status says why. -#}
{% macro prediction_relation(name) -%}
    {%- set relation = source('predict', name) -%}
    {%- set found = load_relation(relation) if execute else none -%}
    {%- if found is not none -%}
        select * from {{ relation }} where as_of_date = {{ as_of_date() }}
    {%- else -%}
        {%- set node = graph.sources['source.customer_scoring.predict.' ~ name] if execute else none -%}
        select
        {%- if node is not none %}
            {%- for column in node.columns.values() %}
            cast(null as {{ cs_sql_type(column.data_type) }}) as {{ column.name }}{{ ',' if not loop.last }}
            {%- endfor %}
        {%- else %}
            cast(null as date) as as_of_date
        {%- endif %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
