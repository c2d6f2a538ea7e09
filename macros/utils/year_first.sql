{#- Text rewritten to year-first order under the dialect's date order: with 'dmy', '28/06/2026 14:05' becomes
    '2026-06-28 14:05'; with 'mdy', '06/28/2026' becomes '2026-06-28'. Separators '/', '.' and '-'; one or two digits
    for day and month. Year-first text is left as it is (ISO 8601 is read under every date order). Through
    regex_replace_all, which writes the backreferences each engine's way (the patterns are anchored: one match). -#}
{% macro year_first(text, date_order) -%}
    {%- if date_order == 'dmy' -%}
        {{ regex_replace_all(text, '^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})', '\\3-\\2-\\1') }}
    {%- elif date_order == 'mdy' -%}
        {{ regex_replace_all(text, '^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})', '\\3-\\1-\\2') }}
    {%- elif date_order == 'ymd' -%}
        {{ regex_replace_all(text, '^([0-9]{4})[./]([0-9]{1,2})[./]([0-9]{1,2})', '\\1-\\2-\\3') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("date_order must be ymd, dmy or mdy, got '" ~ date_order ~ "'") }}
    {%- endif -%}
{%- endmacro %}
