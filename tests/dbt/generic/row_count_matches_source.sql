{#- Fails when the model does not hold exactly one row per row of the raw source table: a staging model that drops
    or duplicates a raw row returns one row naming the model, the source table and both counts. -#}
{% test row_count_matches_source(model, source_name, table_name) %}

with

model_rows as (

    select count(*) as row_count from {{ model }}

),

source_rows as (

    select count(*) as row_count from {{ source(source_name, table_name) }}

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
