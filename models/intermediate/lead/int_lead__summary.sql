-- Everything known about a lead's score, as of the as-of date: one row per lead, for the primary lead profile
-- (var lead_primary_profile): fit, engagement, lead score, tier and the fit x engagement matrix cell (fit grade A-D
-- followed by engagement level 1-4: 'A4' is the best fit and the most engaged, 'D1' the worst).
{%- set primary = var('lead_primary_profile', 'lead') %}

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

scores as (

    select * from {{ ref('int_lead__scores') }}
    where profile = '{{ primary }}'

),

final as (

    select
        lifecycle.contact_id,
        lifecycle.lead_stage,
        fit.fit_score,
        fit.fit_grade,
        fit.fit_top_factors,
        engagement.engagement_points,
        engagement.engagement_score,
        engagement.engagement_level,
        engagement.high_intent_events as high_intent_events_30d,
        scores.lead_score,
        scores.tier,
        scores.recommended_action,
        scores.top_factors,
        fit.fit_grade || cast(engagement.engagement_level as {{ dbt.type_string() }}) as matrix_cell
    from lifecycle
    left join fit
        on lifecycle.contact_id = fit.contact_id
    left join engagement
        on lifecycle.contact_id = engagement.contact_id
    left join scores
        on lifecycle.contact_id = scores.contact_id

)

select * from final
