{#- The SQL type a contract kind is read as. -#}
{% macro raw_kind_type(kind) -%}
    {%- if kind == 'text' -%}{{ dbt.type_string() }}
    {%- elif kind == 'timestamp' -%}timestamp
    {%- elif kind == 'date' -%}date
    {%- elif kind == 'integer' -%}{{ dbt.type_bigint() }}
    {%- elif kind == 'decimal' -%}decimal(18, 4)
    {%- elif kind == 'boolean' -%}boolean
    {%- else -%}{{ exceptions.raise_compiler_error("unknown contract kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}
