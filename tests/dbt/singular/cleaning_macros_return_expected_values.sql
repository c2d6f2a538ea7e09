-- Unit test of the cleaning macros (clean_text and its kin in macros/utils), run on the target engine: each case feeds
-- a literal to a macro and compares the result, as text, with the expected value (NULL = no value). Returns every case
-- that differs, with the macro, the input, the expected and the actual value. The parsing macros must never raise: a
-- number too large for the target type is NULL, not a conversion error that stops the build.
-- Non-ASCII characters are written with chr(code point), which DuckDB and PostgreSQL read alike (code_point_chars
-- rewrites it for Spark); an expected value holding some is written as a SQL expression in a one-element list
-- (["chr(201) || 'cole'"]).
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

{#- Unicode white space becomes a plain space, then runs shrink to one and the ends are trimmed. -#}
{% set cases = cases + [
    ('clean_text', "'Jean' || chr(160)", 'Jean'),
    ('clean_text', "chr(8239) || 'Jean' || chr(8239) || chr(8239) || 'Dupont' || chr(8239)", 'Jean Dupont'),
    ('clean_text', "chr(12288) || 'Acme' || chr(12288) || 'Corp'", 'Acme Corp'),
    ('clean_text', "'Jean' || chr(9) || chr(9) || 'Pierre' || chr(13) || chr(10)", 'Jean Pierre'),
    ('clean_text', "chr(160) || chr(8203) || chr(9) || chr(12288)", none),
] -%}

{#- Zero-width characters (zero-width space, BOM, soft hyphen, word joiner) are removed. -#}
{% set cases = cases + [
    ('clean_text', "'Je' || chr(8203) || 'an'", 'Jean'),
    ('clean_text', "chr(65279) || 'Jean'", 'Jean'),
    ('clean_text', "'Jean' || chr(173) || 'ne' || chr(8288)", 'Jeanne'),
] -%}

{#- NFC: a decomposed E + combining acute equals the precomposed letter. -#}
{% set cases = cases + [
    ('clean_text', "'E' || chr(769) || 'cole'", ["chr(201) || 'cole'"]),
    ('clean_text', "chr(201) || 'cole'", ["chr(201) || 'cole'"]),
] -%}

{#- E-mails: one person whatever invisible character the export added; non-ASCII capitals lower-cased alike on every
    engine (PostgreSQL under the C locale too). -#}
{% set cases = cases + [
    ('normalize_email', "'jean@example.com' || chr(160)", 'jean@example.com'),
    ('normalize_email', "chr(65279) || 'Jean@Example.com' || chr(8203)", 'jean@example.com'),
    ('normalize_email', "chr(8239) || 'jean@example.com' || chr(12288)", 'jean@example.com'),
    ('normalize_email', "'J' || chr(214) || 'RG@B' || chr(220) || 'CHER.DE'",
        ["'j' || chr(246) || 'rg@b' || chr(252) || 'cher.de'"]),
    ('normalize_email', "'E' || chr(769) || 'LODIE@Example.fr'", ["chr(233) || 'lodie@example.fr'"]),
    ('normalize_email', "chr(304) || 'PEK@' || chr(1044) || chr(1052) || '.RU'",
        ["'ipek@' || chr(1076) || chr(1084) || '.ru'"]),
] -%}

{#- Valid: apostrophe and the other RFC 5322 atext characters, internationalised addresses (RFC 6531). Invalid: empty
    local part, two @, a dot at the start or end of the local part or two in a row, a label starting or ending with a
    hyphen, an empty label, white space or a zero-width character inside. -#}
{% set cases = cases + [
    ('is_valid_email', "'o''brien@example.ie'", 'true'),
    ('is_valid_email', "'!#$%&''*+/=?^_`{|}~-@example.com'", 'true'),
    ('is_valid_email', "'j' || chr(246) || 'rg.m' || chr(252) || 'ller@b' || chr(252) || 'cher.de'", 'true'),
    ('is_valid_email', "chr(29992) || chr(25143) || '@' || chr(20363) || chr(23376) || '.' || chr(24191) || chr(21578)",
        'true'),
    ('is_valid_email', "'info@xn--bcher-kva.de'", 'true'),
    ('is_valid_email', "'@example.com'", 'false'),
    ('is_valid_email', "'jean@@example.com'", 'false'),
    ('is_valid_email', "'.jean@example.com'", 'false'),
    ('is_valid_email', "'jean.@example.com'", 'false'),
    ('is_valid_email', "'je..an@example.com'", 'false'),
    ('is_valid_email', "'jean@-example.com'", 'false'),
    ('is_valid_email', "'jean@example-.com'", 'false'),
    ('is_valid_email', "'jean@example..com'", 'false'),
    ('is_valid_email', "'jean' || chr(160) || 'dupont@example.com'", 'false'),
    ('is_valid_email', "'jean' || chr(8203) || '@example.com'", 'false'),
] -%}

{#- The macros built on clean_text follow it. -#}
{% set cases = cases + [
    ('email_domain', "'jean@b' || chr(252) || 'cher.de'", ["'b' || chr(252) || 'cher.de'"]),
    ('domain_from_url', "chr(160) || 'https://www.B' || chr(220) || 'CHER.de/kontakt' || chr(8203)",
        ["'b' || chr(252) || 'cher.de'"]),
    ('domain_from_url', "chr(65279) || 'acme.com' || chr(12288)", 'acme.com'),
    ('country_lookup_key', "chr(201) || 'TATS-UNIS' || chr(160)", ["chr(233) || 'tats-unis'"]),
    ('country_lookup_key', "'United' || chr(160) || chr(160) || 'States'", 'united states'),
] -%}

with

cases as (

    {% for macro_name, case_sql, expected in cases %}
        {%- set macro = context[macro_name] -%}
        {%- set input_sql = code_point_chars(case_sql) -%}
        select
            '{{ macro_name }}' as macro_name,
            '{{ case_sql | replace("'", "''") }}' as input_sql,
            {% if expected is none -%}
                cast(null as {{ dbt.type_string() }})
            {%- elif expected is string -%}
                '{{ expected }}'
            {%- else -%}
                cast({{ code_point_chars(expected[0]) }} as {{ dbt.type_string() }})
            {%- endif %} as expected_value,
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
