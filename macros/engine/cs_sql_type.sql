{#- The SQL type a declared type name is on this engine. The YAML (contract data_type, the predict sources' column
    types, seeds' column_types) names types as DuckDB and PostgreSQL read them: text, varchar, double precision,
    integer, decimal(p, s), date, timestamp, boolean. Spark has no text, no varchar without a length and no double
    precision, so spark__ maps those; every other name is returned as written. -#}
{% macro cs_sql_type(data_type) -%}
    {{ return(adapter.dispatch('cs_sql_type', 'customer_scoring')(data_type)) }}
{%- endmacro %}

{% macro default__cs_sql_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__cs_sql_type(data_type) -%}
    {%- set t = (data_type or '') | lower | trim -%}
    {%- if t in ('text', 'varchar', 'character varying', 'bpchar') -%}
        {{ return('string') }}
    {%- elif t in ('double precision', 'float8') -%}
        {{ return('double') }}
    {%- elif t in ('real', 'float4') -%}
        {{ return('float') }}
    {%- elif t == 'timestamp without time zone' -%}
        {{ return('timestamp') }}
    {%- endif -%}
    {{ return(data_type) }}
{%- endmacro %}
