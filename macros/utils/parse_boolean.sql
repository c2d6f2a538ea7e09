{#- Boolean from text: true/false, t/f, yes/no, y/n, 1/0 and their French and German words; anything else NULL. -#}
{% macro parse_boolean(text) -%}
    case
        when lower({{ text }}) in ('true', 't', 'yes', 'y', '1', 'oui', 'vrai', 'ja', 'si', 'on') then true
        when lower({{ text }}) in ('false', 'f', 'no', 'n', '0', 'non', 'faux', 'nein', 'off') then false
    end
{%- endmacro %}
