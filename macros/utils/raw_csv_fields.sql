{#- The fields of one CSV line (a header): split on the delimiter outside quotes, quotes removed, a doubled quote
    read as one, names trimmed; an empty name becomes column<n> (n from 1). -#}
{% macro raw_csv_fields(line, delimiter, quote) -%}
    {%- set d = modules.re.escape(delimiter) -%}
    {%- set q = modules.re.escape(quote) -%}
    {%- set pattern = '(?:^|' ~ d ~ ')\\s*(?:' ~ q ~ '((?:[^' ~ q ~ ']|' ~ q ~ q ~ ')*)' ~ q ~ '\\s*(?=' ~ d ~ '|$)|([^'
        ~ d ~ ']*))' -%}
    {%- set fields = [] -%}
    {%- for quoted, plain in modules.re.findall(pattern, line) -%}
        {%- set name = (quoted | replace(quote ~ quote, quote)) if quoted else plain -%}
        {%- set name = name | trim -%}
        {%- do fields.append(name if name else 'column' ~ loop.index) -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}
