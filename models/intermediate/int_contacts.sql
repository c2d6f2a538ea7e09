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
        row_number() over (
            partition by identity.master_contact_id
            order by contacts.updated_at desc nulls last, contacts.loaded_at desc, contacts.contact_id asc
        ) as recency_rank
    from contacts
    inner join identity
        on contacts.contact_id = identity.contact_id

),

group_sizes as (

    select
        master_contact_id,
        count(*) as merged_record_count,
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at
    from members
    group by master_contact_id

),

latest as (

    select * from members
    where recency_rank = 1

),

master as (

    select * from members
    where contact_id = master_contact_id

),

final as (

    select
        -- ids
        master.contact_id,
        coalesce(latest.master_account_id, master.master_account_id) as account_id,

        -- contact details (latest record first, master as fallback)
        master.email,
        master.email_domain,
        coalesce(latest.first_name, master.first_name) as first_name,
        coalesce(latest.last_name, master.last_name) as last_name,
        coalesce(latest.job_title, master.job_title) as job_title,
        coalesce(latest.phone, master.phone) as phone,

        -- demographics
        coalesce(latest.country_code, master.country_code) as country_code,
        coalesce(latest.city, master.city) as city,
        coalesce(latest.birth_date, master.birth_date) as birth_date,
        coalesce(latest.gender, master.gender) as gender,

        -- lifecycle
        coalesce(latest.lifecycle_stage, master.lifecycle_stage) as lifecycle_stage,
        coalesce(master.lead_source, latest.lead_source) as lead_source,

        -- lineage
        group_sizes.merged_record_count,

        -- timestamps
        group_sizes.first_created_at as created_at,
        group_sizes.last_updated_at as updated_at

    from master
    inner join latest
        on master.master_contact_id = latest.master_contact_id
    inner join group_sizes
        on master.master_contact_id = group_sizes.master_contact_id

)

select * from final
