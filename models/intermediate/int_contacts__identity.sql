-- One row per current contact_id: the contact_id -> master_contact_id map that orders, events, surveys and every
-- other per-contact fact follow. Contacts with the same normalised, valid email are one person; the oldest record
-- (first created, then lowest id) is the master. Contacts without a valid email stay on their own.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where dq_status = 'current'

),

account_identity as (

    select * from {{ ref('int_accounts__identity') }}

),

matched as (

    select
        contacts.contact_id,
        contacts.email,
        contacts.account_id as account_id_raw,
        account_identity.master_account_id,
        contacts.created_at,
        case
            when contacts.email is null then contacts.contact_id
            else first_value(contacts.contact_id) over (
                partition by contacts.email order by contacts.created_at asc nulls last, contacts.contact_id asc
                rows between unbounded preceding and unbounded following
            )
        end as master_contact_id
    from contacts
    left join account_identity
        on contacts.account_id = account_identity.account_id

),

final as (

    select
        -- ids
        contact_id,
        master_contact_id,
        master_account_id as account_id,

        -- lineage
        contact_id <> master_contact_id as is_merged,
        account_id_raw is not null and master_account_id is null as is_account_orphan,

        -- timestamps
        created_at

    from matched

)

select * from final
