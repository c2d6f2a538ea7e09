-- Offer criteria of every candidate (int_offer__candidates), wide: one row per cut-off, entity and item, the raw value
-- of each criterion (entity type 'offer' of the scoring seeds) and the evidence a reason quotes. A value is NULL only
-- when it is unknown (no budget, no purchase history); an absence that is information is written as its value (no view:
-- 0 views; owned items without a co-purchase pair: lift 1; an item never bought: not due, 0).
-- At category grain an item stands for its category's products: the best segment fit and the most affordable product.
{%- set affinity_half_life = offer_int_var('offer_affinity_half_life_days', 180) %}

with

candidates as (

    select * from {{ ref('int_offer__candidates') }}

),

cutoffs as (

    select * from {{ ref('int_offer__cutoffs') }}

),

-- what each entity owns at each cut-off (days since its last purchase, the item's repurchase gap)
owned as (

    select * from {{ ref('int_offer__owned') }}

),

entities as (

    select * from {{ ref('int_offer__entities') }}

),

products as (

    select * from {{ ref('int_offer__products') }}

),

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

views as (

    select * from {{ ref('int_offer__views') }}

),

co_purchase as (

    select * from {{ ref('int_offer__co_purchase') }}

),

popularity as (

    select * from {{ ref('int_offer__popularity') }}

),

entity_keys as (

    {{ offer_entity_segment_keys('entities', 'popularity') }}

),

-- each candidate's products (one at product grain, the category's at category grain) with their fit and price ratio
candidate_products as (

    select
        candidates.cutoff_date,
        candidates.contact_id,
        candidates.item_id,
        products.product_id,
        products.product_name,
        products.category,
        products.repurchase_days,
        case
            when not coalesce(products.is_targeted, false) then 'untargeted'
            when coalesce({{ offer_list_contains('products.target_industries', 'entity_keys.industry') }}, false)
                then 'industry'
            when coalesce({{ offer_list_contains('products.target_segments', 'entity_keys.segment') }}, false)
                then 'segment'
            when coalesce({{ offer_list_contains('products.target_segments', 'entity_keys.size_band') }}, false)
                then 'size_band'
            else 'mismatch'
        end as segment_match,
        case
            when coalesce(products.min_budget, 0) > coalesce(products.list_price, 0) then products.min_budget
            else products.list_price
        end as price_needed,
        entity_keys.budget
    from candidates
    inner join products
        on
            candidates.cutoff_date = products.cutoff_date
            and candidates.item_id = products.item_id
    inner join entity_keys
        on
            candidates.cutoff_date = entity_keys.cutoff_date
            and candidates.contact_id = entity_keys.contact_id

),

product_fit as (

    select
        candidate_products.*,
        case candidate_products.segment_match
            when 'industry' then 1.0
            when 'segment' then 0.75
            when 'size_band' then 0.75
            when 'untargeted' then 0.5
            else 0.0
        end as segment_fit,
        case
            when candidate_products.budget is null or candidate_products.price_needed is null then null
            when candidate_products.price_needed <= 0 then 1.0
            else
                cast(candidate_products.budget as {{ type_double() }})
                / cast(candidate_products.price_needed as {{ type_double() }})
        end as budget_ratio
    from candidate_products

),

item_fit as (

    select
        cutoff_date,
        contact_id,
        item_id,
        max(segment_fit) as offer_segment_fit,
        max(budget_ratio) as offer_budget_fit,
        min(price_needed) as price_needed,
        min(repurchase_days) as repurchase_days,
        min(category) as category,
        case when count(*) = 1 then min(product_name) end as product_name,
        case when count(*) = 1 then min(product_id) end as product_id
    from product_fit
    group by cutoff_date, contact_id, item_id

),

-- the match behind the best segment fit (the reason quotes it)
item_match as (

    select
        cutoff_date,
        contact_id,
        item_id,
        segment_match,
        row_number() over (
            partition by cutoff_date, contact_id, item_id order by segment_fit desc, segment_match asc
        ) as match_rank
    from product_fit

),

