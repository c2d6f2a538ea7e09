{#- An amount in the reporting currency: `amount` (in its own currency) times `rate` (int_fx_rates.rate_to_reporting
    of its currency at its date), rounded to the cent (int_orders__validated, int_opportunities, the point-in-time
    predict and offer models). -#}
{% macro reporting_amount(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
