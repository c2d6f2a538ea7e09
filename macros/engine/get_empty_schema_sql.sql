{#- dbt's contract check casts NULL to every declared data_type (get_empty_schema_sql) and compares the result with
    the model's columns. On Spark the declared names are mapped through cs_sql_type first, so the YAML keeps one set of
    type names for every engine (text would be UNSUPPORTED_DATATYPE, varchar DATATYPE_MISSING_SIZE). Only the Spark
    variant lives here: the other engines use dbt's default. -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set mapped = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': cs_sql_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do mapped.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(mapped)) }}
{%- endmacro %}
