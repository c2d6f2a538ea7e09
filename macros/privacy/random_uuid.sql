{#- A random (version 4) UUID, as a value castable to text in its 36-character form: pii.erasure_salt draws its salt
    from two of them. -#}
{% macro random_uuid() -%}
    {{ return(adapter.dispatch('random_uuid', 'customer_scoring')()) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL (13+). -#}
{% macro default__random_uuid() -%}
    gen_random_uuid()
{%- endmacro %}

{% macro spark__random_uuid() -%}
    uuid()
{%- endmacro %}
