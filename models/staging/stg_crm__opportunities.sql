{{ config(enabled=var('enable_opportunities', true)) }}

with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

currencies as (

    select distinct currency_code from {{ ref('fx_rates') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('source.opportunity_id') }} as opportunity_id,
        {{ clean_text('source.contact_id') }} as contact_id,
        {{ clean_text('source.account_id') }} as account_id,

        -- deal
        lower({{ clean_text('source.stage') }}) as stage,
        cast(source.is_won as boolean) as is_won,
        {{ clean_text('source.amount') }} as amount_raw,
        {{ safe_decimal('source.amount', 18, 2) }} as amount,
        upper(coalesce({{ clean_text('source.currency') }}, '{{ var("reporting_currency") }}')) as currency_code,

        -- timestamps
        cast(source.created_at as timestamp) as created_at,
        cast(source.closed_at as timestamp) as closed_at,
        coalesce(
            cast(source._loaded_at as timestamp), cast(source.closed_at as timestamp),
            cast(source.created_at as timestamp)
        ) as loaded_at

    from source

),

flagged as (

    select
        renamed.*,
        case
            when renamed.opportunity_id is null then 'missing_id'
            when renamed.created_at is null then 'missing_date'
            when renamed.created_at >= {{ as_of_cutoff() }} then 'future_date'
            when currencies.currency_code is null then 'unknown_currency'
            when renamed.amount_raw is not null and renamed.amount is null then 'non_numeric_amount'
            when renamed.amount < 0 then 'negative_amount'
        end as dq_reason_code
    from renamed
    left join currencies
        on renamed.currency_code = currencies.currency_code

),

classified as (

    {{ dq_classify('flagged', ['opportunity_id'], 'loaded_at desc, closed_at desc nulls last, created_at, stage') }}

)

select * from classified
