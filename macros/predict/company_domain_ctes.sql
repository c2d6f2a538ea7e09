{#- int_contact__company_domain: classified ... final. `contacts`: golden contacts (contact_id, account_id,
    email_domain); `accounts`: golden accounts (account_id, domain); `free_mail_domains`: the seed. -#}
{% macro company_domain_ctes(contacts, accounts, free_mail_domains, keys=[]) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
classified as (

    select
        {{- key_columns_of(contacts, keys) }}
        {{ contacts }}.contact_id,
        {{ contacts }}.account_id,
        {{ contacts }}.email_domain,
        {{ accounts }}.domain as account_domain,
        coalesce({{ free_mail_domains }}.kind = 'free', false) as is_free_mail,
        coalesce({{ free_mail_domains }}.kind = 'disposable', false) as is_disposable,
        account_mail_domains.domain is not null as is_account_domain_mail_provider
    from {{ contacts }}
    left join {{ accounts }}
        on {{ contacts }}.account_id = {{ accounts }}.account_id{{ keys_match(contacts, accounts, keys) }}
    left join {{ free_mail_domains }}
        on {{ contacts }}.email_domain = {{ free_mail_domains }}.domain
    left join {{ free_mail_domains }} as account_mail_domains
        on {{ accounts }}.domain = account_mail_domains.domain

),

final as (

    select
        -- ids
        {{ key_prefix }}contact_id,
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
{%- endmacro %}
