-- Predictions per customer as of the as-of date: one row per customer (int_customer__order_facts) with the chosen
-- model's prediction of each customer target over the horizon (var prediction_horizon_days) and the model that
-- made it. The runner's predict step writes them (source predict.prediction_scores); without it (plain dbt) or for
-- a target not fitted they are null and model_status says why. The runner rounds each value (probabilities to 6
-- places, orders to 4, revenue to cents) before writing it, so the decimal casts give the same digits on every engine.
with

facts as (

    select contact_id from {{ ref('int_customer__order_facts') }}

),

scores as (

    select * from {{ ref('stg_predict__prediction_scores') }}

),

customer_scores as (

    select
        {% for t in ['p_purchase', 'expected_orders', 'expected_revenue', 'p_alive', 'churn_risk',
                     'p_campaign_response'] %}
            max(case when target = '{{ t }}' then value end) as {{ t }},
            max(case when target = '{{ t }}' then model_id end) as {{ t }}_model,
        {% endfor %}
        entity_id as contact_id
    from scores
    -- customer targets, and the campaign response scored for every golden contact
    where entity_type in ('customer', 'contact')
    group by entity_id

),

final as (

    select
        -- ids
        facts.contact_id,

        -- predictions over the horizon
        cast(customer_scores.p_purchase as decimal(18, 6)) as p_purchase,
        cast(customer_scores.expected_orders as decimal(18, 4)) as expected_orders,
        cast(customer_scores.expected_revenue as decimal(18, 2)) as expected_revenue,
        cast(customer_scores.p_alive as decimal(18, 6)) as p_alive,
        cast(customer_scores.churn_risk as decimal(18, 6)) as churn_risk,
        cast(customer_scores.p_campaign_response as decimal(18, 6)) as p_campaign_response,

        -- lineage
        cast(customer_scores.p_purchase_model as {{ dbt.type_string() }}) as p_purchase_model,
        cast(customer_scores.expected_orders_model as {{ dbt.type_string() }}) as expected_orders_model,
        cast(customer_scores.expected_revenue_model as {{ dbt.type_string() }}) as expected_revenue_model,
        cast(customer_scores.p_alive_model as {{ dbt.type_string() }}) as p_alive_model,
        cast(customer_scores.churn_risk_model as {{ dbt.type_string() }}) as churn_risk_model,
        cast(customer_scores.p_campaign_response_model as {{ dbt.type_string() }}) as p_campaign_response_model

    from facts
    left join customer_scores
        on facts.contact_id = customer_scores.contact_id

)

select * from final
