{#- True when the separated list `list_expr` (values separated by ';' or ',', spaces around a separator ignored, as
    int_offer__products stages target_industries and target_segments) holds the value `value_expr` exactly (not as
    a part: 'retail' is not in 'e-retail'); NULL when either is NULL. Both are compared as given (lower case). -#}
{% macro offer_list_contains(list_expr, value_expr) -%}
    {%- set normalised = "replace(replace(replace(" ~ list_expr ~ ", ',', ';'), '; ', ';'), ' ;', ';')" -%}
    ({{ dbt.position("';' || trim(" ~ value_expr ~ ") || ';'", "';' || trim(" ~ normalised ~ ") || ';'") }} > 0)
{%- endmacro %}
