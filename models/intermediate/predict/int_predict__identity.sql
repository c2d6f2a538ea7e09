-- The contact map (int_contacts__identity) as of every cut-off: one row per cut-off and contact current at it, with
-- the master it follows then. Contact versions come with their validity intervals (macro pit_versions, the same key
-- and version order as stg_crm__contacts); the master is, among the contacts sharing a normalised valid email at that
-- cut-off, the oldest created (then lowest id), so a duplicate created or loaded after a cut-off changes nothing
-- before it.
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

current_contacts as (

    select
        cutoffs.cutoff_date,
        versions.contact_id,
        versions.email,
        versions.created_at
    from cutoffs
    inner join versions
        on {{ pit_is_current('versions', 'cutoffs') }}

),

final as (

    select
        cutoff_date,
        contact_id,
        case
            when email is null then contact_id
            else first_value(contact_id) over (
                partition by cutoff_date, email order by created_at asc nulls last, contact_id asc
                rows between unbounded preceding and unbounded following
            )
        end as master_contact_id
    from current_contacts

)

select * from final
