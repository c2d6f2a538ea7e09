{#- Fails naming the columns when two names are the same once lower-cased and trimmed ('email' twice, 'Email' and
    'email '): staging would read one of them and silently drop the other. -#}
{% macro raw_unique_column_names(names, where) -%}
    {%- set seen = {} -%}
    {%- for name in names -%}
        {%- set key = name | lower | trim -%}
        {%- do seen.update({key: seen.get(key, []) + [loop.index]}) -%}
    {%- endfor -%}
    {%- for key, positions in seen.items() if positions | length > 1 -%}
        {{ exceptions.raise_compiler_error(where ~ " has " ~ positions | length ~ " columns named " ~ key
            ~ " (columns " ~ positions | join(', ') ~ "): only one can be read. Remove or rename the others.") }}
    {%- endfor -%}
{%- endmacro %}
