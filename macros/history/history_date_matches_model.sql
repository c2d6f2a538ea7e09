{#- Generic test on a history model: its rows of the build's as-of date that match `where_clause` are as many as the
    rows of `compare_model` (a mart of that build): nothing lost, nothing fanned out. Returns one row with both
    counts when they differ. -#}
{% test history_date_matches_model(model, compare_model, where_clause) %}

with

history_rows as (

    select count(*) as row_count
    from {{ model }}
    where as_of_date = {{ as_of_date() }} and ({{ where_clause }})

),

compare_rows as (

    select count(*) as row_count
    from {{ compare_model }}

),

final as (

    select
        history_rows.row_count as history_row_count,
        compare_rows.row_count as compare_row_count
    from history_rows
    cross join compare_rows
    where history_rows.row_count <> compare_rows.row_count

)

select * from final

{% endtest %}
