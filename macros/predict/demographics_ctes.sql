{#- int_contact__demographics: aged, banded and the CTE `name` (final by default): one row per person (and keys) of
    `people`, with age_years (whole years on the as-of date, or on the `as_of` column of each row), age_band (seed
    `age_bands`), gender, country_code, is_country_unknown and the fits of the age band, the gender and the country in
    the ideal customer profile (`icp`, joined by profile_fit_joins). `people`: contact_id, gender, country_code,
    birth_date, is_country_given (a country was written on a current record of the person) and the `keys` columns.
    Shared by int_contact__demographics (one as-of date) and int_predict__lead_fit_inputs (the leads of every
    cut-off: keys ['cutoff_date'], as_of 'cutoff_date'), so that a training feature is the production formula. -#}
{% macro demographics_ctes(people, age_bands, icp, keys=[], as_of=none, name='final') -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
    {%- set attributes = [('age_band', 'age_band'), ('gender', 'gender'), ('country_code', 'country_code')] -%}
aged as (

    select
        {{ key_prefix }}contact_id,
        gender,
        country_code,
        birth_date,
        is_country_given,
        -- whole years, one more on each birthday (days / 365.25 misses the birthday itself)
        {{ age_years_expr('birth_date', as_of=as_of) }} as age_years
    from {{ people }}

),

banded as (

    select
        aged.*,
        {{ age_bands }}.age_band
    from aged
    left join {{ age_bands }}
        on aged.age_years between {{ age_bands }}.min_age and {{ age_bands }}.max_age

),

{{ name }} as (

    select
        -- ids
        {{- key_columns_of('banded', keys) }}
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
    {{ profile_fit_joins(icp, 'banded', attributes) }}

)
{%- endmacro %}
