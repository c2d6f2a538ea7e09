{#- The first capture group of the first match of `pattern` in `expression` (NULL when it does not match): the one
    regular-expression helper the offer models need beyond regex_matches and regex_replace_all, written for the same common
    subset of patterns (non-capturing groups (?:...) count as no group on both engines). -#}
{% macro regex_extract_group(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_extract_group', 'customer_scoring')(expression, pattern)) }}
{%- endmacro %}

{#- PostgreSQL: regexp_match returns the array of capture groups, or NULL. -#}
{% macro default__regex_extract_group(expression, pattern) -%}
    (regexp_match({{ expression }}, '{{ pattern }}'))[1]
{%- endmacro %}

{#- Spark (Java): regexp_extract gives '' when the pattern does not match; backslashes doubled for the literal. -#}
{% macro spark__regex_extract_group(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern | replace('\\', '\\\\') }}', 1), '')
{%- endmacro %}

{#- DuckDB (RE2): regexp_extract gives '' when the pattern does not match. -#}
{% macro duckdb__regex_extract_group(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}
