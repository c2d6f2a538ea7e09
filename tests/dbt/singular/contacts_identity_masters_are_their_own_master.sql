-- The contact map is flat: every master_contact_id is a current contact whose own master is itself (no chains, no
-- master outside the map). Returns each contact whose master breaks the rule.
with

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

final as (

    select
        identity.contact_id,
        identity.master_contact_id,
        masters.master_contact_id as master_of_master
    from identity
    left join identity as masters
        on identity.master_contact_id = masters.contact_id
    where masters.contact_id is null or masters.master_contact_id <> masters.contact_id

)

select * from final
