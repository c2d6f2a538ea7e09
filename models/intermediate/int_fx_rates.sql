-- Exchange-rate validity ranges into the reporting currency (var reporting_currency), covering all time, so that a
-- conversion always finds a rate. Per currency of the fx_rates seed: one row per seed row, each valid until the next
-- valid_from (the latest open-ended), plus one extrapolated row that carries the first rate back to the beginning of
-- time (is_extrapolated: consumers apply var fx_before_first_rate to it). The reporting currency is one row at
-- exactly 1 over all time, whether or not the seed has rows for it (the seed's own rows for it must say 1: singular
-- test fx_rates_reporting_currency_rate_is_one).
with

rates as (

    select * from {{ ref('fx_rates') }}

),

seeded as (

    select
        upper(trim(currency_code)) as currency_code,
        cast(valid_from as timestamp) as valid_from,
        cast(rate_to_reporting as decimal(18, 8)) as rate_to_reporting
    from rates
    where upper(trim(currency_code)) <> upper(trim('{{ var("reporting_currency") }}'))

),

ranged as (

    select
        currency_code,
        valid_from,
        coalesce(
            lead(valid_from) over (partition by currency_code order by valid_from),
            cast('9999-12-31 00:00:00' as timestamp)
        ) as valid_to,
        rate_to_reporting,
        row_number() over (partition by currency_code order by valid_from) as rate_number
    from seeded

),

before_first_rate as (

    select
        currency_code,
        cast('0001-01-01 00:00:00' as timestamp) as valid_from,
        valid_from as valid_to,
        rate_to_reporting,
        true as is_extrapolated
    from ranged
    where rate_number = 1

),

reporting_currency as (

    select
        upper(trim('{{ var("reporting_currency") }}')) as currency_code,
        cast('0001-01-01 00:00:00' as timestamp) as valid_from,
        cast('9999-12-31 00:00:00' as timestamp) as valid_to,
        cast(1 as decimal(18, 8)) as rate_to_reporting,
        false as is_extrapolated

),

final as (

    select
        currency_code,
        valid_from,
        valid_to,
        rate_to_reporting,
        false as is_extrapolated
    from ranged
    union all
    select
        currency_code,
        valid_from,
        valid_to,
        rate_to_reporting,
        is_extrapolated
    from before_first_rate
    union all
    select
        currency_code,
        valid_from,
        valid_to,
        rate_to_reporting,
        is_extrapolated
    from reporting_currency

)

select * from final
