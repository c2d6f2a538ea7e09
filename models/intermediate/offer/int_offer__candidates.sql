-- Candidate offers: per cut-off and entity (customer or lead), the items worth scoring, from bounded sources only
-- (never entities x items): the best co-purchase consequents of each item the entity owns, the most popular items of
-- the categories it bought or viewed, the most popular items of its segment key, items whose targeting names its
-- industry or size band (a bare b2b / b2c target names half the catalogue: it is scored by offer_segment_fit, it does
-- not nominate), items it viewed, and owned items due again (repurchase_days passed since the last purchase). Owned
-- items are never candidates otherwise (product grain; at category grain a category bought in stays a candidate).
-- The best var offer_candidates_per_entity are kept by a cheap pre-rank: the sum of the offer profile's weights of
-- the criteria the item's sources stand for (co_purchase -> offer_co_purchase_lift, category ->
-- offer_category_affinity, viewed -> offer_interest, repurchase -> offer_repurchase_due, popular -> offer_popularity,
-- targeted -> offer_segment_fit), then the item's buyer share in the entity's segment key, then item_id.
{%- set per_category = offer_int_var('offer_candidate_items_per_category', 3) %}
{%- set popular_n = offer_int_var('offer_candidate_popular_items', 5) %}
{%- set co_purchase_n = offer_int_var('offer_candidate_co_purchase_items', 5) %}
{%- set per_entity = offer_int_var('offer_candidates_per_entity', 10) %}
{%- set profile = var('offer_profile', 'offer') %}
{%- set is_category_grain = var('offer_grain', 'product') == 'category' %}
{%- set source_criteria = [
    ('co_purchase', 'offer_co_purchase_lift'), ('category', 'offer_category_affinity'), ('viewed', 'offer_interest'),
    ('repurchase', 'offer_repurchase_due'), ('popular', 'offer_popularity'), ('targeted', 'offer_segment_fit'),
] %}

with

entities as {{ inline_cte() }} (

    select * from {{ ref('int_offer__entities') }}

),

products as {{ inline_cte() }} (

    select * from {{ ref('int_offer__products') }}

),

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

-- what each entity owns, and whether it may be offered it again (the repurchase rule)
owned as {{ inline_cte() }} (

    select * from {{ ref('int_offer__owned') }}

),

views as {{ inline_cte() }} (

    select * from {{ ref('int_offer__views') }}

),

co_purchase as (

    select * from {{ ref('int_offer__co_purchase') }}

),

popularity as {{ inline_cte() }} (

    select * from {{ ref('int_offer__popularity') }}

),

weights as (

    select
        criterion,
        cast(weight as {{ type_double() }}) as weight
    from {{ ref('scoring_weights') }}
    where profile = '{{ profile }}'

),

-- the weight of each source's criterion, one column per source (weight_<source>; 0 when the profile does not weigh it)
source_weights as (

    {%- set weight_columns = [] %}
    {%- for source_name, criterion in source_criteria %}
        {%- do weight_columns.append(
            "coalesce(max(case when criterion = '" ~ criterion ~ "' then weight end), 0) as weight_" ~ source_name
        ) %}
    {%- endfor %}

    select {{ weight_columns | join(', ') }}
    from weights

),

-- what can be offered at each cut-off: one row per item (a product, or a category at category grain)
items as {{ inline_cte() }} (

    select
        cutoff_date,
        item_id,
        min(category) as category,
        min(repurchase_days) as repurchase_days
    from products
    group by cutoff_date, item_id

),

-- the segment key whose popularity speaks for the entity (macro offer_entity_segment_keys)
entity_keys as {{ inline_cte() }} (

    {{ offer_entity_segment_keys('entities', 'popularity') }}

),

-- the items of each category, most bought first (popularity among everyone)
category_items as (

    select
        items.cutoff_date,
        items.category,
        items.item_id,
        row_number() over (
            partition by items.cutoff_date, items.category
            order by
                case when popularity.popularity_rank is null then 1 else 0 end, popularity.popularity_rank,
                items.item_id
        ) as category_item_rank
    from items
    left join popularity
        on
            items.cutoff_date = popularity.cutoff_date
            and items.item_id = popularity.item_id
            and popularity.segment_key = 'all'
    where items.category is not null

),

touched_categories as (

    select distinct
        purchases.cutoff_date,
        purchases.contact_id,
        purchases.category
    from purchases
    where purchases.category is not null
    union
    select distinct
        views.cutoff_date,
        views.contact_id,
        items.category
    from views
    inner join items
        on
            views.cutoff_date = items.cutoff_date
            and views.item_id = items.item_id
    where items.category is not null

),

-- the best consequents of each item (by lift, then confidence, then item_id)
top_consequents as (

    select
        cutoff_date,
        antecedent_item_id,
        item_id
    from (
        select
            cutoff_date,
            antecedent_item_id,
            item_id,
            row_number() over (
                partition by cutoff_date, antecedent_item_id order by lift desc, confidence desc, item_id asc
            ) as consequent_rank
        from co_purchase
    ) as ranked_consequents
    where consequent_rank <= {{ co_purchase_n }}

),

-- each target of a product (target_industries and target_segments, up to 10 items each) as its own row; split_part
-- is native on DuckDB and PostgreSQL (dbt.split_part takes only a literal part number)
target_positions as (

    select positions.n from (values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) as positions (n)

),

target_lists as (

    select
        cutoff_date,
        item_id,
        'industry' as target_kind,
        replace(replace(replace(target_industries, ',', ';'), '; ', ';'), ' ;', ';') as target_list
    from products
    where target_industries is not null
    union all
    select
        cutoff_date,
        item_id,
        'segment' as target_kind,
        replace(replace(replace(target_segments, ',', ';'), '; ', ';'), ' ;', ';') as target_list
    from products
    where target_segments is not null

),

