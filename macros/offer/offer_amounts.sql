{#- An amount in the reporting currency: `amount` (in its own currency) times `rate` (int_fx_rates.rate_to_reporting
    of its currency at its date), rounded to the cent. The formula int_orders__validated, int_opportunities and the
    training examples write inline; the offer models call it here so there is one copy to move them to. -#}
{% macro reporting_amount(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- The amount of an order line in its order's currency, after its discount, rounded to the cent
    (int_order_items__validated.line_amount_local). -#}
{% macro order_line_amount(quantity, unit_price, discount_rate) -%}
    cast(round({{ quantity }} * {{ unit_price }} * (1 - {{ discount_rate }}), 2) as decimal(18, 2))
{%- endmacro %}

{#- A ratio or weight of the offer models: rounded to 6 places through decimal(38, 10) (round_decimal) and typed
    decimal(18, 6), so both engines store and compare the same value. -#}
{% macro offer_decimal6(expression) -%}
    cast({{ round_decimal(expression, 6) }} as decimal(18, 6))
{%- endmacro %}
