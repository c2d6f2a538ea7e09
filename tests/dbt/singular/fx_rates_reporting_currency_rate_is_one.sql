-- The reporting currency (var reporting_currency) converts to itself at exactly 1. The fx_rates seed needs no row for
-- it (int_fx_rates adds one at 1 over all time), but a row it does have must say 1: returns each offending seed row.
with

rates as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        currency_code,
        cast(valid_from as date) as valid_from,
        cast(rate_to_reporting as decimal(18, 8)) as rate_to_reporting,
        'reporting currency must have rate 1' as failure
    from rates
    where
        upper(trim(currency_code)) = upper(trim('{{ var("reporting_currency") }}'))
        and rate_to_reporting <> 1

)

select * from final
