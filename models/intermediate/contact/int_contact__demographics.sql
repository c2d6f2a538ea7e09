-- Demographics (age, age band, gender, country) and their fit to the ideal customer, as of the as-of date: one row
-- per golden contact, customer or lead.
-- Age is measured on the as-of date; each attribute's fit (0-1) comes from the ideal_customer_profile seed, whose
-- '*' row gives the fit of any value not listed. A missing attribute has no fit (NULL): it neither helps nor hurts.
-- A value that was given but is not recognised is not missing: a country the alias list does not know (on any
-- current CRM record of the person) or a birth date that falls in no age band fits as the '*' row, never better than
-- a known poor value. The formulas are the macro demographics_ctes, shared with the training examples
-- (int_predict__lead_fit_inputs).
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

contact_records as (

    select * from {{ ref('stg_crm__contacts') }}
    where dq_status = 'current'

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

age_bands as (

    select * from {{ ref('age_bands') }}

),

icp as (

    select * from {{ ref('ideal_customer_profile') }}

),

countries_given as (

    -- a country was written on at least one current record of the person (recognised or not)
    select
        identity.master_contact_id as contact_id,
        max(case when contact_records.country_raw is not null then 1 else 0 end) = 1 as is_country_given
    from contact_records
    inner join identity
        on contact_records.contact_id = identity.contact_id
    group by identity.master_contact_id

),

people as (

    select
        contacts.contact_id,
        contacts.gender,
        contacts.country_code,
        contacts.birth_date,
        coalesce(countries_given.is_country_given, false) as is_country_given
    from contacts
    left join countries_given
        on contacts.contact_id = countries_given.contact_id

),

{{ demographics_ctes('people', 'age_bands', 'icp') }}

select * from final
