{#- Replaces every match (not only the first). -#}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'customer_scoring')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Spark (Java): replaces every match by default; the pattern's backslashes are doubled for the string literal, and
    the replacement's \N backreferences become Java's $N. -#}
{% macro spark__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace('\\', '\\\\') }}',
                   '{{ modules.re.sub('\\\\([0-9])', '$\\1', replacement) }}')
{%- endmacro %}
