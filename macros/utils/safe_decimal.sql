{#- Decimal from text, NULL (never an error) when the text is not a plain number or has more integer digits than
    the type holds (precision - scale). A decimal point and a leading sign only: for configuration values written in
    the seeds; raw data goes through parse_decimal and the table's dialect. -#}
{% macro safe_decimal(expression, precision=18, scale=2) -%}
    case
        when {{ regex_matches(
            "trim(" ~ expression ~ ")",
            '^[-+]?[0-9]{1,' ~ (precision - scale) ~ '}([.][0-9]+)?$'
        ) }}
            then cast(trim({{ expression }}) as decimal({{ precision }}, {{ scale }}))
    end
{%- endmacro %}
