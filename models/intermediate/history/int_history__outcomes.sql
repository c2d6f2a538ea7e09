-- What counts as a conversion when tiers are judged on what happened next, as known on the as-of date: one row per
-- entity type, entity and day on which the entity converted. Read from int_orders and int_opportunities, so only
-- rows dated and loaded on or before the as-of date count (an order loaded later, or a deal closed later, is not
-- there yet), and entities are the golden contacts and accounts of the as-of date (a contact merged since counts for
-- its master). The definitions are those of the backtests and the training labels (docs/DECISIONS.md D47):
-- - customer: a completed order of the contact;
-- - lead: a completed order of the contact or a won deal with the contact (int_lead__training_examples);
-- - account: a won deal of the account, or a completed order of any contact whose golden record belongs to it.
-- Several orders or deals on one day are one row; has_completed_order and has_won_deal say which kinds occurred.
{%- set deals_on = var('enable_opportunities', true) %}

with

orders as (

    select
        contact_id,
        ordered_on
    from {{ ref('int_orders') }}
    where is_completed

),

{% if deals_on %}
    won_deals as (

        select
            contact_id,
            account_id,
            cast(closed_at as date) as closed_on
        from {{ ref('int_opportunities') }}
        where is_won

    ),
{% endif %}

contacts as (

    select * from {{ ref('int_contacts') }}

),

-- one row per conversion event, each kind of entity it converts
events as (

    select
        'customer' as entity_type,
        contact_id as entity_id,
        ordered_on as converted_on,
        1 as is_order,
        0 as is_won_deal
    from orders
    union all
    select
        'lead' as entity_type,
        contact_id as entity_id,
        ordered_on as converted_on,
        1 as is_order,
        0 as is_won_deal
    from orders
    union all
    select
        'account' as entity_type,
        contacts.account_id as entity_id,
        orders.ordered_on as converted_on,
        1 as is_order,
        0 as is_won_deal
    from orders
    inner join contacts
        on orders.contact_id = contacts.contact_id
    where contacts.account_id is not null
    {% if deals_on %}
        union all
        select
            'lead' as entity_type,
            contact_id as entity_id,
            closed_on as converted_on,
            0 as is_order,
            1 as is_won_deal
        from won_deals
        where contact_id is not null
        union all
        select
            'account' as entity_type,
            account_id as entity_id,
            closed_on as converted_on,
            0 as is_order,
            1 as is_won_deal
        from won_deals
        where account_id is not null
    {% endif %}

),

days as (

    select
        entity_type,
        entity_id,
        converted_on,
        max(is_order) as has_order,
        max(is_won_deal) as has_deal
    from events
    where converted_on <= {{ as_of_date() }}
    group by entity_type, entity_id, converted_on

),

final as (

    select
        -- ids
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(converted_on as date) as converted_on,

        -- what happened that day
        has_order = 1 as has_completed_order,
        has_deal = 1 as has_won_deal

    from days

)

select * from final
