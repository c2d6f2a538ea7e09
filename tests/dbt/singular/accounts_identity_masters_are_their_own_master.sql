-- The account map is flat: every master_account_id is a current account whose own master is itself. Returns each
-- account whose master breaks the rule.
with

identity as (

    select * from {{ ref('int_accounts__identity') }}

),

final as (

    select
        identity.account_id,
        identity.master_account_id,
        masters.master_account_id as master_of_master
    from identity
    left join identity as masters
        on identity.master_account_id = masters.account_id
    where masters.account_id is null or masters.master_account_id <> masters.account_id

)

select * from final
