{#- An amount in the reporting currency: `amount` (in its own currency) times `rate` (int_fx_rates.rate_to_reporting
    of its currency at its date), rounded to the cent (int_orders__validated, int_opportunities, the point-in-time
    predict and offer models). -#}
{% macro reporting_amount(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- The amount of an order line in its order's currency, after its discount, rounded to the cent
    (int_order_items__validated.line_amount_local; the point-in-time predict and offer models). -#}
{% macro order_line_amount(quantity, unit_price, discount_rate) -%}
    cast(round({{ quantity }} * {{ unit_price }} * (1 - {{ discount_rate }}), 2) as decimal(18, 2))
{%- endmacro %}