-- purchase lines weighted by their age (decay), per entity and category
weighted_lines as (

    select
        cutoff_date,
        contact_id,
        category,
        power(0.5, cast(days_before_cutoff as {{ type_double() }}) / {{ affinity_half_life }}) as line_weight
    from purchases
    where category is not null

),

entity_line_weights as (

    select
        cutoff_date,
        contact_id,
        sum(line_weight) as total_weight
    from weighted_lines
    group by cutoff_date, contact_id

),

category_line_weights as (

    select
        cutoff_date,
        contact_id,
        category,
        sum(line_weight) as category_weight
    from weighted_lines
    group by cutoff_date, contact_id, category

),

owners as (

    select distinct
        cutoff_date,
        contact_id
    from owned

),

-- the owned item with the best lift towards each candidate (ties: higher confidence, then antecedent_item_id)
co_purchase_links as (

    select
        candidates.cutoff_date,
        candidates.contact_id,
        candidates.item_id,
        co_purchase.antecedent_item_id,
        co_purchase.lift,
        co_purchase.confidence,
        row_number() over (
            partition by candidates.cutoff_date, candidates.contact_id, candidates.item_id
            order by co_purchase.lift desc, co_purchase.confidence desc, co_purchase.antecedent_item_id asc
        ) as link_rank
    from candidates
    inner join owned
        on
            candidates.cutoff_date = owned.cutoff_date
            and candidates.contact_id = owned.contact_id
    inner join co_purchase
        on
            owned.cutoff_date = co_purchase.cutoff_date
            and owned.item_id = co_purchase.antecedent_item_id
            and candidates.item_id = co_purchase.item_id

),

antecedent_names as (

    select
        cutoff_date,
        item_id,
        min(product_name) as antecedent_name,
        count(*) as antecedent_products
    from products
    group by cutoff_date, item_id

),

item_views as (

    select
        cutoff_date,
        contact_id,
        item_id,
        sum(view_count) as view_count,
        sum(decayed_views) as decayed_views,
        max(case when via = 'product' then 1 else 0 end) as has_product_view
    from views
    group by cutoff_date, contact_id, item_id

),

