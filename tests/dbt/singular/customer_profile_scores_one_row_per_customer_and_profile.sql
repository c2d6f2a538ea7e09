-- customer_profile_scores holds exactly one row per customer (customer_scores) and scoring profile of entity type
-- customer (scoring_profiles seed): no customer or profile lost, none added. Returns one row with the counts when
-- they differ.
with

customers as (

    select count(*) as customer_count from {{ ref('customer_scores') }}

),

profiles as (

    select count(*) as profile_count
    from {{ ref('scoring_profiles') }}
    where entity_type = 'customer'

),

scores as (

    select count(*) as row_count from {{ ref('customer_profile_scores') }}

),

final as (

    select
        customers.customer_count,
        profiles.profile_count,
        customers.customer_count * profiles.profile_count as expected_rows,
        scores.row_count
    from customers
    cross join profiles
    cross join scores
    where scores.row_count <> customers.customer_count * profiles.profile_count

)

select * from final
