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
    {%- set string = dbt.type_string() -%}
    {%- set rows_from = raw_malformed_lines(info) if info.exists else none -%}

    {#- Two levels: read_rows converts each present column from its physical type (keeping its text, and for a
        whole-number column with a domain the number before the whole check); the outer select applies the
        contract's domains and lists what could not be read or lies outside its domain. -#}
    {%- set reads = [] -%}
    {%- set selects = [] -%}
    {%- set quarantine_checks = [] -%}
    {%- set nulled_checks = [] -%}
    {%- set domain_codes = [] -%}
    {%- set domain_nulled = [] -%}
    {%- set first_details = [] -%}
    {%- set later_details = [] -%}
    {%- for c in spec.columns -%}
        {%- set physical = info.columns.get(c.name) if info.exists else none -%}
        {%- if physical is none -%}
            {%- if c.required and info.exists -%}
                {{ exceptions.raise_compiler_error(
                    "raw table " ~ key ~ " has no column " ~ c.name ~ " (required: " ~ c.purpose ~ "). Add it, or "
                    ~ "rename the column that holds it; docs/INPUT_CONTRACT.md lists every column.") }}
            {%- endif -%}
            {%- do reads.append(raw_missing_column(c) ~ ' as ' ~ c.name) -%}
            {%- do selects.append(c.name) -%}
        {%- else -%}
            {%- set expr = adapter.quote(physical.name) -%}
            {%- set cls = raw_type_class(physical.type) -%}
            {%- do reads.append(raw_typed_value(expr, cls, c.kind, dialect) ~ ' as ' ~ c.name) -%}
            {%- set checked = c.kind != 'text' and cls not in raw_exact_classes(c.kind) -%}
            {%- set dom = c.domain if c.kind in ('integer', 'decimal') else none -%}
            {%- if checked or dom is not none -%}
                {%- do reads.append(raw_text(expr) ~ ' as ' ~ c.name ~ '__text') -%}
            {%- endif -%}
            {#- the number as written: a whole-number column is also read as a decimal, so that 2.5 lies outside
                its domain (never rounded) rather than being unreadable -#}
            {%- set number = c.name -%}
            {%- if dom is not none and c.kind == 'integer' -%}
                {%- do reads.append(raw_typed_value(expr, cls, 'decimal', dialect) ~ ' as ' ~ c.name ~ '__number') -%}
                {%- set number = c.name ~ '__number' -%}
            {%- endif -%}
            {%- if dom is not none -%}
                {%- set tests = [] -%}
                {%- if c.kind == 'integer' -%}{%- do tests.append(c.name ~ ' is null') -%}{%- endif -%}
                {%- if dom.low is not none -%}{%- do tests.append(number ~ ' < ' ~ dom.low) -%}{%- endif -%}
                {%- if dom.high is not none -%}{%- do tests.append(number ~ ' > ' ~ dom.high) -%}{%- endif -%}
                {%- set outside = '(' ~ number ~ ' is not null and (' ~ tests | join(' or ') ~ '))' -%}
                {%- do selects.append('case when ' ~ outside ~ ' then null else ' ~ c.name ~ ' end as ' ~ c.name) -%}
                {%- set listed = 'case when ' ~ outside ~ " then '" ~ c.name ~ "' end" -%}
                {%- if dom.code in ('unreadable_value', 'unreadable_value_nulled') -%}
                    {#- a column without a reason code of its own: outside its domain is unreadable -#}
                    {%- do (quarantine_checks if c.on_unreadable == 'quarantine' else nulled_checks).append(listed) -%}
                {%- elif c.on_unreadable == 'quarantine' -%}
                    {%- do domain_codes.append('when ' ~ outside ~ " then '" ~ dom.code ~ "'") -%}
                {%- else -%}
                    {%- do domain_nulled.append(listed) -%}
                {%- endif -%}
                {%- set detail = 'case when ' ~ outside ~ " then '" ~ c.name ~ " = ''' || " ~ c.name
                    ~ "__text || ''' (outside its domain: " ~ dom.text ~ ")' end" -%}
                {%- do (first_details if c.on_unreadable == 'quarantine' else later_details).append(detail) -%}
            {%- else -%}
                {%- do selects.append(c.name) -%}
            {%- endif -%}
            {%- if checked -%}
                {%- set check = '(' ~ c.name ~ '__text is not null and ' ~ number ~ ' is null)' -%}
                {%- set listed = 'case when ' ~ check ~ " then '" ~ c.name ~ "' end" -%}
                {%- do (quarantine_checks if c.on_unreadable == 'quarantine' else nulled_checks).append(listed) -%}
                {%- set detail = 'case when ' ~ check ~ " then '" ~ c.name ~ " = ''' || " ~ c.name
                    ~ "__text || '''' end" -%}
                {%- do (first_details if c.on_unreadable == 'quarantine' else later_details).append(detail) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if info.get('malformed_lines') -%}
        {%- do reads.append('_cs_malformed_line') -%}
    {%- else -%}
        {%- do reads.append('cast(null as ' ~ string ~ ') as _cs_malformed_line') -%}
    {%- endif -%}
    {%- set details = ['_cs_malformed_line'] + first_details + later_details %}
    select
        {{ selects | join(',\n        ') }},
        {{ raw_name_list(quarantine_checks) }} as _unreadable_quarantine,
        {{ raw_name_list(nulled_checks) }} as _unreadable_nulled,
        {% if domain_codes %}case {{ domain_codes | join(' ') }} end{% else %}cast(null as {{ string }}){% endif %}
            as _out_of_domain_code,
        {{ raw_name_list(domain_nulled, ',') }} as _out_of_domain_nulled,
        _cs_malformed_line as _malformed_line,
        coalesce({{ details | join(', ') }}) as _unreadable_detail
    from (
        select
            {{ reads | join(',\n            ') }}
        {%- if info.exists %}
        from {{ rows_from }} as raw_rows
        {%- else %}
        where 1 = 0
        {%- endif %}
    ) as read_rows
{%- endmacro %}

{#- What to select a raw table's rows from (a relation, or a DuckDB file reader with its malformed lines), as staging
    reads it; none when the table is absent (or at parse time). -#}
{% macro raw_source_from(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set info = raw_relation_info(source_name, table_name, relation, raw_dialect(source_name, table_name)) -%}
    {{ return(raw_malformed_lines(info) if info.exists else none) }}
{%- endmacro %}

{#- The rows of a raw table to read: info.from, plus, for a CSV file on DuckDB, one row per malformed line (a line
    that cannot be split into the header's columns: too few or too many fields, an unterminated quote, bytes not in
    the file's encoding, longer than max_line_size), every column NULL but _cs_malformed_line, which names the file,
    the line and what went wrong, never the line's text: audit.quarantine is published and readable by BI, a line
    of crm.contacts (or a survey's comment, an event's URL) holds personal data, and a line that could not be read
    has no contact id by which an erasure could find it. DuckDB's CSV reader stores the lines it rejects
    (store_rejects) in temporary tables of the connection that compiles the model, which is also the one that runs
    it: the file is scanned once more here, at compile time. Sets info.malformed_lines (their number). -#}
{% macro raw_malformed_lines(info) -%}
    {%- if not info.get('rejects_reader') or model.resource_type == 'unit_test' -%}
        {{ return(info['from']) }}
    {%- endif -%}
    {%- set rejects = 'temp.main.' ~ info.rejects_table -%}
    {%- do run_query('drop table if exists ' ~ rejects) -%}
    {%- do run_query('drop table if exists ' ~ rejects ~ '_scans') -%}
    {%- do run_query('select count(*) from ' ~ info.rejects_reader) -%}
    {%- set found = run_query('select count(distinct line) from ' ~ rejects).rows[0][0] -%}
    {%- do info.update({'malformed_lines': found}) -%}
    {%- if found == 0 -%}
        {{ return(info['from']) }}
    {%- endif -%}
    {%- set lines -%}
        (
            select
                *,
                cast(null as varchar) as _cs_malformed_line
            from {{ info['from'] }}
            union all by name
            select
                '{{ info.file | replace("'", "''") }} line ' || cast(line as varchar) || ': '
                || case error_type
                    when 'MISSING COLUMNS' then 'too few fields'
                    when 'TOO MANY COLUMNS' then 'too many fields'
                    when 'UNQUOTED VALUE' then 'a quoted field is not closed'
                    when 'LINE SIZE OVER MAXIMUM' then 'longer than max_line_size, {{ info.max_line_size }} bytes '
                        || '(declare a larger max_line_size in var raw_dialects to read it)'
                    when 'INVALID ENCODING' then 'not {{ info.encoding }} text'
                    when 'INVALID UNICODE' then 'not {{ info.encoding }} text'
                    else lower(error_type)
                end
                || ' (' || error_message || ')' as _cs_malformed_line
            from (
                select
                    line,
                    arg_min(error_type, coalesce(column_idx, 0)) as error_type,
                    arg_min(error_message, coalesce(column_idx, 0)) as error_message
                from {{ rejects }}
                group by line
            ) as rejected_lines
        )
    {%- endset -%}
    {{ return(lines) }}
{%- endmacro %}

{#- Comma-separated names of the columns whose check fired, NULL when none. -#}
{% macro raw_name_list(checks, separator=', ') -%}
    {%- if checks -%}
        nullif(concat_ws('{{ separator }}', {{ checks | join(', ') }}), '')
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
        {%- if cls == 'text' -%}{{ expr }}
        {%- elif cls == 'number' -%}
            {#- an identifier exported as a float (pandas writes ids with gaps as DOUBLE) is 123, not 123.0 -#}
            case
                when {{ expr }} = floor({{ expr }}) and abs({{ expr }}) < 1000000000000000000
                    then cast(cast({{ expr }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                else cast({{ expr }} as {{ dbt.type_string() }})
            end
        {%- else -%}cast({{ expr }} as {{ dbt.type_string() }}){%- endif -%}
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
        {%- elif cls in ('integer', 'number') -%}case when {{ expr }} = 1 then true when {{ expr }} = 0 then false end
        {%- else -%}{{ parse_boolean(text) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The dialect of a raw table: var raw_dialect (defaults for every table), then what the runner's pre-flight check
    detected (var raw_dialects_detected), then var raw_dialects, each keyed by source ('shop') and by table
    ('shop.orders'), later keys winning: what a user declares always wins over detection. Keys: delimiter (CSV; 'auto':
    a tab for .tsv, else whichever of , ; tab | the header line holds most), quote, max_line_size (CSV, bytes;
    default 2000000: a longer line is quarantined as malformed_line),
    encoding (utf-8, utf-16, latin-1), decimal_mark ('.' or ','), thousands_mark ('', ',', '.', ' ' or "'"),
    date_order (ymd, dmy, mdy: how text dates that do not start with the year are read), timezone (the zone of
    timestamps written without an offset; default UTC). A bad value is a compilation error naming the key. -#}
{% macro raw_dialect(source_name, table_name) -%}
    {%- set d = {'delimiter': 'auto', 'quote': '"', 'encoding': 'utf-8', 'decimal_mark': '.', 'thousands_mark': '',
                 'date_order': 'ymd', 'timezone': 'UTC', 'max_line_size': 2000000} -%}
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
    {%- if not modules.re.match('^[0-9]{1,12}$', d.max_line_size | string) or d.max_line_size | int < 1 -%}
        {{ exceptions.raise_compiler_error(where ~ "max_line_size must be a number of bytes, got '" ~ d.max_line_size
            ~ "'") }}
    {%- endif -%}
    {%- if d.encoding | lower not in ('utf-8', 'utf8', 'utf-16', 'latin-1', 'latin1', 'iso-8859-1') -%}
        {{ exceptions.raise_compiler_error(where ~ "encoding must be utf-8, utf-16 or latin-1, got '" ~ d.encoding ~ "'") }}
    {%- endif -%}
    {{ return(d) }}
{%- endmacro %}

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

{#- The DuckDB file of a raw table, or none when there is none: {'format' (parquet, csv), 'file' (<source>/<name>),
    'reader' (the table function reading its rows), and for CSV 'header' (the column names), 'encoding',
    'rejects_reader' and 'rejects_table' (the same read storing the lines it cannot split, see raw_malformed_lines)}.
    A CSV file is read without DuckDB's sniffer, which gives up on a file with one bad line in its sample: the
    columns are the header line's fields, the delimiter is the dialect's (auto: a tab for .tsv, else whichever of
    , ; tab | the header line holds most), quotes are escaped by doubling them, every value is text, and a line
    longer than the dialect's max_line_size is a malformed line, not an error. -#}
{% macro raw_file_reader(source_name, table_name, dialect) -%}
    {%- set identifier = var(source_name ~ '__' ~ table_name ~ '_identifier', table_name) -%}
    {%- set base = env_var('CS_RAW_PATH', 'data/raw') ~ '/' ~ source_name ~ '/' ~ identifier -%}
    {%- set fmt = var('raw_format', 'auto') -%}
    {%- set candidates = [] -%}
    {%- if fmt in ('auto', 'parquet') -%}{%- do candidates.append(('parquet', '.parquet')) -%}{%- endif -%}
    {%- if fmt in ('auto', 'csv') -%}
        {%- do candidates.extend([('csv', '.csv'), ('csv', '.csv.gz'), ('csv', '.tsv')]) -%}
    {%- endif -%}
    {%- if fmt not in ('auto', 'parquet', 'csv') -%}
        {{ exceptions.raise_compiler_error("var raw_format must be auto, parquet or csv, got '" ~ fmt ~ "'") }}
    {%- endif -%}
    {%- for kind, suffix in candidates -%}
        {%- set path = base ~ suffix -%}
        {%- set quoted = path | replace("'", "''") -%}
        {%- set file = source_name ~ '/' ~ identifier ~ suffix -%}
        {%- set hits = run_query("select count(*) from glob('" ~ quoted ~ "')") -%}
        {%- if hits.rows[0][0] > 0 -%}
            {%- if kind == 'parquet' -%}
                {%- set reader = "read_parquet('" ~ quoted ~ "')" -%}
                {#- a Parquet file may hold two columns of one name (DuckDB renames the second email_1) -#}
                {%- set schema = run_query("select name, coalesce(num_children, 0) from parquet_schema('" ~ quoted
                    ~ "')") -%}
                {#- the top-level columns: the schema is the tree in pre-order, its root first -#}
                {%- set top = [] -%}
                {%- set open_children = [] -%}
                {%- for row in schema.rows -%}
                    {%- if not loop.first -%}
                        {%- if open_children | length == 1 -%}{%- do top.append(row[0]) -%}{%- endif -%}
                        {%- do open_children.append(open_children.pop() - 1) -%}
                    {%- endif -%}
                    {%- if row[1] > 0 -%}{%- do open_children.append(row[1]) -%}{%- endif -%}
                    {%- for _ in range(open_children | length) if open_children and open_children[-1] == 0 -%}
                        {%- do open_children.pop() -%}
                    {%- endfor -%}
                {%- endfor -%}
                {%- do raw_unique_column_names(top, file) -%}
                {{ return({'format': 'parquet', 'file': file, 'reader': reader}) }}
            {%- else -%}
                {%- set encoding = dialect.encoding | lower | replace('utf8', 'utf-8') | replace('latin1', 'latin-1')
                    | replace('iso-8859-1', 'latin-1') -%}
                {%- set quote = dialect.quote | replace("'", "''") -%}
                {#- the header line, as one text field -#}
                {%- set first = run_query("select h from read_csv('" ~ quoted ~ "', auto_detect = false, header = false, "
                    ~ "columns = {'h': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', strict_mode = false, "
                    ~ "ignore_errors = true, encoding = '" ~ encoding ~ "', max_line_size = "
                    ~ dialect.max_line_size ~ ") limit 1") -%}
                {%- set line = ((first.rows[0][0] if first.rows else none) or '') | replace('\ufeff', '')
                    | replace('\r', '') -%}
                {%- set delimiter = dialect.delimiter -%}
                {%- if delimiter == 'auto' and path.endswith('.tsv') -%}
                    {%- set delimiter = '\t' -%}
                {%- elif delimiter == 'auto' -%}
                    {%- set most = namespace(delimiter=',') -%}
                    {%- for candidate in [';', '\t', '|'] -%}
                        {%- if line.count(candidate) > line.count(most.delimiter) -%}
                            {%- set most.delimiter = candidate -%}
                        {%- endif -%}
                    {%- endfor -%}
                    {%- set delimiter = most.delimiter -%}
                {%- endif -%}
                {%- set header = raw_csv_fields(line, delimiter, dialect.quote) if line | trim else [] -%}
                {%- if not header -%}
                    {{ exceptions.raise_compiler_error(file ~ " has no header line: a CSV raw file starts with the "
                        ~ "names of its columns (docs/INPUT_CONTRACT.md).") }}
                {%- endif -%}
                {%- do raw_unique_column_names(header, file) -%}
                {%- set columns = [] -%}
                {%- for name in header -%}
                    {%- do columns.append("'" ~ (name | replace("'", "''")) ~ "': 'VARCHAR'") -%}
                {%- endfor -%}
                {%- set options = ["auto_detect = false", "header = true",
                    "columns = {" ~ columns | join(', ') ~ "}",
                    "delim = '" ~ (delimiter | replace("'", "''")) ~ "'",
                    "quote = '" ~ quote ~ "'", "escape = '" ~ quote ~ "'",
                    "encoding = '" ~ encoding ~ "'", "max_line_size = " ~ dialect.max_line_size] -%}
                {%- set rejects_table = 'cs_rejects__' ~ source_name ~ '__' ~ table_name -%}
                {#- the rows are read with store_rejects too, into tables nothing reads: ignore_errors alone also
                    drops the line after one longer than max_line_size -#}
                {{ return({
                    'format': 'csv', 'file': file, 'header': header, 'encoding': encoding,
                    'reader': "read_csv('" ~ quoted ~ "', " ~ (options + [
                        'store_rejects = true', "rejects_table = '" ~ rejects_table ~ "_rows'",
                        "rejects_scan = '" ~ rejects_table ~ "_rows_scans'"]) | join(', ') ~ ")",
                    'rejects_table': rejects_table,
                    'rejects_reader': "read_csv('" ~ quoted ~ "', " ~ (options + [
                        'store_rejects = true', "rejects_table = '" ~ rejects_table ~ "'",
                        "rejects_scan = '" ~ rejects_table ~ "_scans'"]) | join(', ') ~ ")"}) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

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
