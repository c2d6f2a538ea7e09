{#- Bare lower-case host name from a URL or domain: 'https://www.Acme.com/contact?x=1' -> 'acme.com'. -#}
{% macro domain_from_url(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ clean_text(expression, lower_case=true) }}, '^[a-z][a-z0-9+.-]*://', ''),
                '^www[0-9]*[.]', ''
            ),
            '[/:?#].*$', ''
        ),
        ''
    )
{%- endmacro %}
