-- The reference seeds recognise what real data writes (issue 10, items 3 and 4), on the target engine: each raw
-- country goes through macro country_lookup_key and the country_aliases seed, as staging does, and must give its ISO
-- alpha-2 code (NULL: stays unknown); each national ISP or consumer mail domain must be in free_mail_domains as
-- 'free'. Returns every case that differs, with the expected and the actual value.
-- Non-ASCII characters are written with chr(code point) (code_point_chars rewrites it for Spark): 'E' + chr(769) is
-- 'E' + a combining acute accent.
{%- set countries = [
    ("'Autriche'", 'AT'),
    ("'Royaume Uni'", 'GB'),
    ("'Royaume-Uni'", 'GB'),
    ("'E' || chr(769) || 'tats-Unis'", 'US'),
    ("'Etats Unis'", 'US'),
    ("'U.K.'", 'GB'),
    ("'USA'", 'US'),
    ("'Holland'", 'NL'),
    ("'Vereinigtes K' || chr(246) || 'nigreich'", 'GB'),
    ("'Oostenrijk'", 'AT'),
    ("'Reino Unido'", 'GB'),
    ("'Regno Unito'", 'GB'),
    ("'Schweiz'", 'CH'),
    ("'C' || chr(244) || 'te d' || chr(8217) || 'Ivoire'", 'CI'),
    ("'Republic of Korea'", 'KR'),
    ("'Narnia'", none),
] %}
{%- set free_mail = ['bluewin.ch', 'libero.it', 'orange.fr', 't-online.de', 'web.de', 'gmx.net'] %}

with

country_aliases as (

    select * from {{ ref('country_aliases') }}

),

free_mail_domains as (

    select * from {{ ref('free_mail_domains') }}

),

country_cases as (

    {% for raw, expected in countries %}
        select
            cast({{ code_point_chars(raw) }} as {{ dbt.type_string() }}) as raw_value,
            cast({{ "'" ~ expected ~ "'" if expected else 'null' }} as {{ dbt.type_string() }}) as expected_value,
            {{ country_lookup_key(code_point_chars(raw)) }} as lookup_key
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

mail_cases as (

    {% for domain in free_mail %}
        select cast('{{ domain }}' as {{ dbt.type_string() }}) as domain
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

country_results as (

    select
        'country_aliases' as seed_name,
        country_cases.raw_value,
        country_cases.expected_value,
        country_aliases.country_code as actual_value
    from country_cases
    left join country_aliases
        on country_cases.lookup_key = country_aliases.alias_key

),

mail_results as (

    select
        'free_mail_domains' as seed_name,
        mail_cases.domain as raw_value,
        'free' as expected_value,
        free_mail_domains.kind as actual_value
    from mail_cases
    left join free_mail_domains
        on mail_cases.domain = free_mail_domains.domain

),

final as (

    select * from country_results
    union all
    select * from mail_results

)

select * from final
where
    actual_value <> expected_value
    or (actual_value is null) <> (expected_value is null)
