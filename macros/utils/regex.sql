{#- Portable regular-expression helpers. DuckDB and PostgreSQL take POSIX-like patterns; Spark takes Java ones.
    Patterns used in this project stay within the common subset (classes, anchors, quantifiers); a
    match is a search anywhere in the string on every engine, so anchor patterns with ^ and $ when the whole value
    must match. -#}

{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'customer_scoring')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}

{#- Replaces every match (not only the first). -#}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'customer_scoring')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

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

{#- Spark (Java): \x{X}, its backslash doubled for the SQL string literal. -#}
{% macro spark__regex_char_class(code_points, negate=false) -%}
    {{ return(regex_char_class_escaped(code_points, negate, '\\\\x{%x}', '\\\\x{%x}')) }}
{%- endmacro %}

{#- Builds the bracket expression; bmp_escape formats code points up to U+FFFF, astral_escape the others. -#}
{% macro regex_char_class_escaped(code_points, negate, bmp_escape, astral_escape) -%}
    {%- set parts = [] -%}
    {%- for item in code_points -%}
        {%- set bounds = [item, item] if item is number else item -%}
        {%- set escaped = [] -%}
        {%- for code_point in bounds -%}
            {%- do escaped.append((bmp_escape if code_point <= 65535 else astral_escape) | format(code_point)) -%}
        {%- endfor -%}
        {%- do parts.append(escaped[0] if bounds[0] == bounds[1] else escaped[0] ~ '-' ~ escaped[1]) -%}
    {%- endfor -%}
    {{ return('[' ~ ('^' if negate else '') ~ parts | join('') ~ ']') }}
{%- endmacro %}
