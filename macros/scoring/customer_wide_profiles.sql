{#- The customer profiles that customer_scores publishes as columns: every p for which its contract
    (models/marts/customer/_customer__models.yml) declares both score_<p> and tier_<p>, in the contract's order.
    The wide mart's columns come from its contract, its values from the profiles' scores: adding a customer profile to
    scoring_profiles scores it (customer_profile_scores) and adding its two columns to the contract publishes it in
    customer_scores; a contract column whose profile is not a customer profile of scoring_profiles is a configuration
    error (int_scoring__config_errors), not a column of NULLs. Empty at parse time (the graph's columns are read at
    run time). In a dbt unit test: var test_customer_wide_profiles (a list, default empty), so that the tests' hand-made
    profiles stand alone. -#}
{% macro customer_wide_profiles() -%}
    {%- set profiles = [] -%}
    {%- if model is not none and model.resource_type == 'unit_test' -%}
        {%- do profiles.extend(var('test_customer_wide_profiles', [])) -%}
    {%- elif execute -%}
        {%- set node = graph.nodes.get('model.' ~ project_name ~ '.customer_scores') -%}
        {%- set names = (node.columns.keys() | list) if node is not none else [] -%}
        {%- for name in names -%}
            {%- if name.startswith('score_') and ('tier_' ~ name[6:]) in names -%}
                {%- do profiles.append(name[6:]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(profiles) }}
{%- endmacro %}
