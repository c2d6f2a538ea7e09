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

{#- Fit 0-1 of an attribute joined by profile_fit_joins.
    Without `value`: the exact value's fit, else the '*' row's (the caller decides when it applies).
    With `value` (the looked-up column): NULL when the attribute is unknown, so that the engine re-weights it; else
    the exact value's fit, else the '*' row's. `given` (optional SQL condition): a raw value was given but could not be
    recognised (a country the alias list does not know, a birth date outside every age band, an employee count that
    fits no band); such a value is not missing: it fits as the '*' row ("any other value"), never better than a known
    poor value. -#}
{% macro profile_fit(attribute, value=none, given=none) -%}
    {%- if value is none -%}
        coalesce({{ attribute }}_fit.fit, {{ attribute }}_any.fit)
    {%- else -%}
        case
            when {{ value }} is not null{% if given is not none %} or {{ given }}{% endif %}
                then coalesce({{ attribute }}_fit.fit, {{ attribute }}_any.fit)
        end
    {%- endif -%}
{%- endmacro %}
