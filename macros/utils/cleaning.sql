{#- Small, portable cleaning expressions used by the staging models. Each returns a SQL expression. -#}

{#- Trimmed text, NULL when empty. -#}
{% macro clean_text(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}

{#- Lower-cased, trimmed e-mail address (NULL when empty). Validity is checked by is_valid_email. -#}
{% macro normalize_email(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{#- True when an already normalised address looks deliverable: one @, a local part, a dotted domain, no spaces. -#}
{% macro is_valid_email(normalized_expression) -%}
    coalesce({{ regex_matches(normalized_expression, '^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$') }}, false)
{%- endmacro %}

{#- The part after the @ of a normalised address. -#}
{% macro email_domain(normalized_expression) -%}
    nullif(split_part({{ normalized_expression }}, '@', 2), '')
{%- endmacro %}

{#- Bare lower-case host name from a URL or domain: 'https://www.Acme.com/contact?x=1' -> 'acme.com'. -#}
{% macro domain_from_url(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(lower(trim({{ expression }})), '^[a-z][a-z0-9+.-]*://', ''),
                '^www[0-9]*[.]', ''
            ),
            '[/:?#].*$', ''
        ),
        ''
    )
{%- endmacro %}

{#- Phone number reduced to digits with an optional leading '+'; NULL when fewer than 6 digits remain. -#}
{% macro normalize_phone(expression) -%}
    case
        when length({{ regex_replace_all(expression, '[^0-9]', '') }}) >= 6
            then
                case when trim({{ expression }}) like '+%' then '+' else '' end
                || {{ regex_replace_all(expression, '[^0-9]', '') }}
    end
{%- endmacro %}

{#- Key used to look a country up in the country_aliases seed: lower case, no dots, trimmed. -#}
{% macro country_lookup_key(expression) -%}
    nullif(lower(trim(replace({{ expression }}, '.', ''))), '')
{%- endmacro %}

{#- round() that works on every engine whatever the argument's type: PostgreSQL has no round(double precision,
    integer), so the value goes through decimal(38, 10) first. -#}
{% macro round_decimal(expression, places) -%}
    round(cast({{ expression }} as decimal(38, 10)), {{ places }})
{%- endmacro %}

{#- An 8-byte float on every engine. dbt's type_float is `float`, a 4-byte float on DuckDB but 8 bytes on
    PostgreSQL, so engine results would differ in the last cents. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
