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
