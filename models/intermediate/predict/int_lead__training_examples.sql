-- Point-in-time training examples of lead conversion: one row per cut-off (int_predict__cutoffs) and lead of that
-- cut-off (a golden contact without a completed order on or before it, int_predict__lifecycle). Every feature is what
-- a build as of the cut-off computes: the raw fit criteria of int_lead__fit_inputs (int_predict__lead_fit_inputs, same
-- macro), the engagement of int_contact__engagement (int_predict__contact_engagement, same macros), the lead stage and
-- open pipeline of int_contact__lifecycle and the contact's age (int_predict__lifecycle). The label is what the lead
-- did in the window after the cut-off, as the as-of build knows it (int_orders, int_opportunities), followed to the
-- golden contact it belongs to on the as-of date (int_contacts__identity): label_convert = 1 when a completed order is
-- dated, or a won deal closed, in (cutoff_date, cutoff_date + H] (var prediction_horizon_days); null on the scoring
-- cut-off. Past cut-offs hold the leads of the training sample only (macro in_training_sample, one rule
-- for customers, leads and campaign contacts, applied to the contact map int_predict__identity before any fact is
-- joined to the spine); the scoring cut-off keeps every lead.

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

lifecycle as (

    select * from {{ ref('int_predict__lifecycle') }}
    where population = 'lead'

),

fit as (

    select * from {{ ref('int_predict__lead_fit_inputs') }}

),

engagement as (

    select * from {{ ref('int_predict__contact_engagement') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

{% if var('enable_opportunities', true) %}
    opportunities as (

        select * from {{ ref('int_opportunities') }}

    ),
{% endif %}

-- the leads of every labelled cut-off, followed to their golden contact of the as-of date
followed as (

    select
        lifecycle.cutoff_date,
        lifecycle.contact_id,
        cutoffs.label_window_end,
        coalesce(identity.master_contact_id, lifecycle.contact_id) as as_of_contact_id
    from lifecycle
    inner join cutoffs
        on lifecycle.cutoff_date = cutoffs.cutoff_date
    left join identity
        on lifecycle.contact_id = identity.contact_id
    where cutoffs.is_labelled

),

-- one row per lead and cut-off with a conversion in the window (several orders or deals count once)
conversions as (

    select distinct
        followed.cutoff_date,
        followed.contact_id
    from followed
    inner join orders
        on
            followed.as_of_contact_id = orders.contact_id
            and orders.is_completed
            and followed.cutoff_date < orders.ordered_on
            and followed.label_window_end >= orders.ordered_on
    {% if var('enable_opportunities', true) %}
        union
        select
            followed.cutoff_date,
            followed.contact_id
        from followed
        inner join opportunities
            on
                followed.as_of_contact_id = opportunities.contact_id
                and opportunities.is_won
                and followed.cutoff_date < cast(opportunities.closed_at as date)
                and followed.label_window_end >= cast(opportunities.closed_at as date)
    {% endif %}

),

final as (

    select
        -- ids
        lifecycle.cutoff_date,
        lifecycle.contact_id,
        cutoffs.is_scoring_row,
        cutoffs.is_labelled,

        -- fit criteria (0-1; B2B ones for B2B leads, demographic ones for B2C leads)
        fit.is_b2b,
        fit.industry_fit,
        fit.employee_band_fit,
        fit.revenue_band_fit,
        fit.country_fit,
        fit.job_function_fit,
        fit.seniority_fit,
        fit.age_band_fit,
        fit.location_fit,

        -- engagement
        engagement.engagement_points,
        engagement.engagement_score,
        engagement.engagement_level,
        engagement.high_intent_events,
        engagement.days_since_last_positive,

        -- stage and pipeline
        lifecycle.lead_stage,
        lifecycle.open_pipeline_amount,
        cast(
            {{ dbt.datediff('lifecycle.created_at', 'lifecycle.cutoff_date', 'day') | trim }} as {{ dbt.type_int() }}
        ) as days_since_created,

        -- label (null when the window is not over on the as-of date)
        cast(
            case when cutoffs.is_labelled then case when conversions.contact_id is not null then 1 else 0 end end
            as {{ dbt.type_int() }}
        ) as label_convert

    from lifecycle
    inner join cutoffs
        on lifecycle.cutoff_date = cutoffs.cutoff_date
    left join fit
        on
            lifecycle.cutoff_date = fit.cutoff_date
            and lifecycle.contact_id = fit.contact_id
    left join engagement
        on
            lifecycle.cutoff_date = engagement.cutoff_date
            and lifecycle.contact_id = engagement.contact_id
    left join conversions
        on
            lifecycle.cutoff_date = conversions.cutoff_date
            and lifecycle.contact_id = conversions.contact_id

)

select * from final
