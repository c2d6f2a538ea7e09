-- Unit test of the parsing macros (parse_* in macros/utils), run on the target engine (DuckDB and PostgreSQL in the
-- suite, so both read text the same way): each case feeds a literal to a macro under a dialect and compares the result,
-- as text, with the expected value (NULL = no value). Returns every case that differs, with the macro, the input, the
-- dialect, the expected and the actual value. The parsing macros must never raise: a number too large for the target
-- type or an impossible date is NULL, not a conversion error that stops the build. The last cases read typed columns
-- (raw_typed_value): a float id is '123', not '123.0'; a number or an integer is a boolean only as 1 or 0.
{% set dot = {'decimal_mark': '.', 'thousands_mark': '', 'date_order': 'ymd', 'timezone': 'UTC'} -%}
{%- set us = {'decimal_mark': '.', 'thousands_mark': ',', 'date_order': 'mdy', 'timezone': 'UTC'} -%}
{%- set eu = {'decimal_mark': ',', 'thousands_mark': '.', 'date_order': 'dmy', 'timezone': 'Europe/Paris'} -%}
{%- set ch = {'decimal_mark': '.', 'thousands_mark': "'", 'date_order': 'dmy', 'timezone': 'UTC'} -%}
{%- set fr = {'decimal_mark': ',', 'thousands_mark': ' ', 'date_order': 'dmy', 'timezone': 'UTC'} -%}
{% set cases = [
    ('safe_decimal', "'12.50'", none, '12.50'),
    ('safe_decimal', "' 12.5 '", none, '12.50'),
    ('safe_decimal', "'12,5'", none, none),
    ('safe_decimal', "'-3'", none, '-3.00'),
    ('safe_decimal', "'12.5.3'", none, none),
    ('safe_decimal', "'12 EUR'", none, none),
    ('safe_decimal', "''", none, none),
    ('safe_decimal', "'1234567890123456.789'", none, '1234567890123456.79'),
    ('safe_decimal', "'12345678901234567'", none, none),
    ('safe_integer', "'42'", none, '42'),
    ('safe_integer', "' -7 '", none, '-7'),
    ('safe_integer', "'4.2'", none, none),
    ('safe_integer', "'forty'", none, none),
    ('safe_integer', "'123456789012345678'", none, '123456789012345678'),
    ('safe_integer', "'99999999999999999999'", none, none),
    ('parse_decimal', "'1234.5'", dot, '1234.5000'),
    ('parse_decimal', "'1,234'", dot, none),
    ('parse_decimal', "'12,50'", dot, none),
    ('parse_decimal', "'.5'", dot, '0.5000'),
    ('parse_decimal', "'5.'", dot, '5.0000'),
    ('parse_decimal', "'$11.56'", dot, '11.5600'),
    ('parse_decimal', "'1e3'", dot, none),
    ('parse_decimal', "'99999999999999.5'", dot, '99999999999999.5000'),
    ('parse_decimal', "'999999999999999.5'", dot, none),
    ('parse_decimal', "'1,234,567.89'", us, '1234567.8900'),
    ('parse_decimal', "'1,234'", us, '1234.0000'),
    ('parse_decimal', "'12,34'", us, none),
    ('parse_decimal', "'1.234,50'", eu, '1234.5000'),
    ('parse_decimal', "'1,234'", eu, '1.2340'),
    ('parse_decimal', "'1.234'", eu, '1234.0000'),
    ('parse_decimal', "'1,234.50'", eu, none),
    ('parse_decimal', "'12,5 €'", eu, '12.5000'),
    ('parse_decimal', "'-0,5'", eu, '-0.5000'),
    ('parse_decimal', "'1''234.50'", ch, '1234.5000'),
    ('parse_decimal', "'1 234,50'", fr, '1234.5000'),
    ('parse_decimal', "'12 34,50'", fr, none),
    ('parse_integer', "'2'", dot, '2'),
    ('parse_integer', "'2.0'", dot, '2'),
    ('parse_integer', "'2.5'", dot, none),
    ('parse_integer', "'1,234'", us, '1234'),
    ('parse_boolean', "'Yes'", none, 'true'),
    ('parse_boolean', "'0'", none, 'false'),
    ('parse_boolean', "'faux'", none, 'false'),
    ('parse_boolean', "'maybe'", none, none),
    ('parse_timestamp', "'2026-07-01T00:30:00+02:00'", dot, '2026-06-30 22:30:00'),
    ('parse_timestamp', "'2026-07-01 00:30:00Z'", dot, '2026-07-01 00:30:00'),
    ('parse_timestamp', "'2026-07-01T00:30:00-0500'", dot, '2026-07-01 05:30:00'),
    ('parse_timestamp', "'2026-07-01 00:30'", dot, '2026-07-01 00:30:00'),
    ('parse_timestamp', "'2026-7-1'", dot, '2026-07-01 00:00:00'),
    ('parse_timestamp', "'2026/07/01 08:00:00'", dot, '2026-07-01 08:00:00'),
    ('parse_timestamp', "'2026-02-30 10:00:00'", dot, none),
    ('parse_timestamp', "'2024-02-29'", dot, '2024-02-29 00:00:00'),
    ('parse_timestamp', "'2023-02-29'", dot, none),
    ('parse_timestamp', "'1900-02-29'", dot, none),
    ('parse_timestamp', "'2000-02-29'", dot, '2000-02-29 00:00:00'),
    ('parse_timestamp', "'2026-04-31'", dot, none),
    ('parse_timestamp', "'2026-07-01 24:00:00'", dot, none),
    ('parse_timestamp', "'28/06/2026 14:05'", dot, none),
    ('parse_timestamp', "'28/06/2026 14:05'", eu, '2026-06-28 12:05:00'),
    ('parse_timestamp', "'28.06.2026'", eu, '2026-06-27 22:00:00'),
    ('parse_timestamp', "'15/01/2026 10:00'", eu, '2026-01-15 09:00:00'),
    ('parse_timestamp', "'2026-06-28T14:05:00Z'", eu, '2026-06-28 14:05:00'),
    ('parse_timestamp', "'06/28/2026'", us, '2026-06-28 00:00:00'),
    ('parse_timestamp', "'28/06/2026'", us, none),
    ('parse_timestamp', "'yesterday'", dot, none),
    ('parse_date', "'28/06/1997'", eu, '1997-06-28'),
    ('parse_date', "'1997-06-28'", dot, '1997-06-28'),
    ('parse_date', "'31/06/1997'", eu, none),
    ('raw_typed_value number text', "cast(123.0 as " ~ type_double() ~ ")", dot, '123'),
    ('raw_typed_value number text', "cast(12.5 as " ~ type_double() ~ ")", dot, '12.5'),
    ('raw_typed_value number integer', "cast(2.0 as " ~ type_double() ~ ")", dot, '2'),
    ('raw_typed_value number integer', "cast(2.5 as " ~ type_double() ~ ")", dot, none),
    ('raw_typed_value number decimal', "cast(2.5 as " ~ type_double() ~ ")", dot, '2.5000'),
    ('raw_typed_value number boolean', "cast(1.0 as " ~ type_double() ~ ")", dot, 'true'),
    ('raw_typed_value number boolean', "cast(0 as decimal(3, 1))", dot, 'false'),
    ('raw_typed_value number boolean', "cast(2.0 as " ~ type_double() ~ ")", dot, none),
    ('raw_typed_value integer boolean', "cast(1 as integer)", dot, 'true'),
    ('raw_typed_value integer boolean', "cast(7 as integer)", dot, none),
    ('raw_typed_value date timestamp', "cast('2026-02-01' as date)", dot, '2026-02-01 00:00:00'),
    ('raw_typed_value timestamptz date', "cast('2026-03-01 01:30:00+02:00' as " ~ type_timestamp_tz() ~ ")", dot,
     '2026-02-28'),
] -%}

