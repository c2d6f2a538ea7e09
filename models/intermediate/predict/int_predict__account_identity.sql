-- The account map (int_accounts__identity) as of every cut-off, with the account versions current then: one row per
-- cut-off and account current at it. Account versions come with their validity intervals (macro pit_versions, the key
-- and version order of stg_crm__accounts; an account created or loaded after a cut-off does not exist at it); the
-- master is, among the accounts sharing a normalised website domain at that cut-off, the oldest created (then lowest
-- id), the rule of int_accounts__identity.
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

versions as (

    {{ pit_versions(
        'accounts', ['account_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, account_name, website_raw',
        dated_by='created_at'
    ) }}

),

current_accounts as (

    select
        cutoffs.cutoff_date,
        versions.*
    from cutoffs
    inner join versions
        on {{ pit_is_current('versions', 'cutoffs') }}

),

final as (

    select
        -- ids
        cutoff_date,
        account_id,
        case
            when domain is null then account_id
            else first_value(account_id) over (
                partition by cutoff_date, domain order by created_at asc nulls last, account_id asc
                rows between unbounded preceding and unbounded following
            )
        end as master_account_id,
        domain,

        -- attributes of the version
        account_name,
        industry,
        employee_count,
        annual_revenue,
        country_code,
        country_raw,

        -- timestamps
        created_at,
        updated_at,
        loaded_at

    from current_accounts

)

select * from final
