{{ config(
    materialized=refresh_materialization(),
    incremental_strategy='append',
    pre_hook="{{ refresh_delete('base_marketing__events_refresh', ['event_id']) }}"
) }}
-- Incremental on DuckDB and PostgreSQL (D104): a build after an earlier one recomputes only the event_ids that
-- base_marketing__events_refresh lists (new or corrected rows, rows that changed status with the as-of date);
-- the pre-hook deletes their rows first. depends_on: {{ ref('base_marketing__events_refresh') }}
with

source as (

    select * from (
        {{ raw_source('marketing', 'events') }}
    ) as raw_rows
    {{ refresh_filter('base_marketing__events_refresh', refresh_key([clean_text('raw_rows.event_id')])) }}

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
