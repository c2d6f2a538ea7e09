{#- Fails when the model's row count differs from another model's (optionally filtered) row count: catches fan-out
    or lost rows between layers. `compare_model` is a ref(); `compare_where` filters it (e.g. "dq_status = 'current'"),
    `where_clause` filters the tested model. Returns one row with both counts. -#}
{% test row_count_matches_model(model, compare_model, compare_where=none, where_clause=none) %}

with

model_rows as (

    select count(*) as row_count
    from {{ model }}
    {% if where_clause %}where {{ where_clause }}{% endif %}

),

compare_rows as (

    select count(*) as row_count
    from {{ compare_model }}
    {% if compare_where %}where {{ compare_where }}{% endif %}

),

final as (

    select
        '{{ model.identifier }}' as model_name,
        model_rows.row_count as model_row_count,
        '{{ compare_model.identifier }}' as compare_model_name,
        compare_rows.row_count as compare_row_count
    from model_rows
    cross join compare_rows
    where model_rows.row_count <> compare_rows.row_count

)

select * from final

{% endtest %}
