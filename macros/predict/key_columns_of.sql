{%- macro key_columns_of(alias, keys) -%}
    {%- for k in keys %}
        {{ alias }}.{{ k }},
    {%- endfor %}
{%- endmacro %}
