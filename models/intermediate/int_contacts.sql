-- Golden contacts: one row per master contact. Survival rule: each attribute takes the value of the most recently
-- updated record of the person, and falls back to the master (oldest) record's value when that one is missing.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

members as (

    select
        contacts.*,
        identity.master_contact_id,
        identity.account_id as master_account_id,
        contacts.contact_id = identity.master_contact_id as is_master,
        row_number() over (
            partition by identity.master_contact_id
            order by contacts.updated_at desc nulls last, contacts.loaded_at desc, contacts.contact_id asc
        ) as recency_rank
    from contacts
    inner join identity
        on contacts.contact_id = identity.contact_id

),

-- one pass per golden contact (macro survivor: the latest record's value, else the master's)
final as (

    select
        -- ids
        master_contact_id as contact_id,
        {{ survivor('master_account_id') }} as account_id,

        -- contact details (latest record first, master as fallback)
        {{ master_value('email') }} as email,
        {{ master_value('email_domain') }} as email_domain,
        {{ survivor('first_name') }} as first_name,
        {{ survivor('last_name') }} as last_name,
        {{ survivor('job_title') }} as job_title,
        {{ survivor('phone') }} as phone,

        -- demographics
        {{ survivor('country_code') }} as country_code,
        {{ survivor('city') }} as city,
        {{ survivor('birth_date') }} as birth_date,
        {{ survivor('gender') }} as gender,

        -- lifecycle
        {{ survivor('lifecycle_stage') }} as lifecycle_stage,
        {{ survivor('lead_source', first='master') }} as lead_source,

        -- lineage
        count(*) as merged_record_count,

        -- timestamps
        min(created_at) as created_at,
        max(updated_at) as updated_at

    from members
    group by master_contact_id
    -- a group whose master record is not current has no golden contact (as the former join to the master did)
    having max(case when is_master then 1 else 0 end) = 1

)

select * from final
