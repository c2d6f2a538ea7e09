-- Job function and seniority of every golden contact as of every cut-off: one row per cut-off and golden contact, the
-- rows and columns int_contact__job_role has in a build as of that cut-off (same macro, job_role_ctes, on the job
-- title the contact had then: int_predict__contacts). A new job title changes the role from the cut-off its version
-- is current at, never before. Past cut-offs are computed here (the contacts of the training sample); the scoring
-- cut-off (the as-of date) is int_contact__job_role itself, which a build as of that date computes.
{%- set role_columns = [
    'contact_id', 'job_title', 'job_title_normalised', 'job_function', 'seniority', 'job_function_keyword',
    'seniority_keyword'
] %}

with

contacts as (

    select * from {{ ref('int_predict__contacts') }}

),

keywords as (

    select * from {{ ref('job_title_keywords') }}

),

as_of_roles as (

    select * from {{ ref('int_contact__job_role') }}

),

{{ job_role_ctes('contacts', 'keywords', keys=['cutoff_date']) }},

-- the past cut-offs (final, from the macro) and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ role_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ role_columns | join(',\n        ') }}
    from as_of_roles

)

select * from with_scoring_cutoff
