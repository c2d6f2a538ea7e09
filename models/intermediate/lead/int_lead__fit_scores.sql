-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Fit score and grade of every lead, as of the as-of date: one row per lead. The scoring engine runs on the fit
-- criteria (entity type lead_fit, profile lead_fit in the seeds); the grade is the profile's tier (A-D).
{%- set names = entity_criteria()['lead_fit'] %}

with

inputs as (

    select * from {{ ref('int_lead__fit_inputs') }}

),

fit_criteria as (

    {{ unpivot_criteria('inputs', 'contact_id', names['number'], names['text']) }}

),

{{ scoring_engine_ctes('fit_criteria', 'lead_fit', none, 'fit') }}

final as (

    select
        entity_id as contact_id,
        score as fit_score,
        tier as fit_grade,
        missing_criteria as fit_missing_criteria,
        top_factors as fit_top_factors
    from fit_totals
    where profile = 'lead_fit'

)

select * from final
