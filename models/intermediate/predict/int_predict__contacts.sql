-- Golden contacts as of every cut-off: one row per cut-off and golden contact, the columns of int_contacts a lead's
-- features read, as a build as of that cut-off has them. Contact versions come with their validity intervals (macro
-- pit_versions, the key and version order of stg_crm__contacts, as in int_predict__identity), follow the contact map
-- of the cut-off (int_predict__identity) and the account map of the cut-off (int_predict__account_identity); the
-- survival rule of int_contacts (each attribute from the most recently updated record of the person, the master's as
-- fallback) then runs per cut-off. is_country_given: a country was written on at least one of the person's records
-- current at the cut-off (int_contact__demographics's countries_given).
-- Past cut-offs only: the scoring cut-off's contact attributes come from the production models (int_lead__fit_inputs,
-- int_contact__job_role, int_contact__lifecycle) in the models that read this one.
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
        versions.contact_id = identity.master_contact_id as is_master,
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

-- one pass per cut-off and golden contact (macro survivor: the latest record's value, else the master's)
final as (

    select
        -- ids
        cutoff_date,
        master_contact_id as contact_id,
        {{ survivor('master_account_id') }} as account_id,

        -- contact details (latest record first, master as fallback)
        {{ master_value('email') }} as email,
        {{ master_value('email_domain') }} as email_domain,
        {{ survivor('job_title') }} as job_title,

        -- demographics
        {{ survivor('country_code') }} as country_code,
        {{ survivor('birth_date') }} as birth_date,
        {{ survivor('gender') }} as gender,
        max(case when country_raw is not null then 1 else 0 end) = 1 as is_country_given,

        -- lifecycle
        {{ survivor('lifecycle_stage') }} as lifecycle_stage,

        -- lineage
        count(*) as merged_record_count,

        -- timestamps
        min(created_at) as created_at,
        max(updated_at) as updated_at

    from members
    group by cutoff_date, master_contact_id
    having max(case when is_master then 1 else 0 end) = 1

)

select * from final
