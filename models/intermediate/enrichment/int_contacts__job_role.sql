-- Job function and seniority of every golden contact, read from its job title: one row per golden contact
-- (int_contacts). The title is normalised (accents removed, lower case, every run of characters other than a-z and
-- 0-9 turned into one space) and matched against the keyword map seed job_title_keywords, French and English: a
-- keyword matches when its words appear as whole words in the title ('cto' does not match 'director'). Per
-- attribute, the matching keyword with the best (lowest) priority wins, then the longer keyword, then the first in
-- alphabetical order. No match: job_function 'other', seniority 'unknown'.
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

keywords as (

    select * from {{ ref('job_title_keywords') }}

),

normalised as (

    select
        contact_id,
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
    from contacts

),

keyed as (

    select
        contact_id,
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
        keywords.keyword,
        keywords.job_function,
        keywords.seniority,
        keywords.priority
    from titles
    inner join keywords
        on ' ' || titles.title_normalised || ' ' like '% ' || keywords.keyword || ' %'

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

select * from final
