{#- The columns of an entity type's score mart a condition may test, by kind: {'number': [...], 'text': [...],
    'boolean': [...]}: the scores, criteria, grades, segments and flags of customer_scores, lead_scores and
    account_scores (no ids, dates or personal data). A column named here must exist in its mart. -#}
{% macro activation_condition_fields(entity_type) -%}
    {%- set fields = {
        'customer': {
            'number': ['recency_days', 'frequency_orders', 'monetary_net', 'r_score', 'f_score', 'm_score',
                       'orders_per_year', 'avg_basket', 'mean_gap_days', 'gap_cv', 'spend_trend', 'tenure_days',
                       'category_breadth', 'completed_orders_total', 'refund_cancel_rate', 'overdue_ratio',
                       'discount_dependency', 'refunded_orders', 'cancelled_orders', 'latest_nps', 'csat_weighted',
                       'review_rating_weighted', 'survey_responses', 'p_purchase', 'expected_orders',
                       'expected_revenue', 'p_alive', 'churn_risk', 'p_campaign_response', 'primary_score'],
            'text': ['rfm_cell', 'rfm_segment', 'nps_class', 'country_code', 'primary_tier'],
            'boolean': [],
        },
        'lead': {
            'number': ['fit_score', 'engagement_points', 'engagement_score', 'engagement_level',
                       'high_intent_events_30d', 'days_since_last_positive_event', 'p_convert', 'p_campaign_response',
                       'lead_score'],
            'text': ['lead_stage', 'crm_lifecycle_stage', 'industry', 'employee_band', 'revenue_band', 'country_code',
                     'job_function', 'seniority', 'fit_grade', 'tier', 'matrix_cell', 'mql_rule'],
            'boolean': ['is_mql', 'is_b2b', 'has_open_opportunity'],
        },
        'account': {
            'number': ['industry_fit', 'employee_band_fit', 'revenue_band_fit', 'country_fit', 'contacts',
                       'engaged_contacts', 'functions_engaged', 'seniorities_engaged', 'best_lead_score',
                       'avg_lead_score', 'open_pipeline_amount', 'won_deal_amount', 'order_revenue', 'won_revenue',
                       'account_score'],
            'text': ['industry', 'employee_band', 'revenue_band', 'country_code', 'tier'],
            'boolean': [],
        },
    } -%}
    {{ return(fields[entity_type]) }}
{%- endmacro %}
