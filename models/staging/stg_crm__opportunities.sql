{{ config(enabled=var('enable_opportunities', true)) }}

with

source as (

    {{ raw_source('crm', 'opportunities') }}

),

currencies as (

    -- the reporting currency converts at 1 without a rate row
    select upper(trim(currency_code)) as currency_code from {{ ref('fx_rates') }}
    union
    select '{{ var("reporting_currency") }}' as currency_code

),

renamed as (

    select
        -- ids
        {{ clean_text('source.opportunity_id') }} as opportunity_id,
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ clean_text('source.account_id') }} as account_id,

        -- deal
        {{ clean_text('source.stage', lower_case=true) }} as stage,
        source.is_won,
        cast(source.amount as decimal(18, 2)) as amount,
        upper(coalesce({{ clean_text('source.currency') }}, '{{ var("reporting_currency") }}')) as currency_code,

        -- timestamps
        source.created_at,
        source.closed_at,
        coalesce(
            source._loaded_at, source.closed_at,
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

),

flagged as (

    select
        renamed.*,
        case
            when renamed._malformed_line is not null then 'malformed_line'
            when renamed.opportunity_id is null then 'missing_id'
            when renamed._unreadable_quarantine = 'amount' then 'non_numeric_amount'
            when renamed._unreadable_quarantine is not null then 'unreadable_value'
            when renamed._out_of_domain_code is not null then renamed._out_of_domain_code
            when renamed.created_at is null then 'missing_date'
            when renamed.created_at >= {{ as_of_cutoff() }} then 'future_date'
            when currencies.currency_code is null then 'unknown_currency'
            when renamed.amount < 0 then 'negative_amount'
            -- an otherwise valid row of a person erased as of the as-of date (base_crm__erased_contacts)
            when {{ privacy_is_erased('contact_id') }} then 'erased'
        end as dq_reason_code,
        -- a row of a person erased as of the as-of date: dq_status 'erased', whatever its defect
        coalesce({{ privacy_is_erased('contact_id') }}, false) as is_erased,
        -- repairs, counted in dq_repairs
        renamed._unreadable_nulled is not null as is_value_unreadable
    from renamed
    left join currencies
        on renamed.currency_code = currencies.currency_code

),

classified as (

    {{ dq_classify(
        'flagged', ['opportunity_id'],
        'loaded_at desc, closed_at desc nulls last, created_at, stage',
        erased='is_erased'
    ) }}

)

select * from classified
