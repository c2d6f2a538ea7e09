with

rates as (

    select * from {{ ref('fx_rates') }}

),

ranged as (

    select
        upper(trim(currency_code)) as currency_code,
        cast(valid_from as timestamp) as valid_from,
        coalesce(
            lead(cast(valid_from as timestamp)) over (partition by upper(trim(currency_code)) order by valid_from),
            cast('9999-12-31 00:00:00' as timestamp)
        ) as valid_to,
        cast(rate_to_reporting as decimal(18, 8)) as rate_to_reporting
    from rates

)

select * from ranged
