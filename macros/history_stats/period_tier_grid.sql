{#- The tiers of each profile in every period, as three CTE definitions each followed by a comma, to be placed inside
    the model's `with` after the CTEs it names:
    - `profile_tiers`: the tiers of each profile, those of tier_thresholds and any other found in `tier_counts` (a
      tier of the history no longer in the seeds keeps its rows);
    - `ranked_tiers`: profile, tier, min_score and tier_rank, 1 for the tier with the highest min_score (D32: tiers
      rank by threshold, never by name; ties by name), NULL for a tier without a threshold;
    - `period_tiers`: one row per row of `periods` and tier of its profile, empty tiers included: profile, period,
      the `period_columns` of `periods`, tier, tier_rank, min_score, and the `count_columns` of `tier_counts`, 0 for
      a tier without a row there.
    `periods` has one row per profile and period, `tier_counts` one per profile, period and tier, `thresholds` is
    shaped like tier_thresholds (profile, tier, min_score). -#}
{% macro period_tier_grid_ctes(periods, tier_counts, thresholds, period_columns=[], count_columns=[]) -%}
profile_tiers as (

    select
        profile,
        tier
    from {{ thresholds }}
    union
    select
        profile,
        tier
    from {{ tier_counts }}

),

ranked_tiers as (

    select
        profile_tiers.profile,
        profile_tiers.tier,
        tier_thresholds.min_score,
        case
            when tier_thresholds.min_score is not null
                then row_number() over (
                    partition by profile_tiers.profile
                    order by tier_thresholds.min_score desc nulls last, profile_tiers.tier asc
                )
        end as tier_rank
    from profile_tiers
    left join {{ thresholds }} as tier_thresholds
        on
            profile_tiers.profile = tier_thresholds.profile
            and profile_tiers.tier = tier_thresholds.tier

),

period_tiers as (

    select
        period_rows.profile,
        period_rows.period,
        {%- for column in period_columns %}
        period_rows.{{ column }},
        {%- endfor %}
        ranked_tiers.tier,
        ranked_tiers.tier_rank,
        ranked_tiers.min_score
        {%- for column in count_columns %},
        coalesce(tier_count_rows.{{ column }}, 0) as {{ column }}
        {%- endfor %}
    from {{ periods }} as period_rows
    inner join ranked_tiers
        on period_rows.profile = ranked_tiers.profile
    left join {{ tier_counts }} as tier_count_rows
        on
            period_rows.profile = tier_count_rows.profile
            and period_rows.period = tier_count_rows.period
            and ranked_tiers.tier = tier_count_rows.tier

),
{%- endmacro %}
