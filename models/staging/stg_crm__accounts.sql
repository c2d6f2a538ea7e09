with

source as (

    {{ raw_source('crm', 'accounts') }}

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
        source.employee_count,
        cast(source.annual_revenue as decimal(18, 2)) as annual_revenue,
        {{ clean_text('source.country') }} as country_raw,
        countries.country_code,

        -- timestamps
        source.created_at,
        source.updated_at,
        coalesce(
            source._loaded_at, source.updated_at,
            source.created_at
        ) as loaded_at,

        -- values that could not be read (raw_source)
        source._unreadable_quarantine,
        source._unreadable_nulled,
        source._out_of_domain_code,
        source._out_of_domain_nulled as out_of_domain_nulled,
        source._malformed_line,
        source._unreadable_detail as unreadable_detail

    from source
    left join countries
        on {{ country_lookup_key('source.country') }} = countries.alias_key

),

flagged as (

    select
        *,
        case
            when _malformed_line is not null then 'malformed_line'
            when account_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when created_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        website_raw is not null and website_raw <> domain as is_website_normalised,
        country_raw is not null and country_code is not null and country_raw <> country_code
            as is_country_normalised,
        country_raw is not null and country_code is null as is_country_unknown,
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['account_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, account_name, website_raw'
    ) }}

)

select * from classified
