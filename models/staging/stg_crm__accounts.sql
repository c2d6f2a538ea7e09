with

source as (

    select * from {{ source('crm', 'accounts') }}

),

countries as (

    select * from {{ ref('country_aliases') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.account_id') }} as account_id,

        -- attributes
        {{ clean_text('source.name') }} as account_name,
        {{ clean_text('source.website') }} as website_raw,
        {{ domain_from_url('source.website') }} as domain,
        {{ clean_text('source.industry') }} as industry,
        {{ safe_integer('source.employee_count') }} as employee_count,
        {{ safe_decimal('source.annual_revenue', 18, 2) }} as annual_revenue,
        {{ clean_text('source.country') }} as country_raw,
        countries.country_code,

        -- timestamps
        cast(source.created_at as timestamp) as created_at,
        cast(source.updated_at as timestamp) as updated_at,
        coalesce(
            cast(source._loaded_at as timestamp), cast(source.updated_at as timestamp),
            cast(source.created_at as timestamp)
        ) as loaded_at

    from source
    left join countries
        on {{ country_lookup_key('source.country') }} = countries.alias_key

),

flagged as (

    select
        *,
        case
            when account_id is null then 'missing_id'
            when created_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        website_raw is not null and website_raw <> domain as is_website_normalised,
        country_raw is not null and country_code is not null and country_raw <> country_code
            as is_country_normalised,
        country_raw is not null and country_code is null as is_country_unknown
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['account_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, account_name, website_raw'
    ) }}

)

select * from classified
