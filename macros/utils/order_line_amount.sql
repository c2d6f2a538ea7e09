{#- The amount of an order line in its order's currency, after its discount, rounded to the cent
    (int_order_items__validated.line_amount_local; the point-in-time predict and offer models). -#}
{% macro order_line_amount(quantity, unit_price, discount_rate) -%}
    cast(round({{ quantity }} * {{ unit_price }} * (1 - {{ discount_rate }}), 2) as decimal(18, 2))
{%- endmacro %}
