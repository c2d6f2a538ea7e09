-- Customer scores for every scoring profile, as of the as-of date: one row per customer and profile (a profile
-- added to the seeds appears here with no schema change).
with

scores as (

    select * from {{ ref('int_customer__profile_scores') }}

),

final as (

    select
        -- ids
        cast(scores.entity_id || ':' || scores.profile as {{ dbt.type_string() }}) as customer_profile_id,
        cast(scores.entity_id as {{ dbt.type_string() }}) as contact_id,
        cast(scores.profile as {{ dbt.type_string() }}) as profile,
        {{ as_of_date() }} as as_of_date,

        -- score
        cast(scores.score as decimal(18, 2)) as score,
        cast(scores.weighted_points as decimal(18, 2)) as weighted_points,
        cast(scores.rule_points as decimal(18, 2)) as rule_points,
        cast(scores.bounds_points as decimal(18, 2)) as bounds_points,
        cast(scores.missing_criteria as {{ dbt.type_int() }}) as missing_criteria,

        -- tier
        cast(scores.tier as {{ dbt.type_string() }}) as tier,
        cast(scores.recommended_action as {{ dbt.type_string() }}) as recommended_action,

        -- explanation
        cast(scores.top_factors as {{ dbt.type_string() }}) as top_factors

    from scores

)

select * from final
