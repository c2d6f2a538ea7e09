-- B2B roll-up of contacts to their golden account, as of the as-of date: one row per golden account, with the
-- account's firmographic fit (ideal_company_profile seed), its engaged contacts, the best and average lead score of
-- its leads, the buying-committee coverage (distinct functions and seniorities among engaged contacts), the open
-- pipeline and the won revenue (reporting currency). Won revenue adds won deals and completed orders of the
-- account's contacts by default; when the business books a won deal as orders too, var account_won_revenue picks one
-- source ('deals' or 'orders') so nothing is counted twice. Both parts are kept as columns.
{%- set won_source = var('account_won_revenue', 'deals_and_orders') %}
{%- if won_source not in ('deals_and_orders', 'deals', 'orders') %}
    {{ exceptions.raise_compiler_error(
        "var account_won_revenue must be 'deals_and_orders', 'deals' or 'orders', got '" ~ won_source ~ "'"
    ) }}
{%- endif %}
{%- set deals_on = var('enable_opportunities', true) %}
with

accounts as (

    select * from {{ ref('int_account__firmographics') }}

),

lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}
    where account_id is not null

),

engagement as (

    select * from {{ ref('int_contact__engagement') }}

),

roles as (

    select * from {{ ref('int_contact__job_role') }}

),

leads as (

    select * from {{ ref('int_lead__summary') }}

),

orders as (

    select
        contact_id,
        -- net of partial refunds and credit notes
        sum(net_amount) as order_revenue
    from {{ ref('int_orders') }}
    where is_completed
    group by contact_id

),

{% if var('enable_opportunities', true) %}
    deals as (

        select
            account_id,
            sum(case when not is_closed then coalesce(amount, 0) else 0 end) as open_pipeline_amount,
            sum(case when is_won then coalesce(amount, 0) else 0 end) as won_deal_amount
        from {{ ref('int_opportunities') }}
        where account_id is not null
        group by account_id

    ),
{% endif %}

icp as (

    select * from {{ ref('ideal_company_profile') }}

),

contacts as (

    select
        lifecycle.account_id,
        count(*) as contacts,
        sum(case when engagement.engagement_level >= 3 then 1 else 0 end) as engaged_contacts,
        count(distinct case when engagement.engagement_level >= 3 then roles.job_function end) as functions_engaged,
        count(distinct case when engagement.engagement_level >= 3 then roles.seniority end) as seniorities_engaged,
        max(leads.lead_score) as best_lead_score,
        avg(leads.lead_score) as avg_lead_score,
        sum(coalesce(orders.order_revenue, 0)) as order_revenue
    from lifecycle
    left join engagement
        on lifecycle.contact_id = engagement.contact_id
    left join roles
        on lifecycle.contact_id = roles.contact_id
    left join leads
        on lifecycle.contact_id = leads.contact_id
    left join orders
        on lifecycle.contact_id = orders.contact_id
    group by lifecycle.account_id

),

{%- set attributes = [
    ('industry', 'industry'), ('employee_band', 'employee_band'), ('revenue_band', 'revenue_band'),
    ('country_code', 'country_code'),
] %}

final as (

    select
        -- ids
        accounts.account_id,

        -- firmographics
        accounts.account_name,
        accounts.domain,
        accounts.industry,
        accounts.employee_band,
        accounts.revenue_band,
        accounts.country_code,
        {#- a count or revenue the CRM gave that fits no band is not missing: it fits as the '*' row -#}
        {%- set given = {'employee_band': 'accounts.employee_count is not null',
                         'revenue_band': 'accounts.annual_revenue is not null'} %}
        {% for attribute, column in attributes %}
            {{ profile_fit(attribute, 'accounts.' ~ column, given.get(attribute)) }}
                as {{ 'country' if attribute == 'country_code' else attribute }}_fit,
        {% endfor %}

        -- contacts
        cast(coalesce(contacts.contacts, 0) as {{ dbt.type_int() }}) as contacts,
        cast(coalesce(contacts.engaged_contacts, 0) as {{ dbt.type_int() }}) as engaged_contacts,
        cast(coalesce(contacts.functions_engaged, 0) as {{ dbt.type_int() }}) as functions_engaged,
        cast(coalesce(contacts.seniorities_engaged, 0) as {{ dbt.type_int() }}) as seniorities_engaged,
        cast(contacts.best_lead_score as decimal(18, 2)) as best_lead_score,
        -- the mean through decimal(38, 10) before rounding: DuckDB's avg of decimals is a double (18.705 is
        -- 18.70499...), PostgreSQL's an exact numeric; both round the exact mean half up to the cent
        cast(round(cast(contacts.avg_lead_score as decimal(38, 10)), 2) as decimal(18, 2)) as avg_lead_score,

        -- revenue (reporting currency)
        {% if deals_on %}
            cast(coalesce(deals.open_pipeline_amount, 0) as decimal(18, 2)) as open_pipeline_amount,
            cast(coalesce(deals.won_deal_amount, 0) as decimal(18, 2)) as won_deal_amount,
        {% else %}
            cast(0 as decimal(18, 2)) as open_pipeline_amount,
            cast(0 as decimal(18, 2)) as won_deal_amount,
        {% endif %}
        cast(coalesce(contacts.order_revenue, 0) as decimal(18, 2)) as order_revenue,
        cast(
            {% if deals_on and won_source != 'orders' %}coalesce(deals.won_deal_amount, 0){% else %}0{% endif %}
            + {% if won_source != 'deals' %}coalesce(contacts.order_revenue, 0){% else %}0{% endif %}
            as decimal(18, 2)
        ) as won_revenue

    from accounts
    left join contacts
        on accounts.account_id = contacts.account_id
    {% if var('enable_opportunities', true) %}
        left join deals
            on accounts.account_id = deals.account_id
    {% endif %}
    {{ profile_fit_joins('icp', 'accounts', attributes) }}

)

select * from final
