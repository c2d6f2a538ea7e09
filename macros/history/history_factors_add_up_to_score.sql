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
