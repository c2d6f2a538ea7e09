{#- int_contact__job_role: normalised ... final. `contacts`: golden contacts (contact_id, job_title);
    `keywords`: the seed job_title_keywords. Titles are matched once each, whatever the keys. -#}
{% macro job_role_ctes(contacts, keywords, keys=[]) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
normalised as (

    select
        {{ key_prefix }}contact_id,
        job_title,
        -- accented letters (both cases) to plain lower-case ones, ligatures spelt out, then lower case
        lower(
            replace(
                replace(
                    translate(
                        job_title,
                        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸŒÆàáâãäåçèéêëìíîïñòóôõöùúûüýÿ',
                        'aaaaaaceeeeiiiinooooouuuuyyœæaaaaaaceeeeiiiinooooouuuuyy'
                    ),
                    'œ', 'oe'
                ),
                'æ', 'ae'
            )
        ) as title_lower
    from {{ contacts }}

),

keyed as (

    select
        {{ key_prefix }}contact_id,
        job_title,
        -- ' word word ': words separated and surrounded by single spaces, so whole words match with like
        nullif(trim({{ regex_replace_all('title_lower', '[^a-z0-9]+', ' ') }}), '') as title_normalised
    from normalised

),

titles as (

    select distinct title_normalised
    from keyed
    where title_normalised is not null

),

matches as (

    select
        titles.title_normalised,
        {{ keywords }}.keyword,
        {{ keywords }}.job_function,
        {{ keywords }}.seniority,
        {{ keywords }}.priority
    from titles
    inner join {{ keywords }}
        on ' ' || titles.title_normalised || ' ' like '% ' || {{ keywords }}.keyword || ' %'

),

function_matches as (

    select
        title_normalised,
        job_function,
        keyword,
        row_number() over (
            partition by title_normalised
            order by priority asc, length(keyword) desc, keyword asc
        ) as match_rank
    from matches
    where job_function is not null

),

seniority_matches as (

    select
        title_normalised,
        seniority,
        keyword,
        row_number() over (
            partition by title_normalised
            order by priority asc, length(keyword) desc, keyword asc
        ) as match_rank
    from matches
    where seniority is not null

),

final as (

    select
        -- ids
        {{- key_columns_of('keyed', keys) }}
        keyed.contact_id,

        -- title
        keyed.job_title,
        keyed.title_normalised as job_title_normalised,

        -- role
        coalesce(function_matches.job_function, 'other') as job_function,
        coalesce(seniority_matches.seniority, 'unknown') as seniority,

        -- explanation: the keyword that decided each attribute (NULL when none matched)
        function_matches.keyword as job_function_keyword,
        seniority_matches.keyword as seniority_keyword

    from keyed
    left join function_matches
        on
            keyed.title_normalised = function_matches.title_normalised
            and function_matches.match_rank = 1
    left join seniority_matches
        on
            keyed.title_normalised = seniority_matches.title_normalised
            and seniority_matches.match_rank = 1

)
{%- endmacro %}
