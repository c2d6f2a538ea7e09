-- How good next_best_offers is, judged on what customers bought next: the whole offer pipeline run at the evaluation
-- cut-off (the as-of date minus var offer_evaluation_window_days, with only what a build on that date knew) against
-- the items bought in the window (cut-off, as-of date], as the as-of build knows them. One row per method and K
-- (1..var offer_top_k): next_best_offers (the top-K offers of the cut-off, profile var offer_profile) and two
-- baselines built at the same cut-off from the same information: popularity (the items most bought in the entity's
-- segment key at the cut-off, then overall) and buy_again (the entity's own most bought items).
-- One rule of what may be offered serves the three methods and the relevant items alike: an item of the cut-off's
-- catalogue, not owned by the entity at the cut-off unless its repurchase gap (shop.products repurchase_days) had
-- passed by then (the rule of int_offer__candidates). Relevant items are the items an entity bought in the window
-- that it could have been offered at the cut-off: a repurchase of a non-consumable, or a product launched after the
-- cut-off, is neither a hit nor a miss for any method. Entities judged: those with a next_best_offers row at the
-- cut-off and at least one relevant item (the same population for the three methods; precision, recall and hit
-- rate over entities that bought nothing would only scale all three down).
{%- set top_k = offer_int_var('offer_top_k', 3) %}
{%- set profile = var('offer_profile', 'offer') %}
{%- set grain = var('offer_grain', 'product') %}

with

cutoffs as (

    select * from {{ ref('int_offer__cutoffs') }}

),

scores as (

    select * from {{ ref('int_offer__scores') }}

),

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

owned_items as (

    select * from {{ ref('int_offer__owned') }}

),

products as (

    select * from {{ ref('int_offer__products') }}

),

entities as (

    select * from {{ ref('int_offer__entities') }}

),

popularity as (

    select * from {{ ref('int_offer__popularity') }}

),

evaluation_cutoff as (

    select
        cutoff_date,
        window_end,
        {{ days_between('cutoff_date', 'window_end') }} as window_days
    from cutoffs
    where not is_scoring_row

),

-- K = 1..offer_top_k, and the three methods
ks as (

    select cast(generated_number as {{ dbt.type_int() }}) as k
    from ({{ dbt.generate_series(top_k) }}) as series

),

methods as (

    select 'next_best_offers' as offer_method
    union all
    select 'popularity' as offer_method
    union all
    select 'buy_again' as offer_method

),

-- the items the cut-off's catalogue offers
catalogue as (

    select distinct products.item_id
    from products
    inner join evaluation_cutoff
        on products.cutoff_date = evaluation_cutoff.cutoff_date
    where products.item_id is not null

),

-- what each entity owned at the cut-off
owned as (

    select owned_items.*
    from owned_items
    inner join evaluation_cutoff
        on owned_items.cutoff_date = evaluation_cutoff.cutoff_date

),

-- owned items no method may offer at the cut-off (int_offer__owned's repurchase rule)
blocked as (

    select
        contact_id,
        item_id
    from owned
    where not is_offerable

),

-- next_best_offers at the evaluation cut-off
offer_lists as (

    select
        scores.contact_id,
        scores.item_id,
        scores.top_offer_rank as list_rank
    from scores
    inner join evaluation_cutoff
        on scores.cutoff_date = evaluation_cutoff.cutoff_date
    where scores.is_top_offer and scores.profile = '{{ profile }}'

),

offered_entities as (

    select distinct contact_id
    from offer_lists

),

offered_count as (

    select count(*) as entities_with_offers
    from offered_entities

),

-- what was bought in (cut-off, window_end]: the as-of rows of int_offer__purchases (int_orders x int_order_items)
window_purchases as (

    select distinct
        purchases.contact_id,
        purchases.item_id
    from purchases
    inner join evaluation_cutoff
        on purchases.cutoff_date = evaluation_cutoff.window_end
    where
        purchases.item_id is not null
        and purchases.ordered_on > evaluation_cutoff.cutoff_date
        and purchases.ordered_on <= evaluation_cutoff.window_end

),

relevant as (

    select
        window_purchases.contact_id,
        window_purchases.item_id
    from window_purchases
    inner join catalogue
        on window_purchases.item_id = catalogue.item_id
    left join blocked
        on
            window_purchases.contact_id = blocked.contact_id
            and window_purchases.item_id = blocked.item_id
    where blocked.item_id is null

),

relevant_counts as (

    select
        contact_id,
        count(*) as relevant_items
    from relevant
    group by contact_id

),

population as (

    select
        offered_entities.contact_id,
        relevant_counts.relevant_items
    from offered_entities
    inner join relevant_counts
        on offered_entities.contact_id = relevant_counts.contact_id

),

population_blocked as (

    select
        blocked.contact_id,
        blocked.item_id
    from blocked
    inner join population
        on blocked.contact_id = population.contact_id

),

-- popularity baseline: the entity's segment key's most bought items, then the overall list ('all') to fill K,
-- skipping what the entity may not be offered; ranks are re-counted over the cut-off's catalogue first
catalogue_popularity as (

    select
        popularity.segment_key,
        popularity.item_id,
        row_number() over (
            partition by popularity.segment_key
            order by popularity.popularity_rank, popularity.item_id
        ) as catalogue_rank
    from popularity
    inner join evaluation_cutoff
        on popularity.cutoff_date = evaluation_cutoff.cutoff_date
    inner join catalogue
        on popularity.item_id = catalogue.item_id

),

-- the segment key whose popularity speaks for the entity, as the candidates and features read it (its industry, else
-- its segment, with at least var offer_min_segment_buyers buyers; else 'all')
entity_keys as (

    {{ offer_entity_segment_keys('entities', 'popularity') }}

),

population_keys as (

    select
        population.contact_id,
        entity_keys.segment_key,
        count(population_blocked.item_id) as blocked_items
    from population
    cross join evaluation_cutoff
    left join entity_keys
        on
            population.contact_id = entity_keys.contact_id
            and evaluation_cutoff.cutoff_date = entity_keys.cutoff_date
    left join population_blocked
        on population.contact_id = population_blocked.contact_id
    group by population.contact_id, entity_keys.segment_key

),

-- enough of each list to find K offerable items: K + the entity's blocked items of the segment list, 2K + blocked of
-- the overall one (K of it may repeat the segment's)
popular_candidates as (

    select
        population_keys.contact_id,
        catalogue_popularity.item_id,
        0 as list_part,
        catalogue_popularity.catalogue_rank
    from population_keys
    inner join catalogue_popularity
        on
            population_keys.segment_key = catalogue_popularity.segment_key
            and catalogue_popularity.catalogue_rank <= {{ top_k }} + population_keys.blocked_items

    union all

    select
        population_keys.contact_id,
        catalogue_popularity.item_id,
        1 as list_part,
        catalogue_popularity.catalogue_rank
    from population_keys
    inner join catalogue_popularity
        on
            catalogue_popularity.segment_key = 'all'
            and catalogue_popularity.catalogue_rank <= 2 * {{ top_k }} + population_keys.blocked_items

),

popular_offerable as (

    select
        popular_candidates.contact_id,
        popular_candidates.item_id,
        popular_candidates.list_part,
        popular_candidates.catalogue_rank,
        row_number() over (
            partition by popular_candidates.contact_id, popular_candidates.item_id
            order by popular_candidates.list_part, popular_candidates.catalogue_rank
        ) as item_copy
    from popular_candidates
    left join population_blocked
        on
            popular_candidates.contact_id = population_blocked.contact_id
            and popular_candidates.item_id = population_blocked.item_id
    where population_blocked.item_id is null

),

popularity_lists as (

    select
        contact_id,
        item_id,
        row_number() over (
            partition by contact_id
            order by list_part, catalogue_rank, item_id
        ) as list_rank
    from popular_offerable
    where item_copy = 1

),

-- buy-again baseline: the entity's most bought items (order lines; ties by the latest purchase, then item_id) among
-- those it may be offered again at the cut-off
buy_again_lists as (

    select
        owned.contact_id,
        owned.item_id,
        row_number() over (
            partition by owned.contact_id
            order by owned.purchase_lines desc, owned.last_ordered_on desc, owned.item_id asc
        ) as list_rank
    from owned
    inner join population
        on owned.contact_id = population.contact_id
    where owned.is_offerable

),

lists as (

    select
        'next_best_offers' as offer_method,
        offer_lists.contact_id,
        offer_lists.item_id,
        offer_lists.list_rank
    from offer_lists
    inner join population
        on offer_lists.contact_id = population.contact_id
    where offer_lists.list_rank <= {{ top_k }}

    union all

    select
        'popularity' as offer_method,
        contact_id,
        item_id,
        list_rank
    from popularity_lists
    where list_rank <= {{ top_k }}

    union all

    select
        'buy_again' as offer_method,
        contact_id,
        item_id,
        list_rank
    from buy_again_lists
    where list_rank <= {{ top_k }}

),

list_hits as (

    select
        lists.offer_method,
        lists.contact_id,
        lists.list_rank,
        case when relevant.item_id is null then 0 else 1 end as is_hit
    from lists
    left join relevant
        on
            lists.contact_id = relevant.contact_id
            and lists.item_id = relevant.item_id

),

-- each judged entity, method and K: items offered in the top K and how many of them were bought
entity_k as (

    select
        methods.offer_method,
        ks.k,
        population.contact_id,
        population.relevant_items,
        count(list_hits.list_rank) as items_offered,
        coalesce(sum(list_hits.is_hit), 0) as hits
    from population
    cross join methods
    cross join ks
    left join list_hits
        on
            population.contact_id = list_hits.contact_id
            and methods.offer_method = list_hits.offer_method
            and ks.k >= list_hits.list_rank
    group by methods.offer_method, ks.k, population.contact_id, population.relevant_items

),

method_k as (

    select
        offer_method,
        k,
        count(*) as entities_evaluated,
        sum(relevant_items) as relevant_items,
        sum(items_offered) as items_offered,
        sum(hits) as hits,
        sum(case when hits > 0 then 1 else 0 end) as entities_hit,
        sum(cast(hits as {{ type_double() }}) / relevant_items) as recall_sum
    from entity_k
    group by offer_method, k

),

grid as (

    select
        methods.offer_method,
        ks.k,
        coalesce(method_k.entities_evaluated, 0) as entities_evaluated,
        coalesce(method_k.relevant_items, 0) as relevant_items,
        coalesce(method_k.items_offered, 0) as items_offered,
        coalesce(method_k.hits, 0) as hits,
        coalesce(method_k.entities_hit, 0) as entities_hit,
        method_k.recall_sum
    from methods
    cross join ks
    left join method_k
        on
            methods.offer_method = method_k.offer_method
            and ks.k = method_k.k

),

final as (

    select
        -- ids
        cast(grid.offer_method as {{ dbt.type_string() }}) as method,  -- noqa: RF04
        cast(grid.k as {{ dbt.type_int() }}) as k,
        cast('{{ grain }}' as {{ dbt.type_string() }}) as offer_grain,
        cast(evaluation_cutoff.cutoff_date as date) as evaluation_cutoff_date,
        cast(evaluation_cutoff.window_end as date) as window_end,
        cast(evaluation_cutoff.window_days as {{ dbt.type_int() }}) as window_days,

        -- population
        cast(offered_count.entities_with_offers as {{ dbt.type_bigint() }}) as entities_with_offers,
        cast(grid.entities_evaluated as {{ dbt.type_bigint() }}) as entities_evaluated,
        cast(grid.relevant_items as {{ dbt.type_bigint() }}) as relevant_items,

        -- what the method offered and what was bought
        cast(grid.items_offered as {{ dbt.type_bigint() }}) as items_offered,
        cast(grid.hits as {{ dbt.type_bigint() }}) as hits,
        cast(grid.entities_hit as {{ dbt.type_bigint() }}) as entities_hit,

        -- metrics (NULL without a judged entity)
        cast(
            {{ round_decimal(
                'cast(grid.hits as ' ~ type_double() ~ ') / nullif(grid.k * grid.entities_evaluated, 0)', 6
            ) }} as decimal(7, 6)
        ) as precision_at_k,
        cast(
            {{ round_decimal('grid.recall_sum / nullif(grid.entities_evaluated, 0)', 6) }} as decimal(7, 6)
        ) as recall_at_k,
        cast(
            {{ round_decimal(
                'cast(grid.entities_hit as ' ~ type_double() ~ ') / nullif(grid.entities_evaluated, 0)', 6
            ) }} as decimal(7, 6)
        ) as hit_rate_at_k,

        -- hit rate over each baseline's at the same K (same entities: a ratio of entities hit)
        cast(
            {{ round_decimal(
                'cast(grid.entities_hit as ' ~ type_double() ~ ') / nullif(popularity_k.entities_hit, 0)', 4
            ) }} as decimal(12, 4)
        ) as lift_vs_popularity,
        cast(
            {{ round_decimal(
                'cast(grid.entities_hit as ' ~ type_double() ~ ') / nullif(buy_again_k.entities_hit, 0)', 4
            ) }} as decimal(12, 4)
        ) as lift_vs_buy_again

    from grid
    cross join evaluation_cutoff
    cross join offered_count
    inner join grid as popularity_k
        on
            grid.k = popularity_k.k
            and popularity_k.offer_method = 'popularity'
    inner join grid as buy_again_k
        on
            grid.k = buy_again_k.k
            and buy_again_k.offer_method = 'buy_again'

)

select * from final
