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
