-- How the scores and tiers of each profile move from period to period (an as-of date of score_history on or before
-- the build's), so that a team sees a tier fill or empty. One row per profile, period and tier: the tier's entities
-- and share, and its share in the previous period; and, repeated on every tier row of the profile and period, the
-- distribution of the scores (entities, mean, nearest-rank percentiles p10-p90) and two population stability indexes
-- against the previous period of the same profile: over 10 fixed score bins [0, 10), [10, 20), ..., [90, 100] and
-- over the tiers, each with its standard reading (below 0.1 stable, 0.1-0.25 moderate, above 0.25 shift). An empty
-- bin or tier counts as a share of 0.0001 (macro population_stability_index_term). The first period of a profile has
-- no previous period: its indexes are NULL. Every tier of the profile (tier_thresholds, and any other tier found in
-- its history) has a row in every period.
{%- set score_bins = 10 %}

with

history as (

    {{ history_as_of(ref('score_history')) }}

),

thresholds as (

    select * from {{ ref('tier_thresholds') }}

),

positioned as (

    select
        profile,
        as_of_date as period,
        entity_type,
        score,
        tier,
        case
            {%- for b in range(score_bins - 1, 0, -1) %}
                when score >= {{ b * 10 }} then {{ b }}
            {%- endfor %}
            else 0
        end as score_bin,
        row_number() over (partition by profile, as_of_date order by score asc) as score_position,
        count(*) over (partition by profile, as_of_date) as period_entities
    from history

),

-- the distribution of the scores; percentile q is the smallest score with at least q of the entities at or below it
-- (nearest rank, as percentile_disc), found with whole numbers only
periods as (

    select
        profile,
        period,
        max(entity_type) as entity_type,
        count(*) as entities,
        sum(score) as score_total,
        {%- for q in (10, 25, 50, 75, 90) %}
            min(case when 100 * score_position >= {{ q }} * period_entities then score end) as score_p{{ q }},
        {%- endfor %}
        min(score) as score_min,
        max(score) as score_max
    from positioned
    group by profile, period

),

previous_periods as (

    select
        profile,
        period,
        lag(period) over (partition by profile order by period) as previous_period
    from periods

),

-- score bins: every bin of every period, empty ones included
bin_counts as (

    select
        profile,
        period,
        score_bin,
        count(*) as bin_entities
    from positioned
    group by profile, period, score_bin

),

bins as (

    {%- for b in range(score_bins) %}
        select {{ b }} as score_bin
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

bin_shares as (

    select
        periods.profile,
        periods.period,
        bins.score_bin,
        cast(coalesce(bin_counts.bin_entities, 0) as {{ type_double() }}) / periods.entities as bin_share
    from periods
    cross join bins
    left join bin_counts
        on
            periods.profile = bin_counts.profile
            and periods.period = bin_counts.period
            and bins.score_bin = bin_counts.score_bin

),

score_psi as (

    select
        previous_periods.profile,
        previous_periods.period,
        sum({{ population_stability_index_term('current_bins.bin_share', 'previous_bins.bin_share') }}) as psi
    from previous_periods
    inner join bin_shares as current_bins
        on
            previous_periods.profile = current_bins.profile
            and previous_periods.period = current_bins.period
    inner join bin_shares as previous_bins
        on
            previous_periods.profile = previous_bins.profile
            and previous_periods.previous_period = previous_bins.period
            and current_bins.score_bin = previous_bins.score_bin
    group by previous_periods.profile, previous_periods.period

),

-- tiers: every tier of the profile in every period, empty ones included
tier_counts as (

    select
        profile,
        period,
        tier,
        count(*) as tier_entities
    from positioned
    group by profile, period, tier

),

{{ period_tier_grid_ctes(
    'periods', 'tier_counts', 'thresholds', period_columns=['entities'], count_columns=['tier_entities']
) }}

tier_shares as (

    select
        profile,
        period,
        tier,
        tier_rank,
        tier_entities,
        cast(tier_entities as {{ type_double() }}) / entities as tier_share
    from period_tiers

),

tier_moves as (

    select
        current_tiers.profile,
        current_tiers.period,
        current_tiers.tier,
        current_tiers.tier_rank,
        current_tiers.tier_entities,
        current_tiers.tier_share,
        previous_periods.previous_period,
        previous_tiers.tier_share as previous_tier_share,
        {{ population_stability_index_term('current_tiers.tier_share', 'previous_tiers.tier_share') }} as psi_term
    from tier_shares as current_tiers
    inner join previous_periods
        on
            current_tiers.profile = previous_periods.profile
            and current_tiers.period = previous_periods.period
    left join tier_shares as previous_tiers
        on
            current_tiers.profile = previous_tiers.profile
            and previous_periods.previous_period = previous_tiers.period
            and current_tiers.tier = previous_tiers.tier

),

tier_psi as (

    select
        profile,
        period,
        sum(psi_term) as psi
    from tier_moves
    where previous_period is not null
    group by profile, period

),

final as (

    select
        -- ids
        cast(tier_moves.profile as {{ dbt.type_string() }}) as profile,
        cast(tier_moves.period as date) as period,
        cast(tier_moves.tier as {{ dbt.type_string() }}) as tier,
        cast(periods.entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(tier_moves.tier_rank as {{ dbt.type_int() }}) as tier_rank,
        cast(tier_moves.previous_period as date) as previous_period,

        -- tier
        cast(tier_moves.tier_entities as {{ dbt.type_int() }}) as tier_entities,
        cast({{ round_decimal('tier_moves.tier_share', 6) }} as decimal(7, 6)) as tier_share,
        cast({{ round_decimal('tier_moves.previous_tier_share', 6) }} as decimal(7, 6)) as previous_tier_share,
        cast(
            {{ round_decimal('tier_moves.tier_share - tier_moves.previous_tier_share', 6) }} as decimal(7, 6)
        ) as tier_share_change,

        -- scores of the profile and period
        cast(periods.entities as {{ dbt.type_int() }}) as entities,
        cast({{ round_decimal('periods.score_total / periods.entities', 2) }} as decimal(5, 2)) as score_mean,
        cast(periods.score_min as decimal(5, 2)) as score_min,
        {%- for q in (10, 25, 50, 75, 90) %}
            cast(periods.score_p{{ q }} as decimal(5, 2)) as score_p{{ q }},
        {%- endfor %}
        cast(periods.score_max as decimal(5, 2)) as score_max,

        -- stability against the previous period of the profile
        cast({{ round_decimal('score_psi.psi', 6) }} as decimal(12, 6)) as psi_score,
        cast(
            {{ population_stability_reading(round_decimal('score_psi.psi', 6)) }} as {{ dbt.type_string() }}
        ) as psi_score_reading,
        cast({{ round_decimal('tier_psi.psi', 6) }} as decimal(12, 6)) as psi_tier,
        cast(
            {{ population_stability_reading(round_decimal('tier_psi.psi', 6)) }} as {{ dbt.type_string() }}
        ) as psi_tier_reading

    from tier_moves
    inner join periods
        on
            tier_moves.profile = periods.profile
            and tier_moves.period = periods.period
    left join score_psi
        on
            tier_moves.profile = score_psi.profile
            and tier_moves.period = score_psi.period
    left join tier_psi
        on
            tier_moves.profile = tier_psi.profile
            and tier_moves.period = tier_psi.period

)

select * from final
