{#- A SQL expression whose chr(n) calls give the character of Unicode code point n on this engine: the singular tests
    write non-ASCII input as chr(code point), which DuckDB and PostgreSQL read alike. Spark's chr(n) is chr(n % 256),
    so spark__ rewrites each call as format_string('%c', n) (Java's %c takes a code point). -#}
{% macro code_point_chars(sql) -%}
    {{ return(adapter.dispatch('code_point_chars', 'customer_scoring')(sql)) }}
{%- endmacro %}

{% macro default__code_point_chars(sql) -%}
    {{ return(sql) }}
{%- endmacro %}

{% macro spark__code_point_chars(sql) -%}
    {{ return(modules.re.sub('\\bchr\\(', "format_string('%c', ", sql)) }}
{%- endmacro %}
