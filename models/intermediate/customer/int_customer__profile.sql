-- Demographic profile and its fit to the ideal customer, as of the as-of date: one row per golden contact.
-- Age is measured on the as-of date; each attribute's fit (0-1) comes from the ideal_customer_profile seed, whose
-- '*' row gives the fit of any value not listed. A missing attribute has no fit (NULL): it neither helps nor hurts.
{%- set as_of = as_of_date_value() %}
{%- set as_of_year = as_of[0:4] | int %}
{%- set as_of_month_day = (as_of[5:7] ~ as_of[8:10]) | int %}
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

age_bands as (

    select * from {{ ref('age_bands') }}

),

icp as (

    select * from {{ ref('ideal_customer_profile') }}

),

aged as (

    select
        contact_id,
        gender,
        country_code,
        -- whole years, one more on each birthday (days / 365.25 misses the birthday itself)
        case
            when birth_date is not null and birth_date <= {{ as_of_date() }}
                then cast(
                    {{ as_of_year }} - extract(year from birth_date)
                    - case
                        when extract(month from birth_date) * 100 + extract(day from birth_date) > {{ as_of_month_day }}
                            then 1
                        else 0
                    end
                    as {{ dbt.type_int() }}
                )
        end as age_years
    from contacts

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

        -- fit to the ideal customer (0-1)
        case when banded.age_band is not null then coalesce(age_fit.fit, age_any.fit) end as age_band_fit,
        case when banded.gender is not null then coalesce(gender_fit.fit, gender_any.fit) end as gender_fit,
        case when banded.country_code is not null then coalesce(country_fit.fit, country_any.fit) end as location_fit

    from banded
    left join icp as age_fit
        on age_fit.attribute = 'age_band' and banded.age_band = age_fit.attribute_value
    left join icp as age_any
        on age_any.attribute = 'age_band' and age_any.attribute_value = '*'
    left join icp as gender_fit
        on gender_fit.attribute = 'gender' and banded.gender = gender_fit.attribute_value
    left join icp as gender_any
        on gender_any.attribute = 'gender' and gender_any.attribute_value = '*'
    left join icp as country_fit
        on country_fit.attribute = 'country_code' and banded.country_code = country_fit.attribute_value
    left join icp as country_any
        on country_any.attribute = 'country_code' and country_any.attribute_value = '*'

)

select * from final
