{#- Fails when the model does not hold exactly one row per row of the raw source table: a staging model that drops
    or duplicates a raw row returns one row naming the model, the source table and both counts. The raw table is
    found as staging finds it (raw_source_from): an absent optional table has 0 rows. -#}
{% test row_count_matches_source(model, source_name, table_name) %}

with

model_rows as (

    select count(*) as row_count from {{ model }}

),

source_rows as (

    {%- set raw_from = raw_source_from(source_name, table_name) %}
    {%- if raw_from is none %}
    select 0 as row_count
    {%- else %}
    select count(*) as row_count from {{ raw_from }} as raw_rows
    {%- endif %}

),

final as (

    select
        '{{ model.identifier }}' as model_name,
        model_rows.row_count as model_row_count,
        '{{ source_name }}.{{ table_name }}' as source_table,
        source_rows.row_count as source_row_count
    from model_rows
    cross join source_rows
    where model_rows.row_count <> source_rows.row_count

)

select * from final

{% endtest %}
