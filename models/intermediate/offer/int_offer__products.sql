-- The catalogue as of each cut-off: one row per cut-off and product current at it (the newest valid version loaded
-- before the cut-off + 1 day). The as-of row is the current staged product (dq_status 'current'); the evaluation
-- cut-off takes the versions through pit_versions (the key and version order of stg_shop__products). Prices and
-- minimum budgets are converted into the reporting currency at the rate valid on the cut-off (int_fx_rates, macro
-- reporting_amount). Targeting lists keep their staged form (lower case, ';' or ',' separated).
with

scoring_cutoff as (

    select * from {{ ref('int_offer__cutoffs') }}
    where is_scoring_row

),

staged as (

    select * from {{ ref('stg_shop__products') }}

),

fx as (

    select * from {{ ref('int_fx_rates') }}

),

versions as (

    {{ pit_versions(
        'staged', ['product_id'], 'loaded_at desc, updated_at desc nulls last, product_name, list_price'
    ) }}

),

as_of_products as (

    select
        scoring_cutoff.cutoff_date,
        staged.product_id,
        staged.product_name,
        staged.category,
        staged.list_price,
        staged.min_budget,
        staged.currency_code,
        staged.target_industries,
        staged.target_segments,
        staged.repurchase_days
    from staged
    cross join scoring_cutoff
    where staged.dq_status = 'current'

),

evaluation_products as (

    select
        {{ offer_evaluation_cutoff() }} as cutoff_date,
        versions.product_id,
        versions.product_name,
        versions.category,
        versions.list_price,
        versions.min_budget,
        versions.currency_code,
        versions.target_industries,
        versions.target_segments,
        versions.repurchase_days
    from versions
    where {{ pit_is_current_on('versions', offer_evaluation_cutoff()) }}

),

products as (

    select * from as_of_products
    union all
    select * from evaluation_products

),

-- a product without a currency is priced in the reporting currency (the contract's default)
converted as (

    select
        products.*,
        {{ reporting_amount('products.list_price', 'fx.rate_to_reporting') }} as list_price_reporting,
        {{ reporting_amount('products.min_budget', 'fx.rate_to_reporting') }} as min_budget_reporting
    from products
    left join fx
        on
            coalesce(products.currency_code, upper(trim('{{ var("reporting_currency") }}'))) = fx.currency_code
            and cast(products.cutoff_date as timestamp) >= fx.valid_from
            and cast(products.cutoff_date as timestamp) < fx.valid_to

),

final as (

    select
        -- ids
        cutoff_date,
        product_id,
        {{ offer_item_id('product_id', 'category') }} as item_id,

        -- attributes
        product_name,
        category,
        list_price_reporting as list_price,
        min_budget_reporting as min_budget,
        target_industries,
        target_segments,
        repurchase_days,
        target_industries is not null or target_segments is not null as is_targeted

    from converted

)

select * from final
