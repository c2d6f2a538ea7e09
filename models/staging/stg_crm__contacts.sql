with

source as (

    {{ raw_source('crm', 'contacts') }}

),

countries as (

    select * from {{ ref('country_aliases') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ clean_text('source.account_id') }} as account_id,

        -- contact details
        {{ clean_text('source.email') }} as email_raw,
        {{ normalize_email('source.email') }} as email_normalized,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.job_title') }} as job_title,
        {{ normalize_phone('source.phone') }} as phone,

        -- demographics
        {{ clean_text('source.country') }} as country_raw,
        countries.country_code,
        {{ clean_text('source.city') }} as city,
        source.birth_date,
        case
            when {{ clean_text('source.gender', lower_case=true) }} in ('f', 'female', 'femme', 'w', 'woman')
                then 'female'
            when {{ clean_text('source.gender', lower_case=true) }} in ('m', 'male', 'homme', 'man')
                then 'male'
            when {{ clean_text('source.gender') }} is not null then 'other'
        end as gender,

        -- lifecycle
        {{ clean_text('source.lifecycle_stage', lower_case=true) }} as lifecycle_stage,
        {{ clean_text('source.lead_source', lower_case=true) }} as lead_source,

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

validated as (

    select
        *,
        {{ is_valid_email('email_normalized') }} as is_email_valid,
        -- a person erased as of the as-of date (GDPR art. 17): the row is kept for the counts, its personal data
        -- is not (base_crm__erased_contacts)
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased
    from renamed

),

flagged as (

    select
        contact_id,
        account_id,
        case when not is_erased then email_raw end as email_raw,
        case when is_email_valid and not is_erased then email_normalized end as email,
        {{ email_domain("case when is_email_valid and not is_erased then email_normalized end") }} as email_domain,
        case when not is_erased then first_name end as first_name,
        case when not is_erased then last_name end as last_name,
        case when not is_erased then job_title end as job_title,
        case when not is_erased then phone end as phone,
        case when not is_erased then country_raw end as country_raw,
        case when not is_erased then country_code end as country_code,
        case when not is_erased then city end as city,
        case when not is_erased then birth_date end as birth_date,
        case when not is_erased then gender end as gender,
        lifecycle_stage,
        lead_source,
        created_at,
        updated_at,
        loaded_at,
        case when not is_erased then unreadable_detail end as unreadable_detail,
        case
            when _malformed_line is not null then 'malformed_line'
            when contact_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when created_at >= {{ as_of_cutoff() }} then 'future_date'
            when is_erased then 'erased'
        end as dq_reason_code,
        is_erased,
        -- repairs, counted in dq_repairs
        email_normalized is not null and not is_email_valid and not is_erased as is_email_invalid,
        country_raw is not null and country_code is not null and country_raw <> country_code and not is_erased
            as is_country_normalised,
        country_raw is not null and country_code is null and not is_erased as is_country_unknown,
        _unreadable_nulled is not null as is_value_unreadable
    from validated

),

classified as (

    {{ dq_classify(
        'flagged', ['contact_id'],
        'loaded_at desc, updated_at desc nulls last, created_at, email_raw, last_name, first_name',
        erased='is_erased'
    ) }}

)

select * from classified
