-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Lead score of every lead, as of the as-of date: one row per lead and lead scoring profile (entity type lead in
-- the seeds: fit and engagement combined with the profile's weights, plus points rules on recent behaviour), with
-- tier, action and top factors.
{%- set names = entity_criteria()['lead'] %}

with

lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}
    where population = 'lead'

),

fit as (

    select * from {{ ref('int_lead__fit_scores') }}

),

engagement as (

    select * from {{ ref('int_contact__engagement') }}

),

activity as (

    select * from {{ ref('int_lead__activity') }}

),

predictions as (

    select * from {{ ref('int_lead__predictions') }}

),

inputs as (

    select
        lifecycle.contact_id,
        fit.fit_score,
        engagement.engagement_score,
        engagement.high_intent_events as high_intent_events_30d,
        predictions.p_convert,
        predictions.p_campaign_response,
        lifecycle.lead_stage
    from lifecycle
    left join fit
        on lifecycle.contact_id = fit.contact_id
    left join engagement
        on lifecycle.contact_id = engagement.contact_id
    left join predictions
        on lifecycle.contact_id = predictions.contact_id

),

lead_criteria as (

    {{ unpivot_criteria('inputs', 'contact_id', names['number'], names['text']) }}

),

{{ scoring_engine_ctes('lead_criteria', 'lead', 'activity', 'lead') }}

final as (

    select
        entity_id as contact_id,
        profile,
        score as lead_score,
        weighted_points,
        rule_points,
        bounds_points,
        tier,
        recommended_action,
        top_factors
    from lead_totals

)

select * from final
