-- Profile of every lead and its fit to the ideal company and customer profiles, as of the as-of date: one row per
-- lead (int_contact__lifecycle population 'lead'). B2B leads (with an account or a company email domain) are
-- matched on firmographics (CRM first, enrichment to fill gaps) and job role; B2C leads on age band and country.
-- Each fit is 0-1 from the ideal_company_profile / ideal_customer_profile seeds ('*' rows: any value not listed);
-- a fit is NULL when its attribute is unknown or does not apply, so it neither helps nor hurts. A value given but
-- not recognised is not unknown: a country the alias list does not know (on any current CRM record of the account or
-- the contact), an employee count or a revenue that fits no band fit as the '*' row, never better than a known poor
-- value (int_contact__demographics does the same for the B2C age band and country). The formulas are the macro
-- lead_fit_inputs_ctes, shared with the training examples (int_predict__lead_fit_inputs).
with

leads as (

    select * from {{ ref('int_contact__lifecycle') }}
    where population = 'lead'

),

contacts as (

    select * from {{ ref('int_contacts') }}

),

company_domains as (

    select * from {{ ref('int_contact__company_domain') }}

),

accounts as (

    select * from {{ ref('int_account__firmographics') }}

),

account_records as (

    select * from {{ ref('stg_crm__accounts') }}
    where dq_status = 'current'

),

account_identity as (

    select * from {{ ref('int_accounts__identity') }}

),

roles as (

    select * from {{ ref('int_contact__job_role') }}

),

demographics as (

    select * from {{ ref('int_contact__demographics') }}

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

{{ lead_fit_inputs_ctes(
    'leads', 'contacts', 'company_domains', 'accounts', 'account_countries_given',
    'firmographics' if var('enable_enrichment', true) else none, 'roles', 'demographics', 'icp'
) }}

select * from final
