{#- The reason of a rank, as a SQL expression over a rank column (the inverse of activation_reason_rank). -#}
{% macro activation_reason_of_rank(rank) -%}
    case {{ rank }}
    {%- for r in activation_reasons() %}
        when {{ loop.index }} then '{{ r }}'
    {%- endfor %}
    end
{%- endmacro %}
