-- Company domain of every golden contact as of every cut-off: one row per cut-off and golden contact, the rows and
-- columns int_contact__company_domain has in a build as of that cut-off (same macro, company_domain_ctes, on the
-- golden contacts and accounts of the cut-off: int_predict__contacts, int_predict__accounts).
with

contacts as (

    select * from {{ ref('int_predict__contacts') }}

),

accounts as (

    select * from {{ ref('int_predict__accounts') }}

),

free_mail_domains as (

    select * from {{ ref('free_mail_domains') }}

),

{{ company_domain_ctes('contacts', 'accounts', 'free_mail_domains', keys=['cutoff_date']) }}

select * from final
