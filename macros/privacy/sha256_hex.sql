{#- Hex SHA-256 (lower case) of a text expression, as the ad platforms expect a hashed e-mail and as the erasure log
    hashes its keys. DuckDB's sha256() returns the hex digest of the text's UTF-8 bytes. -#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'customer_scoring')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{#- Spark: sha2(x, 256) hashes the UTF-8 bytes and returns lower-case hex, as DuckDB's sha256(). -#}
{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro postgres__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}
