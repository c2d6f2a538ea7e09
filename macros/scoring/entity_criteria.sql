{#- The criteria the project computes per entity type: the names a scoring_criteria row of that entity type may
    use. Validation checks the seeds against these lists. -#}
{% macro entity_criteria() -%}
    {{ return({
        'customer': customer_criteria(),
        'lead_fit': {
            'number': ['industry_fit', 'employee_band_fit', 'revenue_band_fit', 'country_fit', 'job_function_fit',
                       'seniority_fit', 'age_band_fit', 'location_fit'],
            'text': [],
        },
        'lead': {
            'number': ['fit_score', 'engagement_score', 'high_intent_events_30d', 'p_convert', 'p_campaign_response'],
            'text': ['lead_stage'],
        },
        'account': {
            'number': ['industry_fit', 'employee_band_fit', 'revenue_band_fit', 'country_fit', 'engaged_contacts',
                       'functions_engaged', 'seniorities_engaged', 'best_lead_score', 'avg_lead_score',
                       'open_pipeline_amount', 'won_revenue'],
            'text': [],
        },
    }) }}
{%- endmacro %}
