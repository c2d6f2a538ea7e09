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
