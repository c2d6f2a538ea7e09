{#- The evaluation cut-off of the offer models as a SQL date literal: the as-of date minus var
    offer_evaluation_window_days (90). int_offer__cutoffs holds it as a row; the models that build the cut-off's
    point-in-time inputs from large staged tables filter on this literal instead of joining that two-row table: the
    join leaves the planner without an estimate, and DuckDB then built a hash table of the 10.6M order lines current at
    the cut-off (out of memory at 1M contacts). -#}
{% macro offer_evaluation_cutoff() -%}
    {{ as_of_date_minus(offer_int_var('offer_evaluation_window_days', 90)) }}
{%- endmacro %}
