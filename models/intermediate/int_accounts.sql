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
        accounts.account_id = identity.master_account_id as is_master,
        row_number() over (
            partition by identity.master_account_id
            order by accounts.updated_at desc nulls last, accounts.loaded_at desc, accounts.account_id asc
        ) as recency_rank
    from accounts
    inner join identity
        on accounts.account_id = identity.account_id

),

-- one pass per golden account (macro survivor: the latest record's value, else the master's)
final as (

    select
        -- ids
        master_account_id as account_id,
        {{ master_value('domain') }} as domain,

        -- attributes (latest record first, master as fallback)
        {{ survivor('account_name') }} as account_name,
        {{ survivor('industry') }} as industry,
        {{ survivor('employee_count') }} as employee_count,
        {{ survivor('annual_revenue') }} as annual_revenue,
        {{ survivor('country_code') }} as country_code,

        -- lineage
        count(*) as merged_record_count,

        -- timestamps
        min(created_at) as created_at,
        max(updated_at) as updated_at

    from members
    group by master_account_id
    -- a group whose master record is not current has no golden account (as the former join to the master did)
    having max(case when is_master then 1 else 0 end) = 1

)

select * from final
