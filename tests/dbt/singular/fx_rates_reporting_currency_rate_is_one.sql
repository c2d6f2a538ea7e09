-- The reporting currency (var reporting_currency) converts to itself at rate 1 on every row of the fx_rates seed, and
-- has at least one row. Returns each offending seed row, or one row saying the currency is missing.
with

rates as (

    select * from {{ ref('fx_rates') }}

),

wrong_rate as (

    select
        currency_code,
        cast(valid_from as date) as valid_from,
        cast(rate_to_reporting as decimal(18, 8)) as rate_to_reporting,
        'reporting currency must have rate 1' as failure
    from rates
    where
        upper(trim(currency_code)) = upper('{{ var("reporting_currency") }}')
        and rate_to_reporting <> 1

),

missing as (

    select
        '{{ var("reporting_currency") }}' as currency_code,
        cast(null as date) as valid_from,
        cast(null as decimal(18, 8)) as rate_to_reporting,
        'reporting currency has no row in fx_rates' as failure
    where not exists (
        select 1 from rates
        where upper(trim(currency_code)) = upper('{{ var("reporting_currency") }}')
    )

)

select * from wrong_rate
union all
select * from missing
