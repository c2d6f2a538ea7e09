{#- The class of a physical type name, as DuckDB's DESCRIBE or PostgreSQL's catalog spell it. -#}
{% macro raw_type_class(type_name) -%}
    {%- set t = (type_name or '') | lower | trim -%}
    {%- if t == 'unknown' -%}{{ return('unknown') }}
    {%- elif t in ('varchar', 'text', 'string', 'character varying', 'bpchar', 'character', 'char', 'name')
        or t.startswith('varchar') or t.startswith('character') -%}{{ return('text') }}
    {%- elif t in ('timestamptz', 'timestamp with time zone') or t.startswith('timestamp with time zone') -%}
        {{ return('timestamptz') }}
    {%- elif t.startswith('timestamp') or t.startswith('datetime') -%}{{ return('timestamp') }}
    {%- elif t == 'date' -%}{{ return('date') }}
    {%- elif t in ('tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'utinyint', 'usmallint',
        'uinteger', 'ubigint', 'uhugeint', 'int2', 'int4', 'int8') -%}{{ return('integer') }}
    {%- elif t in ('double', 'double precision', 'real', 'float', 'float4', 'float8') or t.startswith('decimal')
        or t.startswith('numeric') -%}{{ return('number') }}
    {%- elif t in ('boolean', 'bool') -%}{{ return('boolean') }}
    {%- else -%}{{ return('other') }}
    {%- endif -%}
{%- endmacro %}
