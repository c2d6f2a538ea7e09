-- Do the tiers convert? One row per profile, period (an as-of date of score_history on or before the build's) and
-- tier: how many entities the tier held, how many converted in the following window (int_history__score_outcomes:
-- a purchase for customer profiles, a first order or won deal for lead profiles, a won deal or order for accounts,
-- within var tier_performance_window_days, as known on the build's as-of date), the conversion rate with its 95 %
-- Wilson interval, the period's base rate, the lift over it and the share of all conversions the tier captured;
-- and per profile and period whether the tiers convert in order: rates strictly falling from the best tier (highest
-- tier_thresholds.min_score) down, over the tiers with at least var tier_performance_min_population entities. Every
-- tier of the profile (tier_thresholds, and any other tier found in its history) has a row in every period, empty
-- ones with a population of 0. A period whose window is not over on the build's as-of date keeps its population and
-- has NULL conversion columns (never a partial count called a rate).
{%- set min_population = var('tier_performance_min_population', 30) %}
{%- if not modules.re.match('^[0-9]+$', min_population | string | trim) or (min_population | int) < 1 %}
    {{ exceptions.raise_compiler_error(
        "var tier_performance_min_population must be a whole number of entities, 1 or more, got '"
        ~ min_population ~ "'"
    ) }}
{%- endif %}
{%- set min_population = min_population | int %}

with

scored as (

    select * from {{ ref('int_history__score_outcomes') }}

),

thresholds as (

    select * from {{ ref('tier_thresholds') }}

),

-- one pass over the scores: entities and conversions per profile, period and tier
tier_counts as (

    select
        profile,
        as_of_date as period,
        tier,
        window_days,
        window_end_on,
        is_window_complete,
        max(entity_type) as entity_type,
        count(*) as population,
        sum(case when is_converted then 1 else 0 end) as conversions
    from scored
    group by profile, as_of_date, tier, window_days, window_end_on, is_window_complete

),

periods as (

    select
        profile,
        period,
        window_days,
        window_end_on,
        is_window_complete,
        max(entity_type) as entity_type,
        sum(population) as period_population,
        case when is_window_complete then sum(conversions) end as period_conversions
    from tier_counts
    group by profile, period, window_days, window_end_on, is_window_complete

),

-- every tier of the profile in every period, best first by min_score; a tier found in the history but no longer in
-- the seeds keeps its rows, unranked
{{ period_tier_grid_ctes(
    'periods', 'tier_counts', 'thresholds',
    period_columns=[
        'entity_type', 'window_days', 'window_end_on', 'is_window_complete', 'period_population', 'period_conversions'
    ],
    count_columns=['population', 'conversions']
) }}

measured as (

    select
        profile,
        period,
        entity_type,
        tier,
        tier_rank,
        min_score,
        window_days,
        window_end_on,
        is_window_complete,
        period_population,
        period_conversions,
        cast(population as {{ dbt.type_bigint() }}) as population,
        cast(case when is_window_complete then conversions end as {{ dbt.type_bigint() }}) as conversions
    from period_tiers

),

-- the tiers judged for order, each next to the better tier judged before it
judged as (

    select
        profile,
        period,
        population,
        conversions,
        lag(population) over (partition by profile, period order by tier_rank) as better_population,
        lag(conversions) over (partition by profile, period order by tier_rank) as better_conversions
    from measured
    where
        is_window_complete
        and tier_rank is not null
        and population >= {{ min_population }}

),

-- a tier is out of order when it converts at least as often as the better one (rates compared as exact fractions)
order_check as (

    select
        profile,
        period,
        count(*) as tiers_compared,
        sum(
            case
                when
                    better_population is not null
                    and better_conversions * population <= conversions * better_population
                    then 1
                else 0
            end
        ) as inversions
    from judged
    group by profile, period

),

final as (

    select
        -- ids
        cast(measured.profile as {{ dbt.type_string() }}) as profile,
        cast(measured.period as date) as period,
        cast(measured.tier as {{ dbt.type_string() }}) as tier,
        cast(measured.entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(measured.tier_rank as {{ dbt.type_int() }}) as tier_rank,
        cast(measured.min_score as decimal(18, 2)) as tier_min_score,

        -- population
        cast(measured.population as {{ dbt.type_int() }}) as population,
        cast(
            {{ round_decimal('cast(measured.population as ' ~ type_double() ~ ') / measured.period_population', 6) }}
            as decimal(7, 6)
        ) as share_of_population,
        measured.population >= {{ min_population }} as meets_min_population,

        -- outcome window
        cast(measured.window_days as {{ dbt.type_int() }}) as window_days,
        cast(measured.window_end_on as date) as window_end_on,
        measured.is_window_complete,

        -- conversions (NULL while the window is open)
        cast(measured.conversions as {{ dbt.type_int() }}) as conversions,
        cast(
            {{ round_decimal(
                'cast(measured.conversions as ' ~ type_double() ~ ') / nullif(measured.population, 0)', 6
            ) }} as decimal(7, 6)
        ) as conversion_rate,
        cast(
            case
                when measured.conversions is not null
                    then {{ round_decimal(wilson_interval('measured.conversions', 'measured.population', 'low'), 6) }}
            end as decimal(7, 6)
        ) as conversion_rate_low,
        cast(
            case
                when measured.conversions is not null
                    then {{ round_decimal(wilson_interval('measured.conversions', 'measured.population', 'high'), 6) }}
            end as decimal(7, 6)
        ) as conversion_rate_high,
        cast(
            {{ round_decimal(
                'cast(measured.period_conversions as ' ~ type_double() ~ ') / measured.period_population', 6
            ) }} as decimal(7, 6)
        ) as base_rate,
        cast(
            {{ round_decimal(
                'cast(measured.conversions as ' ~ type_double() ~ ') * measured.period_population'
                ~ ' / nullif(cast(measured.population as ' ~ type_double() ~ ') * measured.period_conversions, 0)', 4
            ) }} as decimal(12, 4)
        ) as lift,
        cast(
            {{ round_decimal(
                'cast(measured.conversions as ' ~ type_double() ~ ') / nullif(measured.period_conversions, 0)', 6
            ) }} as decimal(7, 6)
        ) as share_of_conversions,

        -- order of the tiers in the profile and period (NULL while the window is open or with fewer than 2 tiers to
        -- compare)
        cast(
            case when measured.is_window_complete then coalesce(order_check.tiers_compared, 0) end
            as {{ dbt.type_int() }}
        ) as tiers_compared,
        case
            when measured.is_window_complete and order_check.tiers_compared >= 2 then order_check.inversions = 0
        end as tiers_in_order

    from measured
    left join order_check
        on
            measured.profile = order_check.profile
            and measured.period = order_check.period

)

select * from final
