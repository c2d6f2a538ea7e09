{#- A missing column: its default (text; '$var' reads that var) or a typed NULL. -#}
{% macro raw_missing_column(column) -%}
    {%- if column.default is none -%}
        cast(null as {{ raw_kind_type(column.kind) }})
    {%- elif column.default.startswith('$') -%}
        cast('{{ var(column.default[1:]) }}' as {{ raw_kind_type(column.kind) }})
    {%- else -%}
        cast('{{ column.default }}' as {{ raw_kind_type(column.kind) }})
    {%- endif -%}
{%- endmacro %}
