{#- Integer from text, NULL (never an error) when the text is not a whole number or has more than 18 digits (bigint
    holds 18 digits safely). -#}
{% macro safe_integer(expression) -%}
    case
        when {{ regex_matches("trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))", '^[-+]?[0-9]{1,18}$') }}
            then cast(trim(cast({{ expression }} as {{ dbt.type_string() }})) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
