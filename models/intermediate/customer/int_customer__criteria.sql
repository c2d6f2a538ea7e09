-- The long criteria table of customers, as of the as-of date: one row per customer and criterion (names as in
-- macro customer_criteria and the scoring_criteria seed), with its raw value. The scoring engine reads only this.
{%- set names = customer_criteria() %}

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

predictions as (

    select * from {{ ref('int_customer__predictions') }}

),

wide as (

    select
        facts.contact_id,
        facts.recency_days,
        facts.frequency_orders,
        facts.monetary_net,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        facts.orders_per_year,
        facts.avg_basket,
        facts.gap_cv,
        facts.spend_trend,
        facts.tenure_days,
        facts.category_breadth,
        facts.refund_cancel_rate,
        facts.overdue_ratio,
        facts.discount_dependency,
        {% if var('enable_surveys', true) %}
            satisfaction.latest_nps,
            satisfaction.nps_class,
            satisfaction.csat_weighted,
            satisfaction.review_rating_weighted,
        {% else %}
            cast(null as {{ dbt.type_int() }}) as latest_nps,
            cast(null as {{ dbt.type_string() }}) as nps_class,
            cast(null as {{ type_double() }}) as csat_weighted,
            cast(null as {{ type_double() }}) as review_rating_weighted,
        {% endif %}
        demographics.age_band_fit,
        demographics.gender_fit,
        demographics.location_fit,
        predictions.p_purchase,
        predictions.expected_orders,
        predictions.expected_revenue,
        predictions.p_alive,
        predictions.churn_risk,
        predictions.p_campaign_response
    from facts
    inner join rfm
        on facts.contact_id = rfm.contact_id
    {% if var('enable_surveys', true) %}
        left join satisfaction
            on facts.contact_id = satisfaction.contact_id
    {% endif %}
    left join demographics
        on facts.contact_id = demographics.contact_id
    left join predictions
        on facts.contact_id = predictions.contact_id

),

long as (

    {{ unpivot_criteria('wide', 'contact_id', names['number'], names['text']) }}

)

select * from long
