{#- The as-of date of a formula shared by the production models (one as-of date: `as_of` is none, and the constant
    literals of as_of_date() and as_of_date_minus() keep their plan cheap) and the training examples (`as_of` names
    the column holding each row's cut-off date). window_start(as_of, n) is the exclusive start of the n-day window
    ending on it. -#}
{% macro as_of_expr(as_of=none) -%}
    {%- if as_of is none -%}{{ as_of_date() }}{%- else -%}{{ as_of }}{%- endif -%}
{%- endmacro %}
