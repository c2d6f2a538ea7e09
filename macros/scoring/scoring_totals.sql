{#- Scoring engine, step 3: score, tier, action and explanation per profile and entity.

    score = weighted criteria (0-100) + points rules, bounded to 0-100. Factors are the criteria contributions, the
    points rules awarded, and, when the bounds cut the sum, a 'bounds' factor for the cut: so the factors of an
    entity add up to its score exactly (all in points, rounded to cents). The tier is the profile's tier with the
    highest min_score not above the score (tier_thresholds seed), with its action. top_factors lists the three
    factors with the largest absolute points, e.g. 'recency_days: +22.50, refund: -30.00, overdue_ratio: +15.00';
    top_n=0 leaves it empty and skips the factor ranking (a caller that explains its scores itself: offers, where
    ranking every factor of millions of candidates would cost more than the totals).
    Returns one row per profile and entity. -#}
{% macro scoring_totals(contributions_relation, points_relation, entity_type, top_n=3) -%}
    {{ return(adapter.dispatch('scoring_totals', 'customer_scoring')(contributions_relation, points_relation, entity_type, top_n)) }}
{%- endmacro %}

{% macro default__scoring_totals(contributions_relation, points_relation, entity_type, top_n) -%}
with

contributions as (

    select * from {{ contributions_relation }}

),

points as (

    select * from {{ points_relation }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

weighted as (

    select
        profile,
        entity_id,
        sum(contribution_points) as weighted_points,
        sum(case when is_missing then 1 else 0 end) as missing_criteria
    from contributions
    group by profile, entity_id

),

rules as (

    select
        profile,
        entity_id,
        sum(points_awarded) as rule_points
    from points
    group by profile, entity_id

),

summed as (

    select
        weighted.profile,
        weighted.entity_id,
        weighted.weighted_points,
        weighted.missing_criteria,
        coalesce(rules.rule_points, 0) as rule_points,
        weighted.weighted_points + coalesce(rules.rule_points, 0) as raw_score
    from weighted
    left join rules
        on
            weighted.profile = rules.profile
            and weighted.entity_id = rules.entity_id

),

bounded as (

    select
        summed.*,
        case
            when raw_score > 100 then 100
            when raw_score < 0 then 0
            else raw_score
        end as score
    from summed

),

{%- if top_n > 0 %}

factors as (

    select
        profile,
        entity_id,
        criterion as factor,
        'criterion' as factor_kind,
        contribution_points as factor_points
    from contributions
    where contribution_points <> 0
    union all
    select
        profile,
        entity_id,
        rule_id as factor,
        'rule' as factor_kind,
        points_awarded as factor_points
    from points
    union all
    select
        profile,
        entity_id,
        'bounds' as factor,
        'bounds' as factor_kind,
        score - raw_score as factor_points
    from bounded
    where score <> raw_score

),

ranked_factors as (

    select
        factors.*,
        row_number() over (
            partition by profile, entity_id
            order by abs(factor_points) desc, factor asc
        ) as factor_rank
    from factors

),

top_factors as (

    select
        profile,
        entity_id,
        {{ dbt.listagg(
            "factor || ': ' || case when factor_points >= 0 then '+' else '' end || "
            ~ dbt.cast("factor_points", dbt.type_string()),
            "', '",
            "order by factor_rank"
        ) }} as top_factors
    from ranked_factors
    where factor_rank <= {{ top_n }}
    group by profile, entity_id

),

{%- endif %}

tiered as (

    select
        bounded.profile,
        bounded.entity_id,
        tiers.tier,
        tiers.action,
        row_number() over (
            partition by bounded.profile, bounded.entity_id order by tiers.min_score desc
        ) as tier_rank
    from bounded
    inner join tiers
        on
            bounded.profile = tiers.profile
            and bounded.score >= tiers.min_score

),

final as (

    select
        -- ids
        bounded.profile,
        bounded.entity_id,

        -- score
        cast(bounded.score as decimal(18, 2)) as score,
        cast(bounded.weighted_points as decimal(18, 2)) as weighted_points,
        cast(bounded.rule_points as decimal(18, 2)) as rule_points,
        cast(bounded.score - bounded.raw_score as decimal(18, 2)) as bounds_points,
        cast(bounded.missing_criteria as {{ dbt.type_int() }}) as missing_criteria,

        -- tier
        tiered.tier,
        tiered.action as recommended_action,

        -- explanation
        {%- if top_n > 0 %}
        coalesce(top_factors.top_factors, '') as top_factors
        {%- else %}
        cast('' as {{ dbt.type_string() }}) as top_factors
        {%- endif %}

    from bounded
    left join tiered
        on
            bounded.profile = tiered.profile
            and bounded.entity_id = tiered.entity_id
            and tiered.tier_rank = 1
    {%- if top_n > 0 %}
    left join top_factors
        on
            bounded.profile = top_factors.profile
            and bounded.entity_id = top_factors.entity_id
    {%- endif %}

)

select * from final
{%- endmacro %}
