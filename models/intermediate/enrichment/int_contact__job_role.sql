-- Job function and seniority of every golden contact, read from its job title: one row per golden contact
-- (int_contacts). The title is normalised (accents removed, lower case, every run of characters other than a-z and
-- 0-9 turned into one space) and matched against the keyword map seed job_title_keywords, French and English: a
-- keyword matches when its words appear as whole words in the title ('cto' does not match 'director'). Per
-- attribute, the matching keyword with the best (lowest) priority wins, then the longer keyword, then the first in
-- alphabetical order. No match: job_function 'other', seniority 'unknown'. The formulas are the macro job_role_ctes,
-- shared with the training examples (int_predict__job_roles).
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

keywords as (

    select * from {{ ref('job_title_keywords') }}

),

{{ job_role_ctes('contacts', 'keywords') }}

select * from final
