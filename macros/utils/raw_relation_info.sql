{#- Where a raw table is and which columns it has: {'exists', 'from' (SQL to select from), 'columns' (contract-style
    lower-case name -> {'name': physical name, 'type': physical type})}; DuckDB CSV files add what
    raw_malformed_lines needs. Two columns whose names are the same once lower-cased and trimmed would both read as
    one contract column: a compilation error naming them (the runner's pre-flight check says it first). -#}
{% macro raw_relation_info(source_name, table_name, relation, dialect) -%}
    {{ return(adapter.dispatch('raw_relation_info', 'customer_scoring')(source_name, table_name, relation, dialect)) }}
{%- endmacro %}

{% macro default__raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                         identifier=relation.identifier) -%}
    {%- if found is none -%}
        {{ return({'exists': false, 'from': none, 'columns': {}}) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set columns = {} -%}
    {%- for col in adapter.get_columns_in_relation(found) -%}
        {%- do names.append(col.name) -%}
        {%- do columns.update({col.name | lower | trim: {'name': col.name, 'type': col.dtype}}) -%}
    {%- endfor -%}
    {%- do raw_unique_column_names(names, found | string) -%}
    {{ return({'exists': true, 'from': found, 'columns': columns}) }}
{%- endmacro %}

{#- DuckDB reads files: <CS_RAW_PATH>/<source>/<identifier>.parquet, else .csv, .csv.gz, .tsv (var raw_format
    'parquet' or 'csv' restricts the search). -#}
{% macro duckdb__raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- set file = raw_file_reader(source_name, table_name, dialect) -%}
    {%- if file is none -%}
        {{ return({'exists': false, 'from': none, 'columns': {}}) }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- if file.format == 'csv' -%}
        {%- for name in file.header -%}
            {%- do columns.update({name | lower | trim: {'name': name, 'type': 'VARCHAR'}}) -%}
        {%- endfor -%}
    {%- else -%}
        {%- set described = run_query('describe select * from ' ~ file.reader) -%}
        {%- for row in described.rows -%}
            {%- do columns.update({row[0] | lower | trim: {'name': row[0], 'type': row[1]}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set info = {'exists': true, 'from': file.reader, 'columns': columns, 'file': file.file} -%}
    {%- if file.format == 'csv' -%}
        {%- do info.update({'rejects_reader': file.rejects_reader, 'rejects_table': file.rejects_table,
                            'max_line_size': dialect.max_line_size, 'encoding': file.encoding}) -%}
    {%- endif -%}
    {{ return(info) }}
{%- endmacro %}
