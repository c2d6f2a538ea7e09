-- Scored customers as of the as-of date: one row per customer (a golden contact with at least one completed order
-- on or before it): RFM, value, risk and satisfaction criteria, the predictions of the fitted models over the
-- horizon (int_customer__predictions), the score and tier of each profile whose columns the contract declares
-- (macro customer_wide_profiles: the four shipped profiles acquire, develop, retain, predict), and the primary
-- profile's score, tier, action and top factors (var customer_primary_profile). Every profile, shipped or added, is
-- also in customer_profile_scores.
{%- set primary = var('customer_primary_profile') %}
{%- set wide_profiles = customer_wide_profiles() %}

with

facts as (

    select * from {{ ref('int_customer__order_facts') }}

),

rfm as (

    select * from {{ ref('int_customer__rfm') }}

),

{% if var('enable_surveys', true) %}
    satisfaction as (

        select * from {{ ref('int_customer__satisfaction') }}

    ),
{% endif %}

demographics as (

    select * from {{ ref('int_contact__demographics') }}

),

contacts as (

    select * from {{ ref('int_contacts') }}

),

scores as (

    select * from {{ ref('int_customer__profile_scores') }}

),

predictions as (

    select * from {{ ref('int_customer__predictions') }}

),

pivoted as (

    select
        entity_id,
        {% for p in wide_profiles %}
            max(case when profile = '{{ p }}' then score end) as score_{{ p }},
            max(case when profile = '{{ p }}' then tier end) as tier_{{ p }},
        {% endfor %}
        max(case when profile = '{{ primary }}' then score end) as primary_score,
        max(case when profile = '{{ primary }}' then tier end) as primary_tier,
        max(case when profile = '{{ primary }}' then recommended_action end) as recommended_action,
        max(case when profile = '{{ primary }}' then top_factors end) as top_factors
    from scores
    group by entity_id

),

final as (

    select
        -- ids
        cast(facts.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(contacts.account_id as {{ dbt.type_string() }}) as account_id,
        {{ as_of_date() }} as as_of_date,

        -- RFM
        facts.recency_days,
        facts.frequency_orders,
        facts.monetary_net,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        cast(rfm.rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(rfm.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,

        -- value
        facts.orders_per_year,
        facts.avg_basket,
        facts.mean_gap_days,
        facts.gap_cv,
        facts.spend_trend,
        facts.tenure_days,
        facts.category_breadth,
        facts.completed_orders_total,
        facts.first_order_at,
        facts.last_order_at,

        -- risk signals
        facts.refund_cancel_rate,
        facts.overdue_ratio,
        facts.discount_dependency,
        facts.refunded_orders,
        facts.cancelled_orders,

        -- satisfaction
        {% if var('enable_surveys', true) %}
            satisfaction.latest_nps,
            cast(satisfaction.nps_class as {{ dbt.type_string() }}) as nps_class,
            satisfaction.csat_weighted,
            satisfaction.review_rating_weighted,
            coalesce(satisfaction.survey_responses, 0) as survey_responses,
        {% else %}
            cast(null as {{ dbt.type_int() }}) as latest_nps,
            cast(null as {{ dbt.type_string() }}) as nps_class,
            cast(null as decimal(18, 4)) as csat_weighted,
            cast(null as decimal(18, 4)) as review_rating_weighted,
            cast(0 as {{ dbt.type_int() }}) as survey_responses,
        {% endif %}

        -- profile
        cast(demographics.age_band as {{ dbt.type_string() }}) as age_band,
        cast(demographics.country_code as {{ dbt.type_string() }}) as country_code,
        cast(demographics.age_band_fit as {{ type_double() }}) as age_band_fit,
        cast(demographics.location_fit as {{ type_double() }}) as location_fit,

        -- predictions over var prediction_horizon_days (null when not fitted: model_status says why)
        cast({{ var('prediction_horizon_days') }} as {{ dbt.type_int() }}) as prediction_horizon_days,
        predictions.p_purchase,
        predictions.expected_orders,
        predictions.expected_revenue,
        predictions.p_alive,
        predictions.churn_risk,
        predictions.p_campaign_response,
        predictions.p_purchase_model,
        predictions.expected_orders_model,
        predictions.expected_revenue_model,
        predictions.p_alive_model,
        predictions.churn_risk_model,
        predictions.p_campaign_response_model,

        -- scores per profile of the contract
        {% for p in wide_profiles %}
            cast(pivoted.score_{{ p }} as decimal(18, 2)) as score_{{ p }},
            cast(pivoted.tier_{{ p }} as {{ dbt.type_string() }}) as tier_{{ p }},
        {% endfor %}

        -- primary profile
        cast('{{ primary }}' as {{ dbt.type_string() }}) as primary_profile,
        cast(pivoted.primary_score as decimal(18, 2)) as primary_score,
        cast(pivoted.primary_tier as {{ dbt.type_string() }}) as primary_tier,
        cast(pivoted.recommended_action as {{ dbt.type_string() }}) as recommended_action,
        cast(pivoted.top_factors as {{ dbt.type_string() }}) as top_factors

    from facts
    inner join rfm
        on facts.contact_id = rfm.contact_id
    inner join contacts
        on facts.contact_id = contacts.contact_id
    left join demographics
        on facts.contact_id = demographics.contact_id
    {% if var('enable_surveys', true) %}
        left join satisfaction
            on facts.contact_id = satisfaction.contact_id
    {% endif %}
    left join predictions
        on facts.contact_id = predictions.contact_id
    left join pivoted
        on facts.contact_id = pivoted.entity_id

)

select * from final
