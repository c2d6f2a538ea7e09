-- One row per current account_id: which golden account it belongs to. Accounts that share a normalised website
-- domain are one company; the oldest record (first created, then lowest id) is the master.
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}
    where dq_status = 'current'

),

ranked as (

    select
        account_id,
        domain,
        created_at,
        updated_at,
        case
            when domain is null then account_id
            else first_value(account_id) over (
                partition by domain order by created_at asc nulls last, account_id asc
                rows between unbounded preceding and unbounded following
            )
        end as master_account_id
    from accounts

),

final as (

    select
        account_id,
        master_account_id,
        domain,
        account_id <> master_account_id as is_merged,
        created_at,
        updated_at
    from ranked

)

select * from final
