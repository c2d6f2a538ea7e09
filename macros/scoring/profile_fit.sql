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
