{#- dbt-postgres loads a seed with dbt's default__load_csv_rows, which writes the placeholders of every cell in a
    Jinja loop: 10.3 s for free_mail_domains (14,126 rows) and 3.5 s for country_aliases on every PostgreSQL build.
    The same insert statements and bindings, with the placeholders built by string repetition (D98). -#}
{% macro postgres__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() %}
    {%- set cols_sql = get_seed_column_quoted_csv(model, agate_table.column_names) %}
    {%- set row_sql = '(' ~ ([get_binding_char()] * (agate_table.column_names | length)) | join(',') ~ ')' %}
    {%- set statements = [] %}
    {%- for chunk in agate_table.rows | batch(batch_size) %}
        {%- set bindings = [] %}
        {%- for row in chunk %}
            {%- do bindings.extend(row) %}
        {%- endfor %}
        {%- set sql = 'insert into ' ~ this.render() ~ ' (' ~ cols_sql ~ ') values '
            ~ ([row_sql] * (chunk | length)) | join(',') %}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) %}
        {%- if loop.index0 == 0 %}
            {%- do statements.append(sql) %}
        {%- endif %}
    {%- endfor %}
    {{ return(statements[0]) }}
{% endmacro %}

{#- dbt-spark's session-mode cursor pastes seed bindings into the SQL as '{value}', unescaped, and None as 'None':
    Côte d'Ivoire breaks the insert and an empty cell becomes the text 'None'. The literals are rendered here instead
    (NULL as a typed NULL, backslash and quote escaped for Spark's string literals), each cast to its column's type
    (column_types mapped through cs_sql_type, as spark__create_csv_table does). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() %}
    {%- set column_override = model['config'].get('column_types', {}) %}
    {%- set types = [] %}
    {%- for col_name in agate_table.column_names %}
        {%- do types.append(cs_sql_type(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)))) %}
    {%- endfor %}
    {%- set statements = [] %}
    {%- for chunk in agate_table.rows | batch(batch_size) %}
        {%- set rows = [] %}
        {%- for row in chunk %}
            {%- set cells = [] %}
            {%- for value in row %}
                {%- if value is none %}
                    {%- do cells.append('cast(null as ' ~ types[loop.index0] ~ ')') %}
                {%- else %}
                    {%- do cells.append("cast('" ~ ((value | string) | replace('\\', '\\\\') | replace("'", "\\'"))
                                        ~ "' as " ~ types[loop.index0] ~ ")") %}
                {%- endif %}
            {%- endfor %}
            {%- do rows.append('(' ~ cells | join(', ') ~ ')') %}
        {%- endfor %}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(',\n') %}
        {%- do adapter.add_query(sql, abridge_sql_log=True) %}
        {%- if loop.index0 == 0 %}
            {%- do statements.append(sql) %}
        {%- endif %}
    {%- endfor %}
    {{ return(statements[0]) }}
{% endmacro %}
