{#- round() that works on every engine whatever the argument's type: PostgreSQL has no round(double precision,
    integer), so the value goes through decimal(38, 10) first. -#}
{% macro round_decimal(expression, places) -%}
    round(cast({{ expression }} as decimal(38, 10)), {{ places }})
{%- endmacro %}