joined as (

    select
        candidates.cutoff_date,
        cutoffs.is_scoring_row,
        candidates.contact_id,
        candidates.item_id,
        candidates.contact_id || '|' || candidates.item_id as entity_id,
        item_fit.product_id,
        item_fit.product_name,
        item_fit.category,
        candidates.sources,
        candidates.candidate_rank,
        entity_keys.population,
        entity_keys.segment,
        entity_keys.industry,
        entity_keys.size_band,
        entity_keys.segment_key,
        entity_keys.budget,
        entity_keys.budget_source,
        item_fit.price_needed,

        -- criteria
        item_fit.offer_segment_fit,
        item_fit.offer_budget_fit,
        case
            when entity_line_weights.total_weight > 0
                then coalesce(category_line_weights.category_weight, 0) / entity_line_weights.total_weight
        end as offer_category_affinity,
        case when owners.contact_id is not null then coalesce(co_purchase_links.lift, 1.0) end
            as offer_co_purchase_lift,
        coalesce(item_views.decayed_views, 0) as offer_interest,
        coalesce(popularity.buyer_share, 0) as offer_popularity,
        case
            when owned.repurchase_days > 0
                then cast(owned.days_since_purchase as {{ type_double() }}) / owned.repurchase_days
            else 0
        end as offer_repurchase_due,

        -- evidence
        item_match.segment_match,
        co_purchase_links.antecedent_item_id,
        case
            when antecedent_names.antecedent_products = 1 then antecedent_names.antecedent_name
            else co_purchase_links.antecedent_item_id
        end as antecedent_name,
        co_purchase_links.confidence as co_purchase_confidence,
        coalesce(item_views.view_count, 0) as view_count,
        coalesce(item_views.has_product_view = 1, false) as has_product_view,
        owned.days_since_purchase,
        item_fit.repurchase_days
    from candidates
    inner join cutoffs
        on candidates.cutoff_date = cutoffs.cutoff_date
    inner join entity_keys
        on
            candidates.cutoff_date = entity_keys.cutoff_date
            and candidates.contact_id = entity_keys.contact_id
    inner join item_fit
        on
            candidates.cutoff_date = item_fit.cutoff_date
            and candidates.contact_id = item_fit.contact_id
            and candidates.item_id = item_fit.item_id
    left join item_match
        on
            candidates.cutoff_date = item_match.cutoff_date
            and candidates.contact_id = item_match.contact_id
            and candidates.item_id = item_match.item_id
            and item_match.match_rank = 1
    left join entity_line_weights
        on
            candidates.cutoff_date = entity_line_weights.cutoff_date
            and candidates.contact_id = entity_line_weights.contact_id
    left join category_line_weights
        on
            candidates.cutoff_date = category_line_weights.cutoff_date
            and candidates.contact_id = category_line_weights.contact_id
            and item_fit.category = category_line_weights.category
    left join owners
        on
            candidates.cutoff_date = owners.cutoff_date
            and candidates.contact_id = owners.contact_id
    left join co_purchase_links
        on
            candidates.cutoff_date = co_purchase_links.cutoff_date
            and candidates.contact_id = co_purchase_links.contact_id
            and candidates.item_id = co_purchase_links.item_id
            and co_purchase_links.link_rank = 1
    left join antecedent_names
        on
            co_purchase_links.cutoff_date = antecedent_names.cutoff_date
            and co_purchase_links.antecedent_item_id = antecedent_names.item_id
    left join item_views
        on
            candidates.cutoff_date = item_views.cutoff_date
            and candidates.contact_id = item_views.contact_id
            and candidates.item_id = item_views.item_id
    left join popularity
        on
            candidates.cutoff_date = popularity.cutoff_date
            and entity_keys.segment_key = popularity.segment_key
            and candidates.item_id = popularity.item_id
    left join owned
        on
            candidates.cutoff_date = owned.cutoff_date
            and candidates.contact_id = owned.contact_id
            and candidates.item_id = owned.item_id

),

final as (

    select
        cutoff_date,
        is_scoring_row,
        contact_id,
        item_id,
        entity_id,
        product_id,
        product_name,
        category,
        sources,
        candidate_rank,
        population,
        segment,
        industry,
        size_band,
        segment_key,
        cast(budget as decimal(18, 2)) as budget,
        budget_source,
        cast(price_needed as decimal(18, 2)) as price_needed,
        cast(offer_segment_fit as decimal(18, 6)) as offer_segment_fit,
        cast({{ round_decimal('offer_budget_fit', 6) }} as decimal(18, 6)) as offer_budget_fit,
        cast({{ round_decimal('offer_category_affinity', 6) }} as decimal(18, 6)) as offer_category_affinity,
        cast({{ round_decimal('offer_co_purchase_lift', 6) }} as decimal(18, 6)) as offer_co_purchase_lift,
        cast({{ round_decimal('offer_interest', 6) }} as decimal(18, 6)) as offer_interest,
        cast({{ round_decimal('offer_popularity', 6) }} as decimal(18, 6)) as offer_popularity,
        cast({{ round_decimal('offer_repurchase_due', 6) }} as decimal(18, 6)) as offer_repurchase_due,
        segment_match,
        antecedent_item_id,
        antecedent_name,
        cast(co_purchase_confidence as decimal(18, 6)) as co_purchase_confidence,
        cast(view_count as {{ dbt.type_int() }}) as view_count,
        has_product_view,
        cast(days_since_purchase as {{ dbt.type_int() }}) as days_since_purchase,
        cast(repurchase_days as {{ dbt.type_int() }}) as repurchase_days
    from joined

)

select * from final
