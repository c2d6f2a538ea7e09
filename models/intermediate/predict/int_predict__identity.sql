-- The contact map (int_contacts__identity) as of every cut-off: one row per cut-off and contact current at it, with
-- the master it follows then. Contact versions come with their validity intervals (macro pit_versions, the same key
-- and version order as stg_crm__contacts); the master is, among the contacts sharing a normalised valid email at that
-- cut-off, the oldest created (then lowest id), so a duplicate created or loaded after a cut-off changes nothing
-- before it. Past cut-offs keep only the contacts whose master is in the training sample (macros/predict/
-- training_sample.sql): every fact joined to the spine goes through this map, so the sample applies before the join;
-- the scoring cut-off keeps every contact.
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

versions as (

    {{ pit_versions(
        'contacts', ['contact_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, email_raw, last_name, first_name',
        dated_by='created_at'
    ) }}

),

as_of_customers as (

    select * from {{ ref('int_customer__order_facts') }}

),

sample_threshold as (

    {{ training_sample_threshold('as_of_customers') }}

),

current_contacts as (

    select
        cutoffs.cutoff_date,
        cutoffs.is_scoring_row,
        versions.contact_id,
        versions.email,
        versions.created_at
    from cutoffs
    inner join versions
        on {{ pit_is_current('versions', 'cutoffs') }}

),

mapped as (

    select
        cutoff_date,
        is_scoring_row,
        contact_id,
        case
            when email is null then contact_id
            else first_value(contact_id) over (
                partition by cutoff_date, email order by created_at asc nulls last, contact_id asc
                rows between unbounded preceding and unbounded following
            )
        end as master_contact_id
    from current_contacts

),

final as (

    select
        mapped.cutoff_date,
        mapped.contact_id,
        mapped.master_contact_id
    from mapped
    cross join sample_threshold
    where mapped.is_scoring_row or {{ in_training_sample('mapped.master_contact_id', 'sample_threshold') }}

)

select * from final
