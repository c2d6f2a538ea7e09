-- Scored leads as of the as-of date: one row per lead (a golden contact without a completed order on or before
-- it). Fit (firmographics and role for B2B leads, demographics for B2C leads) and its grade A-D, behavioural
-- engagement with exponential decay and its level 1-4, the predicted probabilities of converting within the
-- horizon and of answering the next campaign, the lead score 0-100 of the primary lead profile with tier,
-- action and top factors, the fit x engagement matrix cell, and the MQL flag with the rule that set it.
with

summary as (

    select * from {{ ref('int_lead__summary') }}

),

lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}

),

inputs as (

    select * from {{ ref('int_lead__fit_inputs') }}

),

engagement as (

    select * from {{ ref('int_contact__engagement') }}

),

mql as (

    select * from {{ ref('int_lead__mql') }}

),

predictions as (

    select * from {{ ref('int_lead__predictions') }}

),

final as (

    select
        -- ids
        cast(summary.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(inputs.account_id as {{ dbt.type_string() }}) as account_id,
        {{ as_of_date() }} as as_of_date,

        -- lifecycle
        cast(summary.lead_stage as {{ dbt.type_string() }}) as lead_stage,
        cast(lifecycle.crm_lifecycle_stage as {{ dbt.type_string() }}) as crm_lifecycle_stage,
        lifecycle.has_open_opportunity,

        -- profile
        inputs.is_b2b,
        cast(inputs.industry as {{ dbt.type_string() }}) as industry,
        cast(inputs.employee_band as {{ dbt.type_string() }}) as employee_band,
        cast(inputs.revenue_band as {{ dbt.type_string() }}) as revenue_band,
        cast(inputs.company_country_code as {{ dbt.type_string() }}) as country_code,
        cast(inputs.job_function as {{ dbt.type_string() }}) as job_function,
        cast(inputs.seniority as {{ dbt.type_string() }}) as seniority,
        cast(inputs.age_band as {{ dbt.type_string() }}) as age_band,

        -- fit
        cast(summary.fit_score as decimal(18, 2)) as fit_score,
        cast(summary.fit_grade as {{ dbt.type_string() }}) as fit_grade,
        cast(summary.fit_top_factors as {{ dbt.type_string() }}) as fit_top_factors,

        -- engagement
        cast(summary.engagement_points as decimal(18, 2)) as engagement_points,
        cast(summary.engagement_score as decimal(18, 2)) as engagement_score,
        cast(summary.engagement_level as {{ dbt.type_int() }}) as engagement_level,
        cast(summary.high_intent_events_30d as {{ dbt.type_int() }}) as high_intent_events_30d,
        cast(engagement.days_since_last_positive as {{ dbt.type_int() }}) as days_since_last_positive_event,

        -- predictions over var prediction_horizon_days (null when not fitted: model_status says why)
        cast({{ var('prediction_horizon_days') }} as {{ dbt.type_int() }}) as prediction_horizon_days,
        predictions.p_convert,
        predictions.p_campaign_response,
        predictions.p_convert_model,
        predictions.p_campaign_response_model,

        -- lead score
        cast(summary.lead_score as decimal(18, 2)) as lead_score,
        cast(summary.tier as {{ dbt.type_string() }}) as tier,
        cast(summary.recommended_action as {{ dbt.type_string() }}) as recommended_action,
        cast(summary.matrix_cell as {{ dbt.type_string() }}) as matrix_cell,
        mql.is_mql,
        cast(mql.mql_rule as {{ dbt.type_string() }}) as mql_rule,
        cast(summary.top_factors as {{ dbt.type_string() }}) as top_factors

    from summary
    inner join lifecycle
        on summary.contact_id = lifecycle.contact_id
    inner join inputs
        on summary.contact_id = inputs.contact_id
    left join engagement
        on summary.contact_id = engagement.contact_id
    left join mql
        on summary.contact_id = mql.contact_id
    left join predictions
        on summary.contact_id = predictions.contact_id

)

select * from final
