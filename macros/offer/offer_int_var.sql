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
