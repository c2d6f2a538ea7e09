{#- A bracket expression for regex_matches / regex_replace_all that matches the given characters, written with each
    engine's escapes so the SQL text stays ASCII: code_points is a list of code points (integers) and [first, last]
    ranges; negate=true matches every other character. -#}
{% macro regex_char_class(code_points, negate=false) -%}
    {{ return(adapter.dispatch('regex_char_class', 'customer_scoring')(code_points, negate)) }}
{%- endmacro %}

{#- PostgreSQL (ARE): \uXXXX and \UXXXXXXXX. -#}
{% macro default__regex_char_class(code_points, negate=false) -%}
    {{ return(regex_char_class_escaped(code_points, negate, '\\u%04x', '\\U%08x')) }}
{%- endmacro %}

{#- DuckDB (RE2): \x{X}. -#}
{% macro duckdb__regex_char_class(code_points, negate=false) -%}
    {{ return(regex_char_class_escaped(code_points, negate, '\\x{%x}', '\\x{%x}')) }}
{%- endmacro %}

{#- Spark (Java): \x{X}; spark__regex_matches and spark__regex_replace_all double the backslash for the literal. -#}
{% macro spark__regex_char_class(code_points, negate=false) -%}
    {{ return(regex_char_class_escaped(code_points, negate, '\\x{%x}', '\\x{%x}')) }}
{%- endmacro %}
