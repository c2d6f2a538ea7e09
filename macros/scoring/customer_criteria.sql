{#- The customer criteria (int_customer__criteria). -#}
{% macro customer_criteria() -%}
    {{ return({
        'number': ['recency_days', 'frequency_orders', 'monetary_net', 'r_score', 'f_score', 'm_score',
                   'orders_per_year', 'avg_basket', 'gap_cv', 'spend_trend', 'tenure_days', 'category_breadth',
                   'refund_cancel_rate', 'overdue_ratio', 'discount_dependency', 'latest_nps', 'csat_weighted',
                   'review_rating_weighted', 'age_band_fit', 'gender_fit', 'location_fit', 'p_purchase',
                   'expected_orders', 'expected_revenue', 'p_alive', 'churn_risk', 'p_campaign_response'],
        'text': ['nps_class'],
    }) }}
{%- endmacro %}
