{#- Turns a wide relation (one row per entity, one column per criterion) into the long criteria table of the
    scoring engine: one row per entity and criterion, with the value in value_number (numeric criteria) or
    value_text (categorical criteria). A missing value stays as a row with NULLs, so the engine sees it and
    re-weights instead of scoring it as zero.
    value_number is type_double() (dbt's type_float is a 4-byte float on DuckDB: 4716.57 would become 4716.569824).
    - relation: the wide CTE or relation; entity_id: its id column;
    - number_columns / text_columns: the criterion columns, named as in the scoring_criteria seed. -#}
{% macro unpivot_criteria(relation, entity_id, number_columns, text_columns=[]) -%}
    {%- set selects = [] -%}
    {%- for c in number_columns -%}
        {%- do selects.append(
            "select " ~ entity_id ~ " as entity_id, '" ~ c ~ "' as criterion, "
            ~ "cast(" ~ c ~ " as " ~ type_double() ~ ") as value_number, "
            ~ "cast(null as " ~ dbt.type_string() ~ ") as value_text from " ~ relation
        ) -%}
    {%- endfor -%}
    {%- for c in text_columns -%}
        {%- do selects.append(
            "select " ~ entity_id ~ " as entity_id, '" ~ c ~ "' as criterion, "
            ~ "cast(null as " ~ type_double() ~ ") as value_number, "
            ~ "cast(" ~ c ~ " as " ~ dbt.type_string() ~ ") as value_text from " ~ relation
        ) -%}
    {%- endfor -%}
    {{ selects | join('\nunion all\n') }}
{%- endmacro %}

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

{#- The lead fields an MQL rule (mql_rules seed) may test. -#}
{% macro mql_fields() -%}
    {{ return({
        'number': ['lead_score', 'fit_score', 'engagement_score', 'engagement_level', 'high_intent_events_30d'],
        'text': ['fit_grade', 'tier', 'lead_stage', 'matrix_cell'],
    }) }}
{%- endmacro %}

{#- The values the project's text criteria and text attributes can take, in the order they are listed: the only
    categories a category map (criterion_categories, ideal_customer_profile, ideal_company_profile), a points rule or
    an MQL rule may name. A value outside these is never produced, so a row naming it would never apply. Attributes
    whose values come from a seed (age bands, employee and revenue bands, job functions and seniorities, country
    codes) add those rows in int_scoring__config_errors; industry is free text and is not checked. The singular test
    config_text_values_are_produced fails when a model produces a value missing here. -#}
{% macro known_text_values() -%}
    {{ return({
        'nps_class': ['promoter', 'passive', 'detractor'],
        'lead_stage': ['opportunity', 'sql', 'mql', 'lead', 'subscriber'],
        'gender': ['female', 'male', 'other'],
        'job_function': ['other'],
        'seniority': ['unknown'],
    }) }}
{%- endmacro %}
