{#- The offer criteria (int_offer__features, entity type 'offer' of the scoring seeds), in the order of the
    `<criterion>_points` columns of int_offer__scores and offer_scores. -#}
{% macro offer_criteria() -%}
    {{ return({
        'number': ['offer_segment_fit', 'offer_budget_fit', 'offer_category_affinity', 'offer_co_purchase_lift',
                   'offer_interest', 'offer_popularity', 'offer_repurchase_due'],
        'text': [],
    }) }}
{%- endmacro %}
