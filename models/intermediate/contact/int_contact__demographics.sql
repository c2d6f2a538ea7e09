-- Demographics (age, age band, gender, country) and their fit to the ideal customer, as of the as-of date: one row
-- per golden contact, customer or lead.
-- Age is measured on the as-of date; each attribute's fit (0-1) comes from the ideal_customer_profile seed, whose
-- '*' row gives the fit of any value not listed. A missing attribute has no fit (NULL): it neither helps nor hurts.
-- A value that was given but is not recognised is not missing: a country the alias list does not know (on any
-- current CRM record of the person) or a birth date that falls in no age band fits as the '*' row, never better than
-- a known poor value.
{%- set as_of = as_of_date_value() %}
{%- set as_of_year = as_of[0:4] | int %}
{%- set as_of_month_day = (as_of[5:7] ~ as_of[8:10]) | int %}
{%- set attributes = [('age_band', 'age_band'), ('gender', 'gender'), ('country_code', 'country_code')] %}
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

aged as (

    select
        contacts.contact_id,
        contacts.gender,
        contacts.country_code,
        contacts.birth_date,
        coalesce(countries_given.is_country_given, false) as is_country_given,
        -- whole years, one more on each birthday (days / 365.25 misses the birthday itself)
        case
            when contacts.birth_date is not null and contacts.birth_date <= {{ as_of_date() }}
                then cast(
                    {{ as_of_year }} - extract(year from contacts.birth_date)
                    - case
                        when
                            extract(month from contacts.birth_date) * 100 + extract(day from contacts.birth_date)
                            > {{ as_of_month_day }}
                            then 1
                        else 0
                    end
                    as {{ dbt.type_int() }}
                )
        end as age_years
    from contacts
    left join countries_given
        on contacts.contact_id = countries_given.contact_id

),

banded as (

    select
        aged.*,
        age_bands.age_band
    from aged
    left join age_bands
        on aged.age_years between age_bands.min_age and age_bands.max_age

),

final as (

    select
        -- ids
        banded.contact_id,

        -- demographics
        banded.age_years,
        banded.age_band,
        banded.gender,
        banded.country_code,
        banded.country_code is null and banded.is_country_given as is_country_unknown,

        -- fit to the ideal customer (0-1); NULL when unknown, the '*' row's fit when given but not recognised
        {{ profile_fit('age_band', 'banded.age_band', 'banded.birth_date is not null') }} as age_band_fit,
        {{ profile_fit('gender', 'banded.gender') }} as gender_fit,
        {{ profile_fit('country_code', 'banded.country_code', 'banded.is_country_given') }} as location_fit

    from banded
    {{ profile_fit_joins('icp', 'banded', attributes) }}

)

select * from final
