{#- Scoring engine, step 2: points rules (point_rules seed) that add or remove points, per profile and entity.

    activity_relation: one row per activity or per activity and day (entity_id, activity_type, days_before_as_of,
    and activity_count, the number of activities the row stands for; NULL counts as 1).
    A rule's condition is structured data, never SQL: `field`, `operator`, `value`.
    - Without window_days, `field` is a criterion of the entity and the rule fires when `value_<criterion>
      <operator> value` (operators =, !=, <, <=, >, >=, in, not_in; `in` lists are separated by '|'): points once.
    - With window_days, `field` is an activity type and the rule counts that activity in the window_days days up to
      the as-of date: per_occurrence rules give points per occurrence, the others give points once when
      `count <operator> value`.
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
        cast(point_rules.cap as {{ type_double() }}) as cap
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
        sum(coalesce(activity.activity_count, 1)) as occurrences
    from activity
    inner join rules
        on
            activity.activity_type = rules.field
            and activity.days_before_as_of >= 0
            and activity.days_before_as_of < rules.window_days
    group by rules.rule_id, activity.entity_id

),

window_matches as (

    select
        rules.profile,
        entities.entity_id,
        rules.rule_id,
        rules.points,
        rules.cap,
        coalesce(activity_counts.occurrences, 0) as occurrences,
        case
            when rules.per_occurrence then coalesce(activity_counts.occurrences, 0) > 0
            else {{ condition_is_met(
                'cast(coalesce(activity_counts.occurrences, 0) as ' ~ type_double() ~ ')', 'null',
                'rules.operator', 'rules.rule_number', 'rules.rule_value'
            ) }}
        end as is_met,
        rules.per_occurrence
    from rules
    cross join entities
    left join activity_counts
        on
            rules.rule_id = activity_counts.rule_id
            and entities.entity_id = activity_counts.entity_id
    where rules.window_days is not null

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
        case when per_occurrence then points * occurrences else points end as raw_points,
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
