-- Unit test of the cleaning macros (macros/utils/cleaning.sql), run on the target engine: each case feeds a literal to
-- a macro and compares the result, as text, with the expected value (NULL = no value). Returns every case that
-- differs, with the macro, the input, the expected and the actual value. The parsing macros must never raise: a
-- number too large for the target type is NULL, not a conversion error that stops the build.
{% set cases = [
    ('clean_text', "'  Acme  '", 'Acme'),
    ('clean_text', "'   '", none),
    ('normalize_email', "'  Jean.Dupont@Example.COM '", 'jean.dupont@example.com'),
    ('normalize_email', "''", none),
    ('is_valid_email', "'jean.dupont@example.com'", 'true'),
    ('is_valid_email', "'jean+news@mail.example.co.uk'", 'true'),
    ('is_valid_email', "'bad@'", 'false'),
    ('is_valid_email', "'a b@example.com'", 'false'),
    ('is_valid_email', "'a@b@example.com'", 'false'),
    ('is_valid_email', "'jean@example'", 'false'),
    ('is_valid_email', "cast(null as " ~ dbt.type_string() ~ ")", 'false'),
    ('email_domain', "'jean@acme.com'", 'acme.com'),
    ('email_domain', "'jean'", none),
    ('domain_from_url', "'https://www.Acme-Corp.com/contact?x=1'", 'acme-corp.com'),
    ('domain_from_url', "'HTTP://www2.Example.org:8080'", 'example.org'),
    ('domain_from_url', "'acme.com'", 'acme.com'),
    ('domain_from_url', "'acme.com/fr#top'", 'acme.com'),
    ('domain_from_url', "'wwwacme.com'", 'wwwacme.com'),
    ('domain_from_url', "'   '", none),
    ('normalize_phone', "'+33 (1) 23-45-67'", '+331234567'),
    ('normalize_phone', "'01.23.45.67.89'", '0123456789'),
    ('normalize_phone', "'12 34'", none),
    ('country_lookup_key', "' U.S.A. '", 'usa'),
    ('country_lookup_key', "'France'", 'france'),
    ('country_lookup_key', "''", none),
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
