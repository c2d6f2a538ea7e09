-- Profile of every lead and its fit to the ideal company and customer profiles, as of the as-of date: one row per
-- lead (int_contacts__lifecycle population 'lead'). B2B leads (with an account or a company email domain) are
-- matched on firmographics (CRM first, enrichment to fill gaps) and job role; B2C leads on age band and country.
-- Each fit is 0-1 from the ideal_company_profile / ideal_customer_profile seeds ('*' rows: any value not listed);
-- a fit is NULL when its attribute is unknown or does not apply, so it neither helps nor hurts. A value given but
-- not recognised is not unknown: a country the alias list does not know (on any current CRM record of the account or
-- the contact), an employee count or a revenue that fits no band fit as the '*' row, never better than a known poor
-- value (int_customer__profile does the same for the B2C age band and country).
with

leads as (

    select * from {{ ref('int_contacts__lifecycle') }}
    where population = 'lead'

),

contacts as (

    select * from {{ ref('int_contacts') }}

),

company_domains as (

    select * from {{ ref('int_contacts__company_domain') }}

),

accounts as (

    select * from {{ ref('int_accounts__enriched') }}

),

account_records as (

    select * from {{ ref('stg_crm__accounts') }}
    where dq_status = 'current'

),

account_identity as (

    select * from {{ ref('int_accounts__identity') }}

),

roles as (

    select * from {{ ref('int_contacts__job_role') }}

),

demographics as (

    select * from {{ ref('int_customer__profile') }}

),

icp as (

    select * from {{ ref('ideal_company_profile') }}

),

account_countries_given as (

    -- a country was written on at least one current record of the golden account (recognised or not)
    select
        account_identity.master_account_id as account_id,
        max(case when account_records.country_raw is not null then 1 else 0 end) = 1 as is_country_given
    from account_records
    inner join account_identity
        on account_records.account_id = account_identity.account_id
    group by account_identity.master_account_id

),

{% if var('enable_enrichment', true) %}
    firmographics as (

        select * from {{ ref('stg_enrichment__firmographics') }}
        where dq_status = 'current'

    ),
{% endif %}

profiled as (

    select
        leads.contact_id,
        leads.account_id,
        company_domains.company_domain,
        leads.account_id is not null or company_domains.company_domain is not null as is_b2b,
        {% if var('enable_enrichment', true) %}
            coalesce(accounts.industry, firmographics.industry) as industry,
            coalesce(accounts.employee_band, firmographics.employee_range) as employee_band,
            coalesce(accounts.revenue_band, firmographics.revenue_range) as revenue_band,
        {% else %}
            accounts.industry,
            accounts.employee_band,
            accounts.revenue_band,
        {% endif %}
        coalesce(accounts.country_code, contacts.country_code) as company_country_code,
        -- a raw value was given, whether or not it maps to a band or a country (the contact's own country: when it
        -- is not recognised, int_customer__profile flags it)
        accounts.employee_count is not null as is_employee_count_given,
        accounts.annual_revenue is not null as is_annual_revenue_given,
        coalesce(account_countries_given.is_country_given, false)
        or coalesce(demographics.is_country_unknown, false) as is_company_country_given,
        roles.job_function,
        roles.seniority,
        demographics.age_band,
        demographics.age_band_fit,
        demographics.location_fit
    from leads
    inner join contacts
        on leads.contact_id = contacts.contact_id
    left join company_domains
        on leads.contact_id = company_domains.contact_id
    left join accounts
        on leads.account_id = accounts.account_id
    left join account_countries_given
        on leads.account_id = account_countries_given.account_id
    {% if var('enable_enrichment', true) %}
        left join firmographics
            on
                leads.account_id is null
                and company_domains.company_domain = firmographics.domain
    {% endif %}
    left join roles
        on leads.contact_id = roles.contact_id
    left join demographics
        on leads.contact_id = demographics.contact_id

),

{%- set attributes = [
    ('industry', 'industry'), ('employee_band', 'employee_band'), ('revenue_band', 'revenue_band'),
    ('country_code', 'company_country_code'), ('job_function', 'job_function'), ('seniority', 'seniority'),
] %}
{%- set given = {
    'employee_band': 'profiled.is_employee_count_given',
    'revenue_band': 'profiled.is_annual_revenue_given',
    'country_code': 'profiled.is_company_country_given',
} %}

final as (

    select
        -- ids
        profiled.contact_id,
        profiled.account_id,
        profiled.company_domain,
        profiled.is_b2b,

        -- profile
        profiled.industry,
        profiled.employee_band,
        profiled.revenue_band,
        profiled.company_country_code,
        profiled.job_function,
        profiled.seniority,
        profiled.age_band,

        -- fit 0-1 (B2B attributes for B2B leads, demographics for B2C leads)
        {% for attribute, column in attributes %}
            case
                when profiled.is_b2b
                    then {{ profile_fit(attribute, 'profiled.' ~ column, given.get(attribute)) }}
            end as {{ 'country' if attribute == 'country_code' else attribute }}_fit,
        {% endfor %}
        case when not profiled.is_b2b then profiled.age_band_fit end as age_band_fit,
        case when not profiled.is_b2b then profiled.location_fit end as location_fit

    from profiled
    {{ profile_fit_joins('icp', 'profiled', attributes) }}

)

select * from final