with

cases as (

    {% for macro_name, input_sql, dialect, expected in cases %}
        {%- set macro = context[macro_name.split(' ')[0]] -%}
        {%- if macro_name.startswith('raw_typed_value') -%}
            {%- set call = macro(input_sql, macro_name.split(' ')[1], macro_name.split(' ')[2], dialect) -%}
        {%- elif dialect is none and macro_name.startswith('safe_') -%}
            {%- set call = macro(input_sql) -%}
        {%- elif dialect is none -%}
            {%- set call = macro(raw_text(input_sql)) -%}
        {%- else -%}
            {%- set call = macro(raw_text(input_sql), dialect) -%}
        {%- endif %}
        select
            '{{ macro_name }}' as macro_name,
            '{{ input_sql | replace("'", "''") }}' as input_sql,
            '{{ (dialect | string) | replace("'", "''") }}' as dialect,
            {% if expected is none %}cast(null as {{ dbt.type_string() }}){% else %}'{{ expected }}'{% endif %}
                as expected_value,
            {% if macro_name == 'parse_boolean' or macro_name.endswith(' boolean') -%}
                case when {{ call }} then 'true' when not {{ call }} then 'false' end
            {%- else -%}
                cast({{ call }} as {{ dbt.type_string() }})
            {%- endif %} as actual_value
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select *
from cases
where
    (actual_value is null and expected_value is not null)
    or (actual_value is not null and expected_value is null)
    or actual_value <> expected_value
