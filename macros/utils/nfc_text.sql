{#- Unicode NFC of a text. -#}
{% macro nfc_text(expression) -%}
    {{ return(adapter.dispatch('nfc_text', 'customer_scoring')(expression)) }}
{%- endmacro %}

{#- PostgreSQL (UTF-8 databases) and the SQL standard. -#}
{% macro default__nfc_text(expression) -%}
    normalize({{ expression }}, nfc)
{%- endmacro %}

{% macro duckdb__nfc_text(expression) -%}
    nfc_normalize({{ expression }})
{%- endmacro %}

{#- Spark has no Unicode normalisation function: the text is left as it is. -#}
{% macro spark__nfc_text(expression) -%}
    {{ expression }}
{%- endmacro %}
