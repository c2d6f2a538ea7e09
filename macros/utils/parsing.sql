{#- Parsing of raw values (numbers, dates, timestamps) under a declared dialect. Each returns a SQL expression
    that is NULL, never an error, when the text cannot be read. -#}

{#- Decimal from text, NULL (never an error) when the text is not a plain number or has more integer digits than
    the type holds (precision - scale). Accepts a decimal comma ('12,50') and a leading sign. -#}
{% macro safe_decimal(expression, precision=18, scale=2) -%}
    case
        when {{ regex_matches(
            "replace(trim(" ~ expression ~ "), ',', '.')",
            '^[-+]?[0-9]{1,' ~ (precision - scale) ~ '}([.][0-9]+)?$'
        ) }}
            then cast(replace(trim({{ expression }}), ',', '.') as decimal({{ precision }}, {{ scale }}))
    end
{%- endmacro %}

{#- Integer from text, NULL (never an error) when the text is not a whole number or has more than 18 digits (bigint
    holds 18 digits safely). -#}
{% macro safe_integer(expression) -%}
    case
        when {{ regex_matches("trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))", '^[-+]?[0-9]{1,18}$') }}
            then cast(trim(cast({{ expression }} as {{ dbt.type_string() }})) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

