{#- The date `days` days before the date expression `date_expr` (a column or any date expression): the exclusive
    start of a look-back window ending on that date, for models that read many as-of dates at once (one per row).
    With the build's one as-of date, as_of_date_minus(n) gives the same date as a literal. -#}
{% macro date_minus_days(date_expr, days) -%}
    {{ return(adapter.dispatch('date_minus_days', 'customer_scoring')(date_expr, days)) }}
{%- endmacro %}

{% macro default__date_minus_days(date_expr, days) -%}
    (cast({{ date_expr }} as date) - {{ days | int }})
{%- endmacro %}

{% macro spark__date_minus_days(date_expr, days) -%}
    date_sub(cast({{ date_expr }} as date), {{ days | int }})
{%- endmacro %}
