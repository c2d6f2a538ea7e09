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

-- what each entity owns at each cut-off (who owns anything: the co-purchase lift is 1, not unknown)
owned as (

    select * from {{ ref('int_offer__owned') }}

),

-- the best co-purchase link of each candidate (its own model: the largest join of the features)
candidate_links as (

    select * from {{ ref('int_offer__candidate_links') }}

),

entities as (

    select * from {{ ref('int_offer__entities') }}

),

products as {{ inline_cte() }} (

    select * from {{ ref('int_offer__products') }}

),

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

views as (

    select * from {{ ref('int_offer__views') }}

),

popularity as {{ inline_cte() }} (

    select * from {{ ref('int_offer__popularity') }}

),

entity_keys as {{ inline_cte() }} (

    {{ offer_entity_segment_keys('entities', 'popularity') }}

),

-- each candidate's products (one at product grain, the category's at category grain) with their fit and price ratio
candidate_products as (

    select
        candidates.cutoff_date,
        candidates.contact_id,
        candidates.item_id,
        candidates.sources,
        candidates.candidate_rank,
        candidates.days_since_purchase,
        products.product_id,
        products.product_name,
        products.category,
        products.repurchase_days,
        case
            when not coalesce(products.is_targeted, false) then 'untargeted'
            when coalesce({{ offer_list_contains('products.target_industries', 'entity_keys.industry') }}, false)
                then 'industry'
            -- a product made for other industries does not fit a company of a known industry, whatever its segment
            when products.target_industries is not null and entity_keys.industry is not null then 'mismatch'
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

-- segment_match_rank orders the matches by their fit, ties by name (industry 1, segment 2, size_band 3, untargeted
-- 4, mismatch 5): the best match of a category's products is their smallest rank
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
        case candidate_products.segment_match
            when 'industry' then 1
            when 'segment' then 2
            when 'size_band' then 3
            when 'untargeted' then 4
            else 5
        end as segment_match_rank,
        case
            when candidate_products.budget is null or candidate_products.price_needed is null then null
            when candidate_products.price_needed <= 0 then 1.0
            else
                cast(candidate_products.budget as {{ type_double() }})
                / cast(candidate_products.price_needed as {{ type_double() }})
        end as budget_ratio
    from candidate_products

),

-- one row per candidate (plain aggregates, no window: the driver of the features)
item_fit as (

    select
        cutoff_date,
        contact_id,
        item_id,
        min(sources) as sources,
        min(candidate_rank) as candidate_rank,
        min(days_since_purchase) as days_since_purchase,
        max(segment_fit) as offer_segment_fit,
        min(segment_match_rank) as segment_match_rank,
        max(budget_ratio) as offer_budget_fit,
        min(price_needed) as price_needed,
        min(repurchase_days) as repurchase_days,
        min(category) as category,
        case when count(*) = 1 then min(product_name) end as product_name,
        case when count(*) = 1 then min(product_id) end as product_id
    from product_fit
    group by cutoff_date, contact_id, item_id

),

-- purchase lines weighted by their age (decay), per entity and category; the entity's total is the sum over its
-- categories
category_line_weights as (

    select
        cutoff_date,
        contact_id,
        category,
        sum(
            power(0.5, cast(days_before_cutoff as {{ type_double() }}) / {{ affinity_half_life }})
        ) as category_weight
    from purchases
    where category is not null
    group by cutoff_date, contact_id, category

),

entity_line_weights as (

    select
        cutoff_date,
        contact_id,
        sum(category_weight) as total_weight
    from category_line_weights
    group by cutoff_date, contact_id

),

owners as (

    select distinct
        cutoff_date,
        contact_id
    from owned

),

-- what the features need of each entity, one row per cut-off and entity
entity_facts as (

    select
        entity_keys.*,
        entity_line_weights.total_weight,
        owners.contact_id is not null as owns_items
    from entity_keys
    left join entity_line_weights
        on
            entity_keys.cutoff_date = entity_line_weights.cutoff_date
            and entity_keys.contact_id = entity_line_weights.contact_id
    left join owners
        on
            entity_keys.cutoff_date = owners.cutoff_date
            and entity_keys.contact_id = owners.contact_id

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
        item_fit.cutoff_date,
        cutoffs.is_scoring_row,
        item_fit.contact_id,
        item_fit.item_id,
        item_fit.contact_id || '|' || item_fit.item_id as entity_id,
        item_fit.product_id,
        item_fit.product_name,
        item_fit.category,
        item_fit.sources,
        item_fit.candidate_rank,
        entity_facts.population,
        entity_facts.segment,
        entity_facts.industry,
        entity_facts.size_band,
        entity_facts.segment_key,
        entity_facts.budget,
        entity_facts.budget_source,
        item_fit.price_needed,

        -- criteria
        item_fit.offer_segment_fit,
        item_fit.offer_budget_fit,
        case
            when entity_facts.total_weight > 0
                then coalesce(category_line_weights.category_weight, 0) / entity_facts.total_weight
        end as offer_category_affinity,
        case when entity_facts.owns_items then coalesce(candidate_links.lift, 1.0) end as offer_co_purchase_lift,
        coalesce(item_views.decayed_views, 0) as offer_interest,
        coalesce(popularity.buyer_share, 0) as offer_popularity,
        case
            when item_fit.days_since_purchase is not null and item_fit.repurchase_days > 0
                then cast(item_fit.days_since_purchase as {{ type_double() }}) / item_fit.repurchase_days
            else 0
        end as offer_repurchase_due,

        -- evidence
        case item_fit.segment_match_rank
            when 1 then 'industry'
            when 2 then 'segment'
            when 3 then 'size_band'
            when 4 then 'untargeted'
            else 'mismatch'
        end as segment_match,
        candidate_links.antecedent_item_id,
        case
            when antecedent_names.antecedent_products = 1 then antecedent_names.antecedent_name
            else candidate_links.antecedent_item_id
        end as antecedent_name,
        candidate_links.confidence as co_purchase_confidence,
        coalesce(item_views.view_count, 0) as view_count,
        coalesce(item_views.has_product_view = 1, false) as has_product_view,
        item_fit.days_since_purchase,
        item_fit.repurchase_days
    from item_fit
    inner join cutoffs
        on item_fit.cutoff_date = cutoffs.cutoff_date
    inner join entity_facts
        on
            item_fit.cutoff_date = entity_facts.cutoff_date
            and item_fit.contact_id = entity_facts.contact_id
    left join category_line_weights
        on
            item_fit.cutoff_date = category_line_weights.cutoff_date
            and item_fit.contact_id = category_line_weights.contact_id
            and item_fit.category = category_line_weights.category
    left join candidate_links
        on
            item_fit.cutoff_date = candidate_links.cutoff_date
            and item_fit.contact_id = candidate_links.contact_id
            and item_fit.item_id = candidate_links.item_id
    left join antecedent_names
        on
            candidate_links.cutoff_date = antecedent_names.cutoff_date
            and candidate_links.antecedent_item_id = antecedent_names.item_id
    left join item_views
        on
            item_fit.cutoff_date = item_views.cutoff_date
            and item_fit.contact_id = item_views.contact_id
            and item_fit.item_id = item_views.item_id
    left join popularity
        on
            item_fit.cutoff_date = popularity.cutoff_date
            and entity_facts.segment_key = popularity.segment_key
            and item_fit.item_id = popularity.item_id

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
