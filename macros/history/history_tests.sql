{#- Generic test on score_factor_history: for the build's as-of date, the points of every entity and profile add up
    to its score in `score_model` (score_history) exactly, to the cent, and every score has factors and every
    factor a score. Returns each (profile, entity_id) that does not, with both sums. The other dates were tested by
    the builds that wrote them. -#}
{% test history_factors_add_up_to_score(model, score_model) %}

with

scores as (

    select * from {{ score_model }}
    where as_of_date = {{ as_of_date() }}

),

factors as (

    select * from {{ model }}
    where as_of_date = {{ as_of_date() }}

),

factor_sums as (

    select
        profile,
        entity_id,
        sum(points) as factor_points
    from factors
    group by profile, entity_id

),

final as (

    select
        coalesce(scores.profile, factor_sums.profile) as profile,
        coalesce(scores.entity_id, factor_sums.entity_id) as entity_id,
        scores.score,
        factor_sums.factor_points
    from scores
    full outer join factor_sums
        on
            scores.profile = factor_sums.profile
            and scores.entity_id = factor_sums.entity_id
    where not coalesce(scores.score = factor_sums.factor_points, false)

)

select * from final

{% endtest %}

{#- Generic test on a history model: for the build's as-of date, fails when a combination of `columns` appears on
    more than one row (as unique_combination does on a whole table); returns each with its row count. -#}
{% test history_unique_per_date(model, columns) %}

select
    {% for column in columns %}{{ column }}, {% endfor %}
    count(*) as row_count
from {{ model }}
where as_of_date = {{ as_of_date() }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}

{#- Generic test on a history model: returns every row of the build's as-of date for which the boolean
    `expression` is false or NULL (as expression_is_true does on a whole table). Usable on a model or a column. -#}
{% test history_rows_are_true(model, expression, column_name=none) %}

select *
from {{ model }}
where
    as_of_date = {{ as_of_date() }}
    and not coalesce(({{ expression }}), false)

{% endtest %}

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
