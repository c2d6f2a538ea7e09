{#- The lead fields an MQL rule (mql_rules seed) may test. -#}
{% macro mql_fields() -%}
    {{ return({
        'number': ['lead_score', 'fit_score', 'engagement_score', 'engagement_level', 'high_intent_events_30d'],
        'text': ['fit_grade', 'tier', 'lead_stage', 'matrix_cell'],
    }) }}
{%- endmacro %}