targets as (

    select distinct
        target_lists.cutoff_date,
        target_lists.item_id,
        target_lists.target_kind,
        trim(split_part(target_lists.target_list, ';', target_positions.n)) as target_value
    from target_lists
    cross join target_positions
    where trim(split_part(target_lists.target_list, ';', target_positions.n)) <> ''

),

sourced as (

    select
        owned.cutoff_date,
        owned.contact_id,
        co_purchase.item_id,
        'co_purchase' as source_name
    from owned
    inner join top_consequents as co_purchase
        on
            owned.cutoff_date = co_purchase.cutoff_date
            and owned.item_id = co_purchase.antecedent_item_id
    union all
    select
        touched_categories.cutoff_date,
        touched_categories.contact_id,
        category_items.item_id,
        'category' as source_name
    from touched_categories
    inner join category_items
        on
            touched_categories.cutoff_date = category_items.cutoff_date
            and touched_categories.category = category_items.category
            and category_items.category_item_rank <= {{ per_category }}
    union all
    select
        entity_keys.cutoff_date,
        entity_keys.contact_id,
        popularity.item_id,
        'popular' as source_name
    from entity_keys
    inner join popularity
        on
            entity_keys.cutoff_date = popularity.cutoff_date
            and entity_keys.segment_key = popularity.segment_key
            and popularity.popularity_rank <= {{ popular_n }}
    union all
    select
        entity_keys.cutoff_date,
        entity_keys.contact_id,
        targets.item_id,
        'targeted' as source_name
    from entity_keys
    inner join targets
        on
            entity_keys.cutoff_date = targets.cutoff_date
            and (
                (targets.target_kind = 'industry' and entity_keys.industry = targets.target_value)
                or (targets.target_kind = 'segment' and entity_keys.size_band = targets.target_value)
            )
    union all
    select
        views.cutoff_date,
        views.contact_id,
        views.item_id,
        'viewed' as source_name
    from views
    union all
    select
        owned.cutoff_date,
        owned.contact_id,
        owned.item_id,
        'repurchase' as source_name
    from owned
    where owned.is_offerable

),

-- one row per cut-off, entity and item, a flag per source that nominated it (plain aggregates: the list of sources
-- is written from the flags below, in alphabetical order, without an ordered string aggregate, which DuckDB cannot
-- spill: it ran out of memory over the 1M-contact demo's 75M nominations)
nominated as (

    {%- set flag_columns = [] %}
    {%- for source_name, criterion in source_criteria %}
        {%- do flag_columns.append(
            "max(case when source_name = '" ~ source_name ~ "' then 1 else 0 end) as from_" ~ source_name
        ) %}
    {%- endfor %}

    select
        cutoff_date,
        contact_id,
        item_id,
        {{ flag_columns | join(', ') }}
    from sourced
    group by cutoff_date, contact_id, item_id

),

-- known entities, items offered at the cut-off, owned items only when due again (at product grain: a category one
-- bought in is not owned, buying in it again is what affinity measures)
eligible as (

    select
        nominated.*,
        owned.days_since_purchase
    from nominated
    inner join entities
        on
            nominated.cutoff_date = entities.cutoff_date
            and nominated.contact_id = entities.contact_id
    inner join items
        on
            nominated.cutoff_date = items.cutoff_date
            and nominated.item_id = items.item_id
    left join owned
        on
            nominated.cutoff_date = owned.cutoff_date
            and nominated.contact_id = owned.contact_id
            and nominated.item_id = owned.item_id
    {%- if not is_category_grain %}
        where owned.item_id is null or owned.is_offerable
    {%- endif %}

),

{%- set source_names = [] %}
{%- set listed_sources = [] %}
{%- set weighted_sources = [] %}
{%- for source_name, criterion in source_criteria %}
    {%- do source_names.append('eligible.from_' ~ source_name) %}
    {%- do weighted_sources.append('eligible.from_' ~ source_name ~ ' * source_weights.weight_' ~ source_name) %}
{%- endfor %}
{%- for source_name in source_criteria | map(attribute=0) | sort %}
    {%- do listed_sources.append(
        "case when eligible.from_" ~ source_name ~ " = 1 then '" ~ source_name ~ "' end"
    ) %}
{%- endfor %}

grouped as (

    select
        eligible.cutoff_date,
        eligible.contact_id,
        eligible.item_id,
        eligible.days_since_purchase,
        concat_ws(',', {{ listed_sources | join(', ') }}) as sources,
        {{ source_names | join(' + ') }} as source_count,
        {{ weighted_sources | join(' + ') }} as pre_rank_points
    from eligible
    cross join source_weights

),

ranked as (

    select
        grouped.*,
        row_number() over (
            partition by grouped.cutoff_date, grouped.contact_id
            order by grouped.pre_rank_points desc, coalesce(popularity.buyer_share, 0) desc, grouped.item_id
        ) as candidate_rank
    from grouped
    inner join entity_keys
        on
            grouped.cutoff_date = entity_keys.cutoff_date
            and grouped.contact_id = entity_keys.contact_id
    left join popularity
        on
            grouped.cutoff_date = popularity.cutoff_date
            and entity_keys.segment_key = popularity.segment_key
            and grouped.item_id = popularity.item_id

),

final as (

    select
        cutoff_date,
        contact_id,
        item_id,
        sources,
        cast(source_count as {{ dbt.type_int() }}) as source_count,
        cast(pre_rank_points as decimal(18, 4)) as pre_rank_points,
        cast(candidate_rank as {{ dbt.type_int() }}) as candidate_rank,
        cast(days_since_purchase as {{ dbt.type_int() }}) as days_since_purchase
    from ranked
    where candidate_rank <= {{ per_entity }}

)

select * from final
