{#- The offer criteria (int_offer__features, entity type 'offer' of the scoring seeds), in the order of the
    `<criterion>_points` columns of int_offer__scores and offer_scores. -#}
{% macro offer_criteria() -%}
    {{ return({
        'number': ['offer_segment_fit', 'offer_budget_fit', 'offer_category_affinity', 'offer_co_purchase_lift',
                   'offer_interest', 'offer_popularity', 'offer_repurchase_due'],
        'text': [],
    }) }}
{%- endmacro %}

{#- True when the separated list `list_expr` (values separated by ';' or ',', spaces around a separator ignored, as
    int_offer__products stages target_industries and target_segments) holds the value `value_expr` exactly (not as
    a part: 'retail' is not in 'e-retail'); NULL when either is NULL. Both are compared as given (lower case). -#}
{% macro offer_list_contains(list_expr, value_expr) -%}
    {%- set normalised = "replace(replace(replace(" ~ list_expr ~ ", ',', ';'), '; ', ';'), ' ;', ';')" -%}
    ({{ dbt.position("';' || trim(" ~ value_expr ~ ") || ';'", "';' || trim(" ~ normalised ~ ") || ';'") }} > 0)
{%- endmacro %}
