-- The criteria contributions of a customer and profile (int_customer__score_contributions) add up to its
-- weighted_points (int_customer__profile_scores), and each side has a row for every pair of the other. Returns each
-- pair that does not reconcile.
with

contributions as (

    select * from {{ ref('int_customer__score_contributions') }}

),

scores as (

    select * from {{ ref('int_customer__profile_scores') }}

),

contribution_sums as (

    select
        profile,
        entity_id,
        sum(contribution_points) as contribution_points
    from contributions
    group by profile, entity_id

),

final as (

    select
        coalesce(scores.profile, contribution_sums.profile) as profile,
        coalesce(scores.entity_id, contribution_sums.entity_id) as entity_id,
        scores.weighted_points,
        contribution_sums.contribution_points
    from scores
    full outer join contribution_sums
        on
            scores.profile = contribution_sums.profile
            and scores.entity_id = contribution_sums.entity_id
    where not coalesce(scores.weighted_points = contribution_sums.contribution_points, false)

)

select * from final
