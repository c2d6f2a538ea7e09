{{ config(enabled=var('enable_surveys', true)) }}

with

source as (

    {{ raw_source('feedback', 'surveys') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.response_id') }} as response_id,
        {{ clean_text('source.contact_id') }} as contact_id,

        -- answers: a value outside its scale (contract domain: NPS a whole number 0-10, CSAT 1-5, rating 1-5) is
        -- NULL here, listed in out_of_domain_nulled and counted as its repair, never rounded
        source.nps,
        source.csat,
        cast(source.review_rating as {{ type_double() }}) as review_rating,
        {{ clean_text('source.comment') }} as comment_text,

        -- timestamps
        source.submitted_at,
        coalesce(source._loaded_at, source.submitted_at) as loaded_at,

        -- values that could not be read (raw_source)
        source._unreadable_quarantine,
        source._unreadable_nulled,
        source._out_of_domain_code,
        source._out_of_domain_nulled as out_of_domain_nulled,
        source._malformed_line,
        source._unreadable_detail as unreadable_detail

    from source

),

flagged as (

    select
        response_id,
        contact_id,
        nps,
        csat,
        review_rating,
        comment_text,
        submitted_at,
        loaded_at,
        unreadable_detail,
        out_of_domain_nulled,
        case
            when _malformed_line is not null then 'malformed_line'
            when response_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when _out_of_domain_code is not null then _out_of_domain_code
            when submitted_at is null then 'missing_date'
            when submitted_at >= {{ as_of_cutoff() }} then 'future_date'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        -- repairs, counted in dq_repairs
        coalesce(',' || out_of_domain_nulled || ',' like '%,nps,%', false) as is_nps_out_of_range,
        coalesce(',' || out_of_domain_nulled || ',' like '%,csat,%', false) as is_csat_out_of_range,
        coalesce(',' || out_of_domain_nulled || ',' like '%,review_rating,%', false) as is_rating_out_of_range,
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify(
        'flagged', ['response_id'],
        'loaded_at desc, submitted_at desc nulls last, contact_id',
        erased='is_erased'
    ) }}

)

select * from classified
