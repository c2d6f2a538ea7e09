-- depends_on: {{ ref('int_scoring__config_errors') }}
-- The offer criteria in the engine's long form, normalised and weighted: one row per cut-off, offer profile, entity
-- (contact_id || '|' || item_id) and weighted criterion, with its value, normalised value and contribution in points
-- (macro scoring_contributions). The engine runs once per cut-off, so normalisation and the constant-criterion rule
-- of one cut-off never see the other's rows. A table of its own: int_offer__scores totals it (on PostgreSQL an
-- inline engine left the planner without row estimates and its nested loops took minutes on 300 contacts).
{%- set names = offer_criteria() %}

with

-- each cut-off's features are read once per criterion (the unpivot): read where used, never held in memory
features as {{ inline_cte() }} (

    select * from {{ ref('int_offer__features') }}

),

scoring_features as {{ inline_cte() }} (

    select * from features
    where is_scoring_row

),

evaluation_features as {{ inline_cte() }} (

    select * from features
    where not is_scoring_row

),

scoring_criteria as {{ inline_cte() }} (

    {{ unpivot_criteria('scoring_features', 'entity_id', names['number'], names['text']) }}

),

evaluation_criteria as {{ inline_cte() }} (

    {{ unpivot_criteria('evaluation_features', 'entity_id', names['number'], names['text']) }}

),

scoring_contributions as (

    {{ scoring_contributions('scoring_criteria', 'offer') }}

),

evaluation_contributions as (

    {{ scoring_contributions('evaluation_criteria', 'offer') }}

),

cutoffs as (

    select * from {{ ref('int_offer__cutoffs') }}

),

contributions as (

    select
        true as is_scoring_row,
        scoring_contributions.*
    from scoring_contributions
    union all
    select
        false as is_scoring_row,
        evaluation_contributions.*
    from evaluation_contributions

),

final as (

    select
        cutoffs.cutoff_date,
        contributions.is_scoring_row,
        contributions.profile,
        contributions.entity_id,
        contributions.criterion,
        contributions.value_number,
        contributions.normalized_value,
        contributions.weight,
        contributions.is_missing,
        contributions.is_imputed,
        contributions.is_constant,
        contributions.contribution_points
    from contributions
    inner join cutoffs
        on contributions.is_scoring_row = cutoffs.is_scoring_row

)

select * from final
