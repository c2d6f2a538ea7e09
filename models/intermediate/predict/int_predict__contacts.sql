-- Golden contacts as of every cut-off: one row per cut-off and golden contact, the columns of int_contacts a lead's
-- features read, as a build as of that cut-off has them. Contact versions come with their validity intervals (macro
-- pit_versions, the key and version order of stg_crm__contacts, as in int_predict__identity), follow the contact map
-- of the cut-off (int_predict__identity) and the account map of the cut-off (int_predict__account_identity); the
-- survival rule of int_contacts (each attribute from the most recently updated record of the person, the master's as
-- fallback) then runs per cut-off. is_country_given: a country was written on at least one of the person's records
-- current at the cut-off (int_customer__profile's countries_given).
-- Past cut-offs only: the scoring cut-off's contact attributes come from the production models (int_lead__fit_inputs,
-- int_contacts__job_role, int_contacts__lifecycle) in the models that read this one.
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

identity as (

    select * from {{ ref('int_predict__identity') }}

),

account_identity as (

    select * from {{ ref('int_predict__account_identity') }}

),

versions as (

    {{ pit_versions(
        'contacts', ['contact_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, email_raw, last_name, first_name',
        dated_by='created_at'
    ) }}

),

-- int_contacts per cut-off
members as (

    select
        cutoffs.cutoff_date,
        versions.*,
        identity.master_contact_id,
        account_identity.master_account_id,
        row_number() over (
            partition by cutoffs.cutoff_date, identity.master_contact_id
            order by versions.updated_at desc nulls last, versions.loaded_at desc, versions.contact_id asc
        ) as recency_rank
    from cutoffs
    inner join versions
        on {{ pit_is_current('versions', 'cutoffs') }}
    inner join identity
        on
            cutoffs.cutoff_date = identity.cutoff_date
            and versions.contact_id = identity.contact_id
    left join account_identity
        on
            cutoffs.cutoff_date = account_identity.cutoff_date
            and versions.account_id = account_identity.account_id
    where not cutoffs.is_scoring_row

),

group_sizes as (

    select
        cutoff_date,
        master_contact_id,
        count(*) as merged_record_count,
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at,
        max(case when country_raw is not null then 1 else 0 end) = 1 as is_country_given
    from members
    group by cutoff_date, master_contact_id

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
        master.cutoff_date,
        master.contact_id,
        coalesce(latest.master_account_id, master.master_account_id) as account_id,

        -- contact details (latest record first, master as fallback)
        master.email,
        master.email_domain,
        coalesce(latest.job_title, master.job_title) as job_title,

        -- demographics
        coalesce(latest.country_code, master.country_code) as country_code,
        coalesce(latest.birth_date, master.birth_date) as birth_date,
        coalesce(latest.gender, master.gender) as gender,
        group_sizes.is_country_given,

        -- lifecycle
        coalesce(latest.lifecycle_stage, master.lifecycle_stage) as lifecycle_stage,

        -- lineage
        group_sizes.merged_record_count,

        -- timestamps
        group_sizes.first_created_at as created_at,
        group_sizes.last_updated_at as updated_at

    from master
    inner join latest
        on
            master.cutoff_date = latest.cutoff_date
            and master.master_contact_id = latest.master_contact_id
    inner join group_sizes
        on
            master.cutoff_date = group_sizes.cutoff_date
            and master.master_contact_id = group_sizes.master_contact_id

)

select * from final
