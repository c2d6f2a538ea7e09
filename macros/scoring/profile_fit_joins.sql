{#- Fit lookups in an ideal-profile seed (ideal_company_profile, ideal_customer_profile: attribute,
    attribute_value, fit), with the '*' row of an attribute as the fit of any value not listed.
    profile_fit_joins adds two left joins per attribute to the model's from clause; profile_fit(attribute) is then the
    fit of the looked-up value (NULL only when the value itself is NULL and no '*' row exists).
    - icp: the CTE or relation holding the seed; source_alias: the relation whose columns are looked up;
    - attributes: list of (attribute name in the seed, column of source_alias). -#}
{% macro profile_fit_joins(icp, source_alias, attributes) -%}
    {%- for attribute, column in attributes %}
    left join {{ icp }} as {{ attribute }}_fit
        on
            {{ attribute }}_fit.attribute = '{{ attribute }}'
            and {{ source_alias }}.{{ column }} = {{ attribute }}_fit.attribute_value
    left join {{ icp }} as {{ attribute }}_any
        on
            {{ attribute }}_any.attribute = '{{ attribute }}'
            and {{ attribute }}_any.attribute_value = '*'
    {%- endfor %}
{%- endmacro %}
