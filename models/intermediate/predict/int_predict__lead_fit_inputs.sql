-- Profile of every lead and its fit to the ideal profiles as of every cut-off: one row per cut-off and lead (a golden
-- contact of the cut-off without a completed order on or before it: not in int_predict__order_facts), the rows and
-- columns int_lead__fit_inputs has in a build as of that cut-off. The fit formula is the production one (macro
-- lead_fit_inputs_ctes), fed with the golden contacts, accounts, company domains, job roles and enrichment rows of the
-- cut-off (int_predict__contacts, int_predict__accounts, int_predict__company_domains, int_predict__job_roles, the
-- firmographics versions current then). The demographics are int_contact__demographics' (macro demographics_ctes: age
-- in whole years on the cut-off date, its band and the fits of the band and of the country), computed for the leads of
-- each cut-off. Past cut-offs are computed here (the leads of the training sample: int_predict__identity holds it); the
-- scoring cut-off (the as-of date) is int_lead__fit_inputs itself, which a build as of that date computes.
{%- set fit_columns = [
    'contact_id', 'account_id', 'company_domain', 'is_b2b', 'industry', 'employee_band', 'revenue_band',
    'company_country_code', 'job_function', 'seniority', 'age_band', 'industry_fit', 'employee_band_fit',
    'revenue_band_fit', 'country_fit', 'job_function_fit', 'seniority_fit', 'age_band_fit', 'location_fit'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

contacts as (

    select predict_contacts.*
    from {{ ref('int_predict__contacts') }} as predict_contacts
    inner join cutoffs
        on predict_contacts.cutoff_date = cutoffs.cutoff_date
    where not cutoffs.is_scoring_row

),

as_of_fit_inputs as (

    select * from {{ ref('int_lead__fit_inputs') }}

),

customers as (

    select
        cutoff_date,
        contact_id
    from {{ ref('int_predict__order_facts') }}

),

company_domains as (

    select * from {{ ref('int_predict__company_domains') }}

),

accounts as (

    select * from {{ ref('int_predict__accounts') }}

),

account_versions as (

    select * from {{ ref('int_predict__account_identity') }}

),

roles as (

    select * from {{ ref('int_predict__job_roles') }}

),

age_bands as (

    select * from {{ ref('age_bands') }}

),

customer_icp as (

    select * from {{ ref('ideal_customer_profile') }}

),

icp as (

    select * from {{ ref('ideal_company_profile') }}

),

{% if var('enable_enrichment', true) %}
    staged_firmographics as (

        select * from {{ ref('stg_enrichment__firmographics') }}

    ),

    firmographic_versions as (

        {{ pit_versions('staged_firmographics', ['domain'], 'loaded_at desc, domain_raw, industry, employee_range') }}

    ),

    firmographics as (

        select
            cutoffs.cutoff_date,
            firmographic_versions.domain,
            firmographic_versions.industry,
            firmographic_versions.employee_range,
            firmographic_versions.revenue_range
        from cutoffs
        inner join firmographic_versions
            on {{ pit_is_current('firmographic_versions', 'cutoffs') }}

    ),
{% endif %}

-- the leads of each cut-off (int_contact__lifecycle population 'lead')
leads as (

    select
        contacts.cutoff_date,
        contacts.contact_id,
        contacts.account_id
    from contacts
    left join customers
        on
            contacts.cutoff_date = customers.cutoff_date
            and contacts.contact_id = customers.contact_id
    where customers.contact_id is null

),

-- a country was written on at least one current record of the golden account (recognised or not)
account_countries_given as (

    select
        cutoff_date,
        master_account_id as account_id,
        max(case when country_raw is not null then 1 else 0 end) = 1 as is_country_given
    from account_versions
    group by cutoff_date, master_account_id

),

-- int_contact__demographics of the leads, per cut-off
lead_people as (

    select
        contacts.cutoff_date,
        contacts.contact_id,
        contacts.gender,
        contacts.country_code,
        contacts.birth_date,
        contacts.is_country_given
    from contacts
    inner join leads
        on
            contacts.cutoff_date = leads.cutoff_date
            and contacts.contact_id = leads.contact_id

),

{{ demographics_ctes(
    'lead_people', 'age_bands', 'customer_icp', keys=['cutoff_date'], as_of='cutoff_date', name='demographics'
) }},

{{ lead_fit_inputs_ctes(
    'leads', 'contacts', 'company_domains', 'accounts', 'account_countries_given',
    'firmographics' if var('enable_enrichment', true) else none, 'roles', 'demographics', 'icp',
    keys=['cutoff_date']
) }},

-- the past cut-offs (final, from the macro) and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ fit_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ fit_columns | join(',\n        ') }}
    from as_of_fit_inputs

)

select * from with_scoring_cutoff
