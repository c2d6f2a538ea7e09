-- Personal data of the golden contacts, in the restricted schema pii (never published; on PostgreSQL the BI role
-- cannot read it): one row per golden contact (int_contacts), erased people excluded upstream (staging). Score marts
-- carry ids only and join here through contact_id where a use needs a personal column (an export's e-mail, names
-- or phone). email_sha256 is the lower-case hex SHA-256 of the normalised e-mail (trimmed, lower case), the form
-- Google Customer Match and Meta custom audiences expect; NULL without a valid e-mail.
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

final as (

    select
        -- ids
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,

        -- contact details
        cast(email as {{ dbt.type_string() }}) as email,
        cast(
            case when email is not null then {{ sha256_hex('email') }} end as {{ dbt.type_string() }}
        ) as email_sha256,
        cast(phone as {{ dbt.type_string() }}) as phone,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,

        -- demographics
        cast(birth_date as date) as birth_date,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(country_code as {{ dbt.type_string() }}) as country_code

    from contacts

)

select * from final
