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
