{#- Scoring engine, step 2: points rules (point_rules seed) that add or remove points, per profile and entity.

    activity_relation: one row per activity or per activity and day (entity_id, activity_type, days_before_as_of,
    and activity_count, the number of activities the row stands for; NULL counts as 1).
    A rule's condition is structured data, never SQL: `field`, `operator`, `value`.
    - Without window_days, `field` is a criterion of the entity and the rule fires when `value_<criterion>
      <operator> value` (operators =, !=, <, <=, >, >=, in, not_in; `in` lists are separated by '|'): points once.
    - With window_days, `field` is an activity type and the rule counts that activity in the window_days days up to
      the as-of date: per_occurrence rules give points per occurrence, the others give points once when
      `count <operator> value`.
    - With window_days and `per` (another activity type of the entity, e.g. order_placed), the measure is a rate:
      the count of `field` over the count of `per` in the same window (refunds per order placed), NULL when `per`
      did not occur (no rule fires). per_occurrence rules then give points x rate (the points are those of a rate of
      1: -60 with 1 refund in 2 orders gives -30, with 1 in 200 -0.30), the others points once when
      `rate <operator> value`. A count punishes volume (a big spender has more refunds); a rate does not.
    cap (optional) bounds a rule's total: at most cap for positive points, at least cap for negative ones.
    Returns one row per profile, entity and rule that awarded non-zero points. -#}
{% macro scoring_points(criteria_relation, activity_relation, entity_type) -%}
    {{ return(adapter.dispatch('scoring_points', 'customer_scoring')(criteria_relation, activity_relation, entity_type)) }}
{%- endmacro %}

{% macro default__scoring_points(criteria_relation, activity_relation, entity_type) -%}
with

criteria as (

    select * from {{ criteria_relation }}

),

activity as (

    select * from {{ activity_relation }}

),

profiles as (

    select * from {{ ref('scoring_profiles') }}
    where entity_type = '{{ entity_type }}'

),

rules as (

    select
        point_rules.rule_id,
        point_rules.profile,
        point_rules.field,
        point_rules.operator,
        cast(point_rules.value as {{ dbt.type_string() }}) as rule_value,
        {{ safe_decimal('cast(point_rules.value as ' ~ dbt.type_string() ~ ')', 18, 6) }} as rule_number,
        cast(point_rules.points as {{ type_double() }}) as points,
        coalesce(cast(point_rules.per_occurrence as boolean), false) as per_occurrence,
        cast(point_rules.window_days as {{ dbt.type_int() }}) as window_days,
        cast(point_rules.cap as {{ type_double() }}) as cap,
        nullif(trim(cast(point_rules.per as {{ dbt.type_string() }})), '') as per
    from {{ ref('point_rules') }} as point_rules
    inner join profiles
        on point_rules.profile = profiles.profile

),

entities as (

    select distinct entity_id from criteria

),

value_matches as (

    select
        rules.profile,
        criteria.entity_id,
        rules.rule_id,
        rules.points,
        rules.cap,
        cast(1 as {{ dbt.type_int() }}) as occurrences,
        {{ condition_is_met(
            'criteria.value_number', 'criteria.value_text', 'rules.operator', 'rules.rule_number', 'rules.rule_value'
        ) }} as is_met
    from criteria
    inner join rules
        on
            criteria.criterion = rules.field
            and rules.window_days is null

),

activity_counts as (

    select
        rules.rule_id,
        activity.entity_id,
        sum(case when activity.activity_type = rules.field then coalesce(activity.activity_count, 1) else 0 end)
        as occurrences,
        sum(case when activity.activity_type = rules.per then coalesce(activity.activity_count, 1) else 0 end)
        as base_occurrences
    from activity
    inner join rules
        on
            (activity.activity_type = rules.field or activity.activity_type = rules.per)
            and activity.days_before_as_of >= 0
            and activity.days_before_as_of < rules.window_days
    group by rules.rule_id, activity.entity_id

),

measured as (

    select
        rules.profile,
        entities.entity_id,
        rules.rule_id,
        rules.points,
        rules.cap,
        rules.operator,
        rules.rule_number,
        rules.rule_value,
        rules.per_occurrence,
        coalesce(activity_counts.occurrences, 0) as occurrences,
        case
            when rules.per is null then cast(coalesce(activity_counts.occurrences, 0) as {{ type_double() }})
            else
                cast(activity_counts.occurrences as {{ type_double() }})
                / nullif(activity_counts.base_occurrences, 0)
        end as measure
    from rules
    cross join entities
    left join activity_counts
        on
            rules.rule_id = activity_counts.rule_id
            and entities.entity_id = activity_counts.entity_id
    where rules.window_days is not null

),

window_matches as (

    select
        profile,
        entity_id,
        rule_id,
        points,
        cap,
        occurrences,
        measure,
        case
            when per_occurrence then coalesce(measure > 0, false)
            else {{ condition_is_met('measure', 'null', 'operator', 'rule_number', 'rule_value') }}
        end as is_met,
        per_occurrence
    from measured

),

awarded as (

    select
        profile,
        entity_id,
        rule_id,
        occurrences,
        points as raw_points,
        cap
    from value_matches
    where is_met
    union all
    select
        profile,
        entity_id,
        rule_id,
        occurrences,
        case when per_occurrence then points * measure else points end as raw_points,
        cap
    from window_matches
    where is_met

),

final as (

    select
        profile,
        entity_id,
        rule_id,
        cast(occurrences as {{ dbt.type_int() }}) as occurrences,
        cast(
            case
                when cap is null then raw_points
                when raw_points > 0 and raw_points > cap then cap
                when raw_points < 0 and raw_points < cap then cap
                else raw_points
            end as decimal(18, 2)
        ) as points_awarded
    from awarded

)

select * from final
where points_awarded <> 0
{%- endmacro %}
