{#- The factors of the scores an engine computed inside a model (scoring_engine_ctes with `prefix`), as the rows of
    score_factor_history: one row per profile, entity and factor, like customer_score_factors: every weighted
    criterion (normalised value, weight, contribution; 0 points included), every points rule that awarded points,
    and the cut of the 0-100 bounds when it applied. Only the profiles in `profiles` are kept. The factors of an
    entity and profile add up to its score exactly (the engine allocates the cents; see scoring_contributions).
    Columns: profile, entity_id, factor, factor_kind, normalized_value, weight, points. -#}
{% macro history_engine_factors(prefix, profiles) -%}
    {{ return(adapter.dispatch('history_engine_factors', 'customer_scoring')(prefix, profiles)) }}
{%- endmacro %}

{% macro default__history_engine_factors(prefix, profiles) -%}
    {%- set kept = "('" ~ (profiles | join("', '")) ~ "')" -%}
select
    profile,
    entity_id,
    criterion as factor,
    'criterion' as factor_kind,
    cast(normalized_value as decimal(18, 6)) as normalized_value,
    cast(weight as decimal(18, 4)) as weight,
    cast(contribution_points as decimal(18, 2)) as points
from {{ prefix }}_contributions
where profile in {{ kept }}
union all
select
    profile,
    entity_id,
    rule_id as factor,
    'rule' as factor_kind,
    cast(null as decimal(18, 6)) as normalized_value,
    cast(null as decimal(18, 4)) as weight,
    cast(points_awarded as decimal(18, 2)) as points
from {{ prefix }}_points
where profile in {{ kept }}
union all
select
    profile,
    entity_id,
    'bounds' as factor,
    'bounds' as factor_kind,
    cast(null as decimal(18, 6)) as normalized_value,
    cast(null as decimal(18, 4)) as weight,
    cast(bounds_points as decimal(18, 2)) as points
from {{ prefix }}_totals
where profile in {{ kept }} and bounds_points <> 0
{%- endmacro %}
