{#- Lower case by Unicode's simple case mapping, one character at a time, whatever the database's locale.
    ascii_only=true when the text is known to hold ASCII only (a cheaper path on PostgreSQL). -#}
{% macro lower_text(expression, ascii_only=false) -%}
    {{ return(adapter.dispatch('lower_text', 'customer_scoring')(expression, ascii_only)) }}
{%- endmacro %}

{#- DuckDB's lower() is Unicode's simple case mapping. -#}
{% macro default__lower_text(expression, ascii_only=false) -%}
    lower({{ expression }})
{%- endmacro %}

{#- PostgreSQL's lower() follows the collation: under the C locale 'É' stays 'É', under a Turkish one 'I' becomes
    'ı'. ASCII text takes the C collation; other text the ICU root collation, whose lower-casing differs from the simple
    mapping only for 'İ' (U+0130 -> 'i' + U+0307) and a word-final 'Σ' (-> 'ς'), so those two are mapped first. The
    result gets the database's default collation back, so it compares and sorts like any other text. -#}
{% macro postgres__lower_text(expression, ascii_only=false) -%}
    {%- if ascii_only -%}
        lower({{ expression }} collate "C") collate "default"
    {%- else -%}
        lower(replace(replace({{ expression }}, chr(304), 'i'), chr(931), chr(963)) collate "und-x-icu") collate "default"
    {%- endif -%}
{%- endmacro %}

{#- Spark's lower() is Java's full case mapping: 'İ' (U+0130) becomes 'i' + U+0307 and a word-final 'Σ' becomes 'ς', so
    those two are mapped first, as on PostgreSQL (format_string('%c', n) is the character of code point n). -#}
{% macro spark__lower_text(expression, ascii_only=false) -%}
    {%- if ascii_only -%}
        lower({{ expression }})
    {%- else -%}
        lower(replace(replace({{ expression }}, format_string('%c', 304), 'i'),
                      format_string('%c', 931), format_string('%c', 963)))
    {%- endif -%}
{%- endmacro %}
