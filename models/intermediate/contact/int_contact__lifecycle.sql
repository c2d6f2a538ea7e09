-- Who is a customer and who is a lead, as of the as-of date: one row per golden contact, in exactly one
-- population. Rule (documented in docs/DECISIONS.md D12):
--   customer = at least one completed order on or before the as-of date (the population of customer_scores);
--   lead     = every other golden contact.
-- The CRM lifecycle stage and the opportunities refine a lead's stage (opportunity > sql > mql > lead >
-- subscriber) but never make a customer: CRM stages are often stale, and orders dated up to the as-of date keep
-- backtests free of leakage. A contact who objected to profiling (int_privacy__profiling_objections, GDPR art. 21)
-- is in neither population: it is not scored.
with

contacts as (

    select * from {{ ref('int_contacts') }}
    -- a contact who objected to profiling (GDPR art. 21) is neither a scored customer nor a scored lead
    where contact_id not in (
        select objections.contact_id from {{ ref('int_privacy__profiling_objections') }} as objections
        where objections.contact_id is not null
    )

),

order_facts as (

    select
        contact_id,
        first_order_at
    from {{ ref('int_customer__order_facts') }}

),

{% if var('enable_opportunities', true) %}
    opportunities as (

        select
            contact_id,
            max(case when not is_closed then 1 else 0 end) as has_open_opportunity,
            max(case when is_won then 1 else 0 end) as has_won_opportunity,
            sum(case when not is_closed then coalesce(amount, 0) else 0 end) as open_pipeline_amount
        from {{ ref('int_opportunities') }}
        where contact_id is not null
        group by contact_id

    ),
{% endif %}

combined as (

    select
        contacts.contact_id,
        contacts.account_id,
        contacts.lifecycle_stage as crm_lifecycle_stage,
        contacts.created_at,
        order_facts.first_order_at,
        order_facts.contact_id is not null as is_customer,
        {% if var('enable_opportunities', true) %}
            coalesce(opportunities.has_open_opportunity, 0) = 1 as has_open_opportunity,
            coalesce(opportunities.has_won_opportunity, 0) = 1 as has_won_opportunity,
            coalesce(opportunities.open_pipeline_amount, 0) as open_pipeline_amount
        {% else %}
            false as has_open_opportunity,
            false as has_won_opportunity,
            0 as open_pipeline_amount
        {% endif %}
    from contacts
    left join order_facts
        on contacts.contact_id = order_facts.contact_id
    {% if var('enable_opportunities', true) %}
        left join opportunities
            on contacts.contact_id = opportunities.contact_id
    {% endif %}

),

final as (

    select
        -- ids
        contact_id,
        account_id,

        -- population
        case when is_customer then 'customer' else 'lead' end as population,
        is_customer,
        {{ lead_stage_expr('is_customer', 'has_open_opportunity', 'crm_lifecycle_stage') }} as lead_stage,
        crm_lifecycle_stage,
        not is_customer and coalesce(crm_lifecycle_stage = 'customer', false) as is_crm_customer_without_order,

        -- opportunities
        has_open_opportunity,
        has_won_opportunity,
        cast(open_pipeline_amount as decimal(18, 2)) as open_pipeline_amount,

        -- timestamps
        created_at,
        first_order_at

    from combined

)

select * from final
