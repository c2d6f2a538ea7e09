{#- Phone number reduced to digits with an optional leading '+'; NULL when fewer than 6 digits remain. -#}
{% macro normalize_phone(expression) -%}
    case
        when length({{ regex_replace_all(expression, '[^0-9]', '') }}) >= 6
            then
                case when trim({{ expression }}) like '+%' then '+' else '' end
                || {{ regex_replace_all(expression, '[^0-9]', '') }}
    end
{%- endmacro %}
