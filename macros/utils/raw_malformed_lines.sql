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
