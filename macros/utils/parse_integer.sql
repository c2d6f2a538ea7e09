{#- Whole number from text under a dialect: a decimal whose fraction is zero ('2', '2.0', '1,234' with thousands
    mark ','); '2.5' gives NULL (never rounded). -#}
{% macro parse_integer(text, dialect) -%}
    {%- set value = parse_decimal(text, dialect, 22, 4) -%}
    case
        when {{ value }} = floor({{ value }}) and abs({{ value }}) < 1000000000000000000
            then cast({{ value }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
