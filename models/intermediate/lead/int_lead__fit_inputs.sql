-- Profile of every lead and its fit to the ideal company and customer profiles, as of the as-of date: one row per
-- lead (int_contacts__lifecycle population 'lead'). B2B leads (with an account or a company email domain) are
-- matched on firmographics (CRM first, enrichment to fill gaps) and job role; B2C leads on age band and country.
-- Each fit is 0-1 from the ideal_company_profile / ideal_customer_profile seeds ('*' rows: any value not listed);
-- a fit is NULL when its attribute is unknown or does not apply, so it neither helps nor hurts.
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

roles as (

    select * from {{ ref('int_contacts__job_role') }}

),

demographics as (

    select * from {{ ref('int_customer__profile') }}

),

icp as (

    select * from {{ ref('ideal_company_profile') }}

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
                when profiled.is_b2b and profiled.{{ column }} is not null
                    then {{ profile_fit(attribute) }}
            end as {{ 'country' if attribute == 'country_code' else attribute }}_fit,
        {% endfor %}
        case when not profiled.is_b2b then profiled.age_band_fit end as age_band_fit,
        case when not profiled.is_b2b then profiled.location_fit end as location_fit

    from profiled
    {{ profile_fit_joins('icp', 'profiled', attributes) }}

)

select * from final
