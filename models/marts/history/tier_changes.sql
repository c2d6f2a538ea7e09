-- Every change of tier in score_history: one row per entity, profile and pair of consecutive as-of dates of that
-- entity and profile whose tiers differ (an entity's first appearance is not a change), with the scores before and
-- after, the direction (tiers rank by tier_thresholds.min_score of the profile) and the three factors whose points
-- moved most between the two dates (score_factor_history). Rebuilt in full from the history at every build.
with

history as (

    select * from {{ ref('score_history') }}

),

factors as (

    select * from {{ ref('score_factor_history') }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

sequenced as (

    select
        as_of_date,
        profile,
        entity_type,
        entity_id,
        score,
        tier,
        lag(as_of_date) over (
            partition by profile, entity_type, entity_id order by as_of_date
        ) as previous_as_of_date,
        lag(score) over (partition by profile, entity_type, entity_id order by as_of_date) as previous_score,
        lag(tier) over (partition by profile, entity_type, entity_id order by as_of_date) as previous_tier
    from history

),

changes as (

    select
        as_of_date,
        previous_as_of_date,
        profile,
        entity_type,
        entity_id,
        previous_tier as from_tier,
        tier as to_tier,
        previous_score as score_before,
        score as score_after
    from sequenced
    where
        previous_as_of_date is not null
        and tier <> previous_tier

),

-- the two dates a change compares: its own (side 1) and the previous one (side 0)
sides as (

    select 0 as side
    union all
    select 1 as side

),

change_dates as (

    select
        changes.as_of_date,
        changes.profile,
        changes.entity_type,
        changes.entity_id,
        sides.side,
        case when sides.side = 1 then changes.as_of_date else changes.previous_as_of_date end as factor_date
    from changes
    cross join sides

),

-- the points of each factor after the change (side 1) and, negated, before it (side 0)
factor_sides as (

    select
        change_dates.as_of_date,
        change_dates.profile,
        change_dates.entity_type,
        change_dates.entity_id,
        factors.factor,
        change_dates.side,
        case when change_dates.side = 1 then factors.points else -factors.points end as points
    from change_dates
    inner join factors
        on
            change_dates.factor_date = factors.as_of_date
            and change_dates.profile = factors.profile
            and change_dates.entity_type = factors.entity_type
            and change_dates.entity_id = factors.entity_id

),

-- changes whose factors are kept on both dates (var factor_history_days may have deleted the older ones)
explained as (

    select
        as_of_date,
        profile,
        entity_type,
        entity_id
    from factor_sides
    group by as_of_date, profile, entity_type, entity_id
    having min(side) = 0 and max(side) = 1

),

-- a factor present on one date only (a rule that fired, the bounds cut) moved from or to 0 points
moves as (

    select
        as_of_date,
        profile,
        entity_type,
        entity_id,
        factor,
        cast(sum(points) as decimal(18, 2)) as moved_points
    from factor_sides
    group by as_of_date, profile, entity_type, entity_id, factor
    having sum(points) <> 0

),

ranked_moves as (

    select
        as_of_date,
        profile,
        entity_type,
        entity_id,
        factor,
        moved_points,
        row_number() over (
            partition by as_of_date, profile, entity_type, entity_id
            order by abs(moved_points) desc, factor asc
        ) as move_rank
    from moves

),

moved_factors as (

    select
        as_of_date,
        profile,
        entity_type,
        entity_id,
        {{ dbt.listagg(
            "factor || ': ' || case when moved_points >= 0 then '+' else '' end || "
            ~ dbt.cast("moved_points", dbt.type_string()),
            "', '",
            "order by move_rank"
        ) }} as moved_factors
    from ranked_moves
    where move_rank <= 3
    group by as_of_date, profile, entity_type, entity_id

),

final as (

    select
        -- keys
        changes.as_of_date,
        changes.previous_as_of_date,
        cast(changes.profile as {{ dbt.type_string() }}) as profile,
        cast(changes.entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(changes.entity_id as {{ dbt.type_string() }}) as entity_id,

        -- change
        cast(changes.from_tier as {{ dbt.type_string() }}) as from_tier,
        cast(changes.to_tier as {{ dbt.type_string() }}) as to_tier,
        cast(changes.score_before as decimal(5, 2)) as score_before,
        cast(changes.score_after as decimal(5, 2)) as score_after,
        cast(
            case
                when to_tiers.min_score > from_tiers.min_score then 'up'
                when to_tiers.min_score < from_tiers.min_score then 'down'
                -- a tier no longer in tier_thresholds: the scores say which way
                when changes.score_after > changes.score_before then 'up'
                when changes.score_after < changes.score_before then 'down'
            end as {{ dbt.type_string() }}
        ) as direction,

        -- explanation: '' when no factor moved, NULL when the factors of either date are not kept
        cast(
            case when explained.entity_id is not null then coalesce(moved_factors.moved_factors, '') end
            as {{ dbt.type_string() }}
        ) as moved_factors

    from changes
    left join tiers as from_tiers
        on
            changes.profile = from_tiers.profile
            and changes.from_tier = from_tiers.tier
    left join tiers as to_tiers
        on
            changes.profile = to_tiers.profile
            and changes.to_tier = to_tiers.tier
    left join explained
        on
            changes.as_of_date = explained.as_of_date
            and changes.profile = explained.profile
            and changes.entity_type = explained.entity_type
            and changes.entity_id = explained.entity_id
    left join moved_factors
        on
            changes.as_of_date = moved_factors.as_of_date
            and changes.profile = moved_factors.profile
            and changes.entity_type = moved_factors.entity_type
            and changes.entity_id = moved_factors.entity_id

)

select * from final
