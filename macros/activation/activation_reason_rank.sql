{#- The rank of a reason in activation_reasons (1 first), as a SQL expression over a reason column. -#}
{% macro activation_reason_rank(reason) -%}
    case {{ reason }}
    {%- for r in activation_reasons() %}
        when '{{ r }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}
