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

        -- answers as given
        source.nps as nps_raw,
        source.csat as csat_raw,
        cast(source.review_rating as double precision) as review_rating_raw,
        {{ clean_text('source.comment') }} as comment_text,

        -- timestamps
        source.submitted_at,
        coalesce(source._loaded_at, source.submitted_at) as loaded_at,

        -- values that could not be read (raw_source)
        source._unreadable_quarantine,
        source._unreadable_nulled,
        source._unreadable_detail as unreadable_detail

    from source

),

flagged as (

    select
        response_id,
        contact_id,
        case when nps_raw between 0 and 10 then nps_raw end as nps,
        case when csat_raw between 1 and 5 then csat_raw end as csat,
        case when review_rating_raw between 1 and 5 then review_rating_raw end as review_rating,
        comment_text,
        submitted_at,
        loaded_at,
        unreadable_detail,
        case
            when response_id is null then 'missing_id'
            when _unreadable_quarantine is not null then 'unreadable_value'
            when submitted_at is null then 'missing_date'
            when submitted_at >= {{ as_of_cutoff() }} then 'future_date'
        end as dq_reason_code,
        -- repairs, counted in dq_repairs
        nps_raw is not null and not nps_raw between 0 and 10 as is_nps_out_of_range,
        csat_raw is not null and not csat_raw between 1 and 5 as is_csat_out_of_range,
        review_rating_raw is not null and not review_rating_raw between 1 and 5 as is_rating_out_of_range,
        _unreadable_nulled is not null as is_value_unreadable
    from renamed

),

classified as (

    {{ dq_classify('flagged', ['response_id'], 'loaded_at desc, submitted_at desc nulls last, contact_id') }}

)

select * from classified
