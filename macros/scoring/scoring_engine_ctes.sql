{#- The three steps of the scoring engine as CTE definitions, for a model that scores one entity type:
    `<prefix>_contributions`, `<prefix>_points` and `<prefix>_totals` (one row per profile and entity: score, tier,
    action, top factors), each followed by a comma, to be placed inside the model's `with`.
    - criteria_relation: the long criteria CTE or relation (entity_id, criterion, value_number, value_text);
    - activity_relation: dated activity for windowed points rules, or none when the entity type has no activity. -#}
{% macro scoring_engine_ctes(criteria_relation, entity_type, activity_relation=none, prefix='engine') -%}
    {%- set activity = activity_relation if activity_relation is not none else prefix ~ '_no_activity' -%}
    {%- if activity_relation is none %}
{{ prefix }}_no_activity as (

    select
        cast(null as {{ dbt.type_string() }}) as entity_id,
        cast(null as {{ dbt.type_string() }}) as activity_type,
        cast(null as {{ dbt.type_int() }}) as days_before_as_of,
        cast(null as {{ dbt.type_int() }}) as activity_count
    where 1 = 0

),
    {%- endif %}

{{ prefix }}_contributions as (

    {{ scoring_contributions(criteria_relation, entity_type) }}

),

{{ prefix }}_points as (

    {{ scoring_points(criteria_relation, activity, entity_type) }}

),

{{ prefix }}_totals as (

    {{ scoring_totals(prefix ~ '_contributions', prefix ~ '_points', entity_type) }}

),
{%- endmacro %}
