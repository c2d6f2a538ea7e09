{#- The raw layer as staging reads it: every column of the input contract (macros/utils/raw_contract.sql, generated
    from customer_scoring/contract.py), typed, whatever the user's file or table holds.

    raw_source('shop', 'orders') returns a SELECT with exactly the contract's columns of that table:
    - a column the file or table has is read by its physical type: text is parsed under the table's dialect
      (raw_dialect), a typed column is converted (a time-zone-aware timestamp to UTC, a whole DOUBLE to an integer);
    - a missing optional column is a typed NULL, or its contract default (an order export without a status column
      is a list of completed orders); a missing required column is a compilation error naming table, column and what
      it is for (the runner's pre-flight check says the same before dbt runs);
    - an absent table (no file, no relation) is an empty relation with the same typed columns;
    - `_unreadable_quarantine` and `_unreadable_nulled` list the columns whose non-empty value could not be read
      (NULL when none): staging quarantines the row for the first, counts a repair for the second;
      `_unreadable_detail` shows the first unreadable value, for the quarantine's reason detail;
    - extra columns are ignored (the pre-flight check lists them once).
    Column names match without regard to case and surrounding spaces. With var ignore_loaded_at: true, `_loaded_at`
    is ignored (visibility follows the business dates: for snapshot exports loaded after the dates they describe).

    In a dbt unit test the fixture stands for the raw table: every column goes through the text path, so unit tests
    exercise the parsing. -#}

{% macro raw_source(source_name, table_name) -%}
    {%- set key = source_name ~ '.' ~ table_name -%}
    {%- set spec = raw_contract()[key] -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set dialect = raw_dialect(source_name, table_name) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {%- set info = {'exists': true, 'from': relation, 'columns': {}} -%}
        {%- for c in spec.columns -%}
            {%- do info.columns.update({c.name: {'name': c.name, 'type': 'unknown'}}) -%}
        {%- endfor -%}
    {%- elif execute -%}
        {%- set info = raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- else -%}
        {%- set info = {'exists': false, 'from': none, 'columns': {}} -%}
    {%- endif -%}
    {%- if var('ignore_loaded_at', false) -%}
        {%- do info.columns.pop('_loaded_at', none) -%}
    {%- endif -%}

    {%- set selects = [] -%}
    {%- set quarantine_checks = [] -%}
    {%- set nulled_checks = [] -%}
    {%- set details = [] -%}
    {%- for c in spec.columns -%}
        {%- set physical = info.columns.get(c.name) if info.exists else none -%}
        {%- if physical is none -%}
            {%- if c.required and info.exists -%}
                {{ exceptions.raise_compiler_error(
                    "raw table " ~ key ~ " has no column " ~ c.name ~ " (required: " ~ c.purpose ~ "). Add it, or "
                    ~ "rename the column that holds it; docs/INPUT_CONTRACT.md lists every column.") }}
            {%- endif -%}
            {%- do selects.append(raw_missing_column(c) ~ ' as ' ~ c.name) -%}
        {%- else -%}
            {%- set expr = adapter.quote(physical.name) -%}
            {%- set cls = raw_type_class(physical.type) -%}
            {%- set parsed = raw_typed_value(expr, cls, c.kind, dialect) -%}
            {%- do selects.append(parsed ~ ' as ' ~ c.name) -%}
            {%- if c.kind != 'text' and cls not in raw_exact_classes(c.kind) -%}
                {%- set check = '(' ~ raw_text(expr) ~ ' is not null and ' ~ parsed ~ ' is null)' -%}
                {%- set listed = 'case when ' ~ check ~ " then '" ~ c.name ~ "' end" -%}
                {%- if c.on_unreadable == 'quarantine' -%}
                    {%- do quarantine_checks.append(listed) -%}
                {%- else -%}
                    {%- do nulled_checks.append(listed) -%}
                {%- endif -%}
                {%- do details.append('case when ' ~ check ~ " then '" ~ c.name ~ " = ''' || " ~ raw_text(expr)
                    ~ " || '''' end") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor %}
    select
        {{ selects | join(',\n        ') }},
        {{ raw_name_list(quarantine_checks) }} as _unreadable_quarantine,
        {{ raw_name_list(nulled_checks) }} as _unreadable_nulled,
        {% if details %}coalesce({{ details | join(', ') }}){% else %}cast(null as {{ dbt.type_string() }}){% endif %}
            as _unreadable_detail
    {%- if info.exists %}
    from {{ info.from }} as raw_rows
    {%- else %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- What to select a raw table's rows from (a relation, or a DuckDB file reader), as staging reads it; none when the
    table is absent (or at parse time). -#}
{% macro raw_source_from(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set info = raw_relation_info(source_name, table_name, relation, raw_dialect(source_name, table_name)) -%}
    {{ return(info['from'] if info.exists else none) }}
{%- endmacro %}

{#- Comma-separated names of the columns whose check fired, NULL when none. -#}
{% macro raw_name_list(checks) -%}
    {%- if checks -%}
        nullif(concat_ws(', ', {{ checks | join(', ') }}), '')
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

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

{#- Physical type classes whose values always convert exactly to a kind (no unreadable value possible). -#}
{% macro raw_exact_classes(kind) -%}
    {%- set exact = {
        'timestamp': ['timestamp', 'timestamptz', 'date'],
        'date': ['date', 'timestamp', 'timestamptz'],
        'integer': ['integer'],
        'decimal': ['integer'],
        'boolean': ['boolean'],
        'text': ['text', 'timestamp', 'timestamptz', 'date', 'integer', 'number', 'boolean', 'unknown', 'other'],
    } -%}
    {{ return(exact[kind]) }}
{%- endmacro %}

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

{#- The value of a present column, read as its contract kind from its physical class. -#}
{% macro raw_typed_value(expr, cls, kind, dialect) -%}
    {%- set text = raw_text(expr) -%}
    {%- if kind == 'text' -%}
        {%- if cls == 'text' -%}{{ expr }}{%- else -%}cast({{ expr }} as {{ dbt.type_string() }}){%- endif -%}
    {%- elif kind == 'timestamp' -%}
        {%- if cls == 'timestamptz' -%}{{ utc_timestamp(expr, true) }}
        {%- elif cls == 'timestamp' -%}{{ utc_timestamp(expr, false, dialect.timezone) }}
        {%- elif cls == 'date' -%}cast({{ expr }} as timestamp)
        {%- else -%}{{ parse_timestamp(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'date' -%}
        {%- if cls == 'date' -%}{{ expr }}
        {%- elif cls == 'timestamp' -%}cast({{ expr }} as date)
        {%- elif cls == 'timestamptz' -%}cast({{ utc_timestamp(expr, true) }} as date)
        {%- else -%}{{ parse_date(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'integer' -%}
        {%- if cls == 'integer' -%}cast({{ expr }} as {{ dbt.type_bigint() }})
        {%- elif cls == 'number' -%}
            case
                when {{ expr }} = floor({{ expr }}) and abs({{ expr }}) < 1000000000000000000
                    then cast({{ expr }} as {{ dbt.type_bigint() }})
            end
        {%- else -%}{{ parse_integer(text, {'decimal_mark': '.', 'thousands_mark': ''} if cls == 'boolean' else dialect) }}
        {%- endif -%}
    {%- elif kind == 'decimal' -%}
        {%- if cls == 'integer' -%}cast({{ expr }} as decimal(18, 4))
        {%- elif cls == 'number' -%}
            case when abs({{ expr }}) < 100000000000000 then cast({{ expr }} as decimal(18, 4)) end
        {%- else -%}{{ parse_decimal(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'boolean' -%}
        {%- if cls == 'boolean' -%}{{ expr }}
        {%- else -%}{{ parse_boolean(text) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The dialect of a raw table: var raw_dialect (defaults for every table), then what the runner's pre-flight check
    detected (var raw_dialects_detected), then var raw_dialects, each keyed by source ('shop') and by table
    ('shop.orders'), later keys winning: what a user declares always wins over detection. Keys: delimiter (CSV; 'auto' sniffs it), quote,
    encoding (utf-8, utf-16, latin-1), decimal_mark ('.' or ','), thousands_mark ('', ',', '.', ' ' or "'"),
    date_order (ymd, dmy, mdy: how text dates that do not start with the year are read), timezone (the zone of
    timestamps written without an offset; default UTC). A bad value is a compilation error naming the key. -#}
{% macro raw_dialect(source_name, table_name) -%}
    {%- set d = {'delimiter': 'auto', 'quote': '"', 'encoding': 'utf-8', 'decimal_mark': '.', 'thousands_mark': '',
                 'date_order': 'ymd', 'timezone': 'UTC'} -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- a unit test's fixture is read under the dialect the test declares (var test_raw_dialects), never under
            what a user declared or the pre-flight check detected for real files -#}
        {%- set layers = [{}, var('test_raw_dialects', {}) or {}] -%}
    {%- else -%}
        {%- set layers = [var('raw_dialect', {}) or {}, var('raw_dialects_detected', {}) or {},
                          var('raw_dialects', {}) or {}] -%}
    {%- endif -%}
    {%- do d.update(layers[0]) -%}
    {%- for per_table in layers[1:] -%}
        {%- do d.update(per_table.get(source_name, {}) or {}) -%}
        {%- do d.update(per_table.get(source_name ~ '.' ~ table_name, {}) or {}) -%}
    {%- endfor -%}
    {%- set where = 'dialect of ' ~ source_name ~ '.' ~ table_name ~ ': ' -%}
    {%- if d.decimal_mark not in ('.', ',') -%}
        {{ exceptions.raise_compiler_error(where ~ "decimal_mark must be '.' or ',', got '" ~ d.decimal_mark ~ "'") }}
    {%- endif -%}
    {%- if d.thousands_mark not in ('', ',', '.', ' ', "'") or d.thousands_mark == d.decimal_mark -%}
        {{ exceptions.raise_compiler_error(where ~ "thousands_mark must be '', ',', '.', ' ' or \"'\" and differ "
            ~ "from the decimal mark, got '" ~ d.thousands_mark ~ "'") }}
    {%- endif -%}
    {%- if d.date_order not in ('ymd', 'dmy', 'mdy') -%}
        {{ exceptions.raise_compiler_error(where ~ "date_order must be ymd, dmy or mdy, got '" ~ d.date_order ~ "'") }}
    {%- endif -%}
    {%- if not modules.re.match('^[A-Za-z0-9_+/-]+$', d.timezone) -%}
        {{ exceptions.raise_compiler_error(where ~ "timezone must be an IANA name such as Europe/Paris, got '"
            ~ d.timezone ~ "'") }}
    {%- endif -%}
    {%- if d.encoding | lower not in ('utf-8', 'utf8', 'utf-16', 'latin-1', 'latin1', 'iso-8859-1') -%}
        {{ exceptions.raise_compiler_error(where ~ "encoding must be utf-8, utf-16 or latin-1, got '" ~ d.encoding ~ "'") }}
    {%- endif -%}
    {{ return(d) }}
{%- endmacro %}

{#- Where a raw table is and which columns it has: {'exists', 'from' (SQL to select from), 'columns' (contract-style
    lower-case name -> {'name': physical name, 'type': physical type})}. -#}
{% macro raw_relation_info(source_name, table_name, relation, dialect) -%}
    {{ return(adapter.dispatch('raw_relation_info', 'customer_scoring')(source_name, table_name, relation, dialect)) }}
{%- endmacro %}

{% macro default__raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                         identifier=relation.identifier) -%}
    {%- if found is none -%}
        {{ return({'exists': false, 'from': none, 'columns': {}}) }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for col in adapter.get_columns_in_relation(found) -%}
        {%- do columns.update({col.name | lower | trim: {'name': col.name, 'type': col.dtype}}) -%}
    {%- endfor -%}
    {{ return({'exists': true, 'from': found, 'columns': columns}) }}
{%- endmacro %}

{#- DuckDB reads files: <CS_RAW_PATH>/<source>/<identifier>.parquet, else .csv, .csv.gz, .tsv (var raw_format
    'parquet' or 'csv' restricts the search). -#}
{% macro duckdb__raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- set reader = raw_file_reader(source_name, table_name, dialect) -%}
    {%- if reader is none -%}
        {{ return({'exists': false, 'from': none, 'columns': {}}) }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- set described = run_query('describe select * from ' ~ reader) -%}
    {%- for row in described.rows -%}
        {%- do columns.update({row[0] | lower | trim: {'name': row[0], 'type': row[1]}}) -%}
    {%- endfor -%}
    {{ return({'exists': true, 'from': reader, 'columns': columns}) }}
{%- endmacro %}

{#- The DuckDB table function that reads a raw file, or none when there is no file. -#}
{% macro raw_file_reader(source_name, table_name, dialect) -%}
    {%- set identifier = var(source_name ~ '__' ~ table_name ~ '_identifier', table_name) -%}
    {%- set base = env_var('CS_RAW_PATH', 'data/raw') ~ '/' ~ source_name ~ '/' ~ identifier -%}
    {%- set fmt = var('raw_format', 'auto') -%}
    {%- set candidates = [] -%}
    {%- if fmt in ('auto', 'parquet') -%}{%- do candidates.append(('parquet', base ~ '.parquet')) -%}{%- endif -%}
    {%- if fmt in ('auto', 'csv') -%}
        {%- do candidates.extend([('csv', base ~ '.csv'), ('csv', base ~ '.csv.gz'), ('csv', base ~ '.tsv')]) -%}
    {%- endif -%}
    {%- if fmt not in ('auto', 'parquet', 'csv') -%}
        {{ exceptions.raise_compiler_error("var raw_format must be auto, parquet or csv, got '" ~ fmt ~ "'") }}
    {%- endif -%}
    {%- for kind, path in candidates -%}
        {%- set quoted = path | replace("'", "''") -%}
        {%- set hits = run_query("select count(*) from glob('" ~ quoted ~ "')") -%}
        {%- if hits.rows[0][0] > 0 -%}
            {%- if kind == 'parquet' -%}
                {{ return("read_parquet('" ~ quoted ~ "')") }}
            {%- else -%}
                {%- set options = ["header = true", "all_varchar = true"] -%}
                {%- set delimiter = dialect.delimiter -%}
                {%- if delimiter == 'auto' and path.endswith('.tsv') -%}{%- set delimiter = '\t' -%}{%- endif -%}
                {%- if delimiter != 'auto' -%}
                    {%- do options.append("delim = '" ~ (delimiter | replace("'", "''")) ~ "'") -%}
                {%- endif -%}
                {%- do options.append("quote = '" ~ (dialect.quote | replace("'", "''")) ~ "'") -%}
                {%- set encoding = dialect.encoding | lower | replace('utf8', 'utf-8') | replace('latin1', 'latin-1')
                    | replace('iso-8859-1', 'latin-1') -%}
                {%- do options.append("encoding = '" ~ encoding ~ "'") -%}
                {{ return("read_csv('" ~ quoted ~ "', " ~ options | join(', ') ~ ")") }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
