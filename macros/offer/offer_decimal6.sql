{#- A ratio or weight of the offer models: rounded to 6 places through decimal(38, 10) (round_decimal) and typed
    decimal(18, 6), so both engines store and compare the same value. -#}
{% macro offer_decimal6(expression) -%}
    cast({{ round_decimal(expression, 6) }} as decimal(18, 6))
{%- endmacro %}
