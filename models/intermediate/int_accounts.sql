-- Golden accounts: one row per master account. Survival rule: each attribute takes the value of the most recently
-- updated record of the group, and falls back to the master record's value when that one is missing.
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_accounts__identity') }}

),

members as (

    select
        accounts.*,
        identity.master_account_id,
        row_number() over (
            partition by identity.master_account_id
            order by accounts.updated_at desc nulls last, accounts.loaded_at desc, accounts.account_id asc
        ) as recency_rank
    from accounts
    inner join identity
        on accounts.account_id = identity.account_id

),

group_sizes as (

    select
        master_account_id,
        count(*) as merged_record_count,
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at
    from members
    group by master_account_id

),

latest as (

    select * from members
    where recency_rank = 1

),

master as (

    select * from members
    where account_id = master_account_id

),

final as (

    select
        -- ids
        master.account_id,
        master.domain,

        -- attributes (latest record first, master as fallback)
        coalesce(latest.account_name, master.account_name) as account_name,
        coalesce(latest.industry, master.industry) as industry,
        coalesce(latest.employee_count, master.employee_count) as employee_count,
        coalesce(latest.annual_revenue, master.annual_revenue) as annual_revenue,
        coalesce(latest.country_code, master.country_code) as country_code,

        -- lineage
        group_sizes.merged_record_count,

        -- timestamps
        group_sizes.first_created_at as created_at,
        group_sizes.last_updated_at as updated_at

    from master
    inner join latest
        on master.master_account_id = latest.master_account_id
    inner join group_sizes
        on master.master_account_id = group_sizes.master_account_id

)

select * from final
