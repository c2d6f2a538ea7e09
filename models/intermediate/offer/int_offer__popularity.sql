-- Popularity per cut-off and segment: one row per cut-off, segment_key and item bought in the var
-- offer_co_purchase_days before the cut-off (days_before_cutoff < N). segment_key is the buyer's industry when the
-- entity has one, else its segment ('b2b' / 'b2c'); segment_key 'all' counts everyone. buyers: contacts of the
-- segment who bought the item; segment_buyers: contacts of the segment who bought anything; buyer_share = buyers /
-- segment_buyers (0-1, 6 places). popularity_rank: 1 = most buyers in the segment, ties by item_id.
{%- set lookback_days = offer_int_var('offer_co_purchase_days', 730) %}

with

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

entities as (

    select * from {{ ref('int_offer__entities') }}

),

buyer_items as (

    select distinct
        purchases.cutoff_date,
        purchases.contact_id,
        purchases.item_id,
        coalesce(entities.industry, entities.segment) as segment_key
    from purchases
    inner join entities
        on
            purchases.cutoff_date = entities.cutoff_date
            and purchases.contact_id = entities.contact_id
    where purchases.days_before_cutoff < {{ lookback_days }} and purchases.item_id is not null

),

segmented as (

    select
        cutoff_date,
        contact_id,
        item_id,
        segment_key
    from buyer_items

    union all

    select
        cutoff_date,
        contact_id,
        item_id,
        'all' as segment_key
    from buyer_items

),

item_buyers as (

    select
        cutoff_date,
        segment_key,
        item_id,
        count(*) as buyers
    from segmented
    group by cutoff_date, segment_key, item_id

),

segment_sizes as (

    select
        cutoff_date,
        segment_key,
        count(distinct contact_id) as segment_buyers
    from segmented
    group by cutoff_date, segment_key

),

final as (

    select
        -- ids
        item_buyers.cutoff_date,
        item_buyers.segment_key,
        item_buyers.item_id,

        -- popularity
        item_buyers.buyers,
        segment_sizes.segment_buyers,
        {{ offer_decimal6('cast(item_buyers.buyers as decimal(38, 10)) / segment_sizes.segment_buyers') }}
            as buyer_share,
        row_number() over (
            partition by item_buyers.cutoff_date, item_buyers.segment_key
            order by item_buyers.buyers desc, item_buyers.item_id asc
        ) as popularity_rank

    from item_buyers
    inner join segment_sizes
        on
            item_buyers.cutoff_date = segment_sizes.cutoff_date
            and item_buyers.segment_key = segment_sizes.segment_key

)

select * from final
