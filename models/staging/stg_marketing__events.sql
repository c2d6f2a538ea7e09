with

source as (

    select * from {{ source('marketing', 'events') }}

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
        lower({{ clean_text('source.event_type') }}) as event_type,
        {{ clean_text('source.url') }} as url,
        {{ clean_text('source.properties') }} as properties,

        -- timestamps
        cast(source.occurred_at as timestamp) as occurred_at,
        coalesce(cast(source._loaded_at as timestamp), cast(source.occurred_at as timestamp)) as loaded_at

    from source

),

flagged as (

    select
        renamed.*,
        case
            when renamed.event_id is null then 'missing_id'
            when renamed.occurred_at is null then 'missing_date'
            when renamed.occurred_at >= {{ as_of_cutoff() }} then 'future_date'
            when event_types.event_type is null then 'unknown_event_type'
        end as dq_reason_code
    from renamed
    left join event_types
        on renamed.event_type = event_types.event_type

),

classified as (

    {{ dq_classify('flagged', ['event_id'], 'loaded_at desc, occurred_at, contact_id, event_type') }}

)

select * from classified
