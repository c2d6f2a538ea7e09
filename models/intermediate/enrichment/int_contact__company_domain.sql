-- Company domain of every golden contact: one row per golden contact (int_contacts). The golden account's website
-- domain when the contact has an account with a domain; else the contact's e-mail domain, unless that domain is a
-- consumer or disposable mailbox (seed free_mail_domains: free mail providers and national ISPs), which says nothing
-- about the person's company. An account "website" that is itself a mail provider's domain (an account created from
-- a gmail or bluewin.ch address) is no company domain either. The formulas are the macro company_domain_ctes,
-- shared with the training examples (int_predict__company_domains).
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

accounts as (

    select * from {{ ref('int_accounts') }}

),

free_mail_domains as (

    select * from {{ ref('free_mail_domains') }}

),

{{ company_domain_ctes('contacts', 'accounts', 'free_mail_domains') }}

select * from final
