with

source as (

    {{ raw_source('marketing', 'events') }}

),

event_types as (

    select * from {{ ref('event_types') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.event_id') }} as event_id,
        {{ clean_text('source.contact_id') }} as contact_id,

        -- event
        {{ clean_text('source.event_type') }} as event_type_raw,
        {{ clean_text('source.event_type', lower_case=true) }} as event_type,
        {{ clean_text('source.url') }} as url,
        {{ clean_text('source.properties') }} as properties,

        -- timestamps
        source.occurred_at,
        coalesce(source._loaded_at, source.occurred_at) as loaded_at,

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
        renamed.*,
        case
            when renamed._malformed_line is not null then 'malformed_line'
            when renamed.event_id is null then 'missing_id'
            when renamed._unreadable_quarantine is not null then 'unreadable_value'
            when renamed._out_of_domain_code is not null then renamed._out_of_domain_code
            when renamed.occurred_at is null then 'missing_date'
            when renamed.occurred_at >= {{ as_of_cutoff() }} then 'future_date'
            when event_types.event_type is null then 'unknown_event_type'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        -- repairs, counted in dq_repairs
        renamed._unreadable_nulled is not null as is_value_unreadable
    from renamed
    left join event_types
        on renamed.event_type = event_types.event_type

),

classified as (

    {{ dq_classify(
        'flagged', ['event_id'],
        'loaded_at desc, occurred_at, contact_id, event_type',
        erased='is_erased'
    ) }}

)

select * from classified
