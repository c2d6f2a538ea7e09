{#- The score mart of each entity type an audience may select: its columns are what a condition may test. -#}
{% macro activation_score_marts() -%}
    {{ return({'customer': 'customer_scores', 'lead': 'lead_scores', 'account': 'account_scores'}) }}
{%- endmacro %}
