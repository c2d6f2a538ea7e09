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
