-- What each entity owned at each cut-off, and whether it may be offered it again: one row per cut-off, entity and
-- item it bought (int_offer__purchases, all history up to the cut-off). The one rule of what an owner may be offered
-- again, read by int_offer__candidates, int_offer__features and offer_evaluation: an item of the cut-off's catalogue
-- whose repurchase gap (shop.products repurchase_days; at category grain the shortest gap of the category's products)
-- has passed since the entity last bought it. An item without a gap, or no longer in the catalogue, is never offered
-- again to its owner (at category grain: a category it bought in stays offerable, see int_offer__candidates).

with

purchases as (

    select * from {{ ref('int_offer__purchases') }}
    where item_id is not null

),

products as (

    select * from {{ ref('int_offer__products') }}
    where item_id is not null

),

-- the items of each cut-off's catalogue and their repurchase gap
catalogue as (

    select
        cutoff_date,
        item_id,
        min(repurchase_days) as repurchase_days
    from products
    group by cutoff_date, item_id

),

owned as (

    select
        cutoff_date,
        contact_id,
        item_id,
        count(*) as purchase_lines,
        max(ordered_on) as last_ordered_on,
        min(days_before_cutoff) as days_since_purchase
    from purchases
    group by cutoff_date, contact_id, item_id

),

final as (

    select
        -- ids
        owned.cutoff_date,
        owned.contact_id,
        owned.item_id,

        -- purchases
        cast(owned.purchase_lines as {{ dbt.type_int() }}) as purchase_lines,
        owned.last_ordered_on,
        cast(owned.days_since_purchase as {{ dbt.type_int() }}) as days_since_purchase,

        -- catalogue
        catalogue.item_id is not null as is_in_catalogue,
        cast(catalogue.repurchase_days as {{ dbt.type_int() }}) as repurchase_days,
        coalesce(
            catalogue.repurchase_days is not null and owned.days_since_purchase >= catalogue.repurchase_days, false
        ) as is_offerable

    from owned
    left join catalogue
        on
            owned.cutoff_date = catalogue.cutoff_date
            and owned.item_id = catalogue.item_id

)

select * from final
