-- Why each customer scored what it did, as of the as-of date: one row per customer, profile and factor (a
-- weighted criterion, a points rule that fired, or the bounds cut). The factors of a customer and profile add up
-- to its score exactly. A criterion at weight 0 in a profile is not its factor (a sensitive attribute such as
-- gender_fit appears only where a profile weighs it).
with

contributions as (

    select * from {{ ref('int_customer__score_contributions') }}

),

points as (

    select * from {{ ref('int_customer__score_points') }}

),

scores as (

    select * from {{ ref('int_customer__profile_scores') }}

),

factors as (

    select
        entity_id,
        profile,
        criterion as factor,
        'criterion' as factor_kind,
        value_number,
        value_text,
        normalized_value,
        weight,
        contribution_points as points
    from contributions
    -- a criterion the profile does not weigh (weight 0) is not a factor of it: its value (gender_fit, shipped at 0
    -- in acquire) is published only where a profile uses it
    where weight <> 0
    union all
    select
        entity_id,
        profile,
        rule_id as factor,
        'rule' as factor_kind,
        cast(occurrences as {{ type_double() }}) as value_number,
        cast(null as {{ dbt.type_string() }}) as value_text,
        cast(null as decimal(18, 6)) as normalized_value,
        cast(null as decimal(18, 4)) as weight,
        points_awarded as points
    from points
    union all
    select
        entity_id,
        profile,
        'bounds' as factor,
        'bounds' as factor_kind,
        cast(null as {{ type_double() }}) as value_number,
        cast(null as {{ dbt.type_string() }}) as value_text,
        cast(null as decimal(18, 6)) as normalized_value,
        cast(null as decimal(18, 4)) as weight,
        bounds_points as points
    from scores
    where bounds_points <> 0

),

final as (

    select
        -- ids
        cast(entity_id || ':' || profile || ':' || factor as {{ dbt.type_string() }}) as customer_factor_id,
        cast(entity_id as {{ dbt.type_string() }}) as contact_id,
        cast(profile as {{ dbt.type_string() }}) as profile,
        cast(factor as {{ dbt.type_string() }}) as factor,
        cast(factor_kind as {{ dbt.type_string() }}) as factor_kind,

        -- values
        cast(value_number as {{ type_double() }}) as value_number,
        cast(value_text as {{ dbt.type_string() }}) as value_text,
        cast(normalized_value as decimal(18, 6)) as normalized_value,
        cast(weight as decimal(18, 4)) as weight,
        cast(points as decimal(18, 2)) as points

    from factors

)

select * from final
