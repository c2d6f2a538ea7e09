-- Company domain of every golden contact: one row per golden contact (int_contacts). The golden account's website
-- domain when the contact has an account with a domain; else the contact's e-mail domain, unless that domain is a
-- consumer or disposable mailbox (seed free_mail_domains: free mail providers and national ISPs), which says nothing
-- about the person's company. An account "website" that is itself a mail provider's domain (an account created from
-- a gmail or bluewin.ch address) is no company domain either.
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

classified as (

    select
        contacts.contact_id,
        contacts.account_id,
        contacts.email_domain,
        accounts.domain as account_domain,
        coalesce(free_mail_domains.kind = 'free', false) as is_free_mail,
        coalesce(free_mail_domains.kind = 'disposable', false) as is_disposable,
        account_mail_domains.domain is not null as is_account_domain_mail_provider
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id
    left join free_mail_domains
        on contacts.email_domain = free_mail_domains.domain
    left join free_mail_domains as account_mail_domains
        on accounts.domain = account_mail_domains.domain

),

final as (

    select
        -- ids
        contact_id,
        account_id,

        -- company domain
        case
            when account_domain is not null and not is_account_domain_mail_provider then account_domain
            when not is_free_mail and not is_disposable then email_domain
        end as company_domain,
        case
            when account_domain is not null and not is_account_domain_mail_provider then 'account_website'
            when email_domain is not null and not is_free_mail and not is_disposable then 'email_domain'
        end as domain_source,

        -- e-mail domain
        email_domain,
        is_free_mail,
        is_disposable

    from classified

)

select * from final
