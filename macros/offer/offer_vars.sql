{#- The item an offer model counts: the product at var offer_grain 'product' (default), the category at 'category'.
    `product_id` and `category` are SQL expressions; an unknown grain stops the build with the allowed values. -#}
{% macro offer_item_id(product_id, category) -%}
    {%- set grain = var('offer_grain', 'product') -%}
    {%- if grain == 'product' -%}
        {{ product_id }}
    {%- elif grain == 'category' -%}
        {{ category }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var offer_grain is '" ~ grain ~ "': allowed values are product, category"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- A whole-number offer var, checked: at least `minimum`, else the build stops with the var named (a decimal such as
    5.0 is read as 5, D34). -#}
{% macro offer_int_var(name, default, minimum=1) -%}
    {%- set raw = var(name, default) -%}
    {%- set number = raw | float(none) if raw is not none else none -%}
    {%- if number is none or number != (number | int) or number < minimum -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a whole number of at least " ~ minimum ~ ", got '" ~ raw ~ "'"
        ) }}
    {%- endif -%}
    {{- return(number | int) -}}
{%- endmacro %}

{#- The evaluation cut-off of the offer models as a SQL date literal: the as-of date minus var
    offer_evaluation_window_days (90). int_offer__cutoffs holds it as a row; the models that build the cut-off's
    point-in-time inputs from large staged tables filter on this literal instead of joining that two-row table: the
    join leaves the planner without an estimate, and DuckDB then built a hash table of the 10.6M order lines current at
    the cut-off (out of memory at 1M contacts). -#}
{% macro offer_evaluation_cutoff() -%}
    {{ as_of_date_minus(offer_int_var('offer_evaluation_window_days', 90)) }}
{%- endmacro %}

{#- A ratio or weight of the offer models: rounded to 6 places through decimal(38, 10) (round_decimal) and typed
    decimal(18, 6), so both engines store and compare the same value. -#}
{% macro offer_decimal6(expression) -%}
    cast({{ round_decimal(expression, 6) }} as decimal(18, 6))
{%- endmacro %}
