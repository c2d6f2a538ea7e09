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
