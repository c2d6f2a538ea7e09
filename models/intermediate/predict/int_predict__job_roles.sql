-- Job function and seniority of every golden contact as of every cut-off: one row per cut-off and golden contact, the
-- rows and columns int_contacts__job_role has in a build as of that cut-off (same macro, job_role_ctes, on the job
-- title the contact had then: int_predict__contacts). A new job title changes the role from the cut-off its version
-- is current at, never before.
with

contacts as (

    select * from {{ ref('int_predict__contacts') }}

),

keywords as (

    select * from {{ ref('job_title_keywords') }}

),

{{ job_role_ctes('contacts', 'keywords', keys=['cutoff_date']) }}

select * from final
