-- Unit test of the parsing macros (macros/utils/parsing.sql), run on the target engine: each case feeds a literal to
-- a macro and compares the result, as text, with the expected value (NULL = no value). Returns every case that
-- differs, with the macro, the input, the expected and the actual value. The parsing macros must never raise: a
-- number too large for the target type is NULL, not a conversion error that stops the build.
{% set cases = [
    ('safe_decimal', "'12.50'", '12.50'),
    ('safe_decimal', "' 12,5 '", '12.50'),
    ('safe_decimal', "'-3'", '-3.00'),
    ('safe_decimal', "'12.5.3'", none),
    ('safe_decimal', "'12 EUR'", none),
    ('safe_decimal', "''", none),
    ('safe_decimal', "'1234567890123456.789'", '1234567890123456.79'),
    ('safe_decimal', "'12345678901234567'", none),
    ('safe_integer', "'42'", '42'),
    ('safe_integer', "' -7 '", '-7'),
    ('safe_integer', "'4.2'", none),
    ('safe_integer', "'forty'", none),
    ('safe_integer', "'123456789012345678'", '123456789012345678'),
    ('safe_integer', "'99999999999999999999'", none),
] -%}

with

cases as (

    {% for macro_name, input_sql, expected in cases %}
        {%- set macro = context[macro_name] -%}
        select
            '{{ macro_name }}' as macro_name,
            '{{ input_sql | replace("'", "''") }}' as input_sql,
            {% if expected is none %}cast(null as {{ dbt.type_string() }}){% else %}'{{ expected }}'{% endif %}
                as expected_value,
            {% if macro_name == 'is_valid_email' -%}
                case when {{ macro(input_sql) }} then 'true' else 'false' end
            {%- else -%}
                cast({{ macro(input_sql) }} as {{ dbt.type_string() }})
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
