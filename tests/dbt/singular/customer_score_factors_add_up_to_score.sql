-- The factors of a customer and profile (customer_score_factors) add up to its score (customer_profile_scores)
-- exactly, to the cent, and every scored customer and profile has factors. Returns each pair that does not.
with

scores as (

    select * from {{ ref('customer_profile_scores') }}

),

factors as (

    select * from {{ ref('customer_score_factors') }}

),

factor_sums as (

    select
        contact_id,
        profile,
        sum(points) as factor_points
    from factors
    group by contact_id, profile

),

final as (

    select
        scores.contact_id,
        scores.profile,
        scores.score,
        factor_sums.factor_points
    from scores
    left join factor_sums
        on
            scores.contact_id = factor_sums.contact_id
            and scores.profile = factor_sums.profile
    where not coalesce(scores.score = factor_sums.factor_points, false)

)

select * from final
