{#- The standard reading of a population stability index as a label: 'stable' below 0.1, 'moderate' from 0.1 to
    0.25, 'shift' above 0.25; NULL when the index is NULL (a profile's first period). -#}
{% macro population_stability_reading(psi) -%}
    case
        when {{ psi }} is null then null
        when {{ psi }} < 0.1 then 'stable'
        when {{ psi }} <= 0.25 then 'moderate'
        else 'shift'
    end
{%- endmacro %}
