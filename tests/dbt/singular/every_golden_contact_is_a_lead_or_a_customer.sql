-- Every golden contact is in exactly one population, as of the as-of date: it has one row in
-- int_contact__lifecycle, and it is either a lead (marts.lead_scores) or a customer (marts.customer_scores), never
-- both, never neither, in agreement with its lifecycle population. A contact who objected to profiling
-- (int_privacy__profiling_objections, GDPR art. 21) is the exception: it must be in none of the three. Returns one
-- row per contact that breaks the rule, with the problem.
with

contacts as (

    select contact_id from {{ ref('int_contacts') }}

),

objections as (

    select contact_id from {{ ref('int_privacy__profiling_objections') }}

),

lifecycle as (

    select
        contact_id,
        population
    from {{ ref('int_contact__lifecycle') }}

),

leads as (

    select contact_id from {{ ref('lead_scores') }}

),

customers as (

    select contact_id from {{ ref('customer_scores') }}

),

all_ids as (

    select contact_id from contacts
    union
    select contact_id from lifecycle
    union
    select contact_id from leads
    union
    select contact_id from customers

),

checked as (

    select
        all_ids.contact_id,
        case
            when contacts.contact_id is null then 'not a golden contact'
            when objections.contact_id is not null
                then
                    case
                        when
                            lifecycle.contact_id is not null
                            or leads.contact_id is not null
                            or customers.contact_id is not null
                            then 'objected to profiling but scored'
                    end
            when lifecycle.contact_id is null then 'missing from int_contact__lifecycle'
            when leads.contact_id is not null and customers.contact_id is not null then 'both a lead and a customer'
            when leads.contact_id is null and customers.contact_id is null then 'neither a lead nor a customer'
            when (leads.contact_id is not null) <> (lifecycle.population = 'lead')
                then 'marts disagree with population ' || lifecycle.population
        end as problem
    from all_ids
    left join contacts
        on all_ids.contact_id = contacts.contact_id
    left join objections
        on all_ids.contact_id = objections.contact_id
    left join lifecycle
        on all_ids.contact_id = lifecycle.contact_id
    left join leads
        on all_ids.contact_id = leads.contact_id
    left join customers
        on all_ids.contact_id = customers.contact_id

),

final as (

    select
        contact_id,
        problem
    from checked
    where problem is not null

)

select * from final
