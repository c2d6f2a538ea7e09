-- Co-purchase statistics per cut-off: one row per ordered pair of items (antecedent, consequent) held together by
-- at least var offer_min_pair_baskets baskets. A basket (var offer_basket) is everything one contact bought
-- ('customer', default) or one order ('order'), counting the completed order lines of the var offer_co_purchase_days
-- before the cut-off (days_before_cutoff < N) whose item is known. Set-based, one pass: the distinct (basket, item)
-- pairs are computed once; the pairs come from their self-join on the basket (antecedent <> item), the item and
-- basket counts from the same rows. support = pair / total baskets, confidence = pair / antecedent baskets, lift =
-- confidence / (item baskets / total baskets), each rounded to 6 places.
-- Size: the self-join yields sum over baskets of n * (n - 1) rows for n distinct items in a basket, before the
-- minimum-support filter: on the 300-contact demo about 17,000 rows per cut-off (customer baskets); at 1M contacts /
-- 10M orders about 100M (customer baskets of about a dozen products in two years), about 10M with order baskets.
{%- set basket = var('offer_basket', 'customer') %}
{%- if basket not in ['customer', 'order'] %}
    {{ exceptions.raise_compiler_error("var offer_basket is '" ~ basket ~ "': allowed values are customer, order") }}
{%- endif %}
{%- set lookback_days = offer_int_var('offer_co_purchase_days', 730) %}
{%- set min_pair_baskets = offer_int_var('offer_min_pair_baskets', 5) %}

with

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

basket_items as (

    select distinct
        cutoff_date,
        {{ 'contact_id' if basket == 'customer' else 'order_id' }} as basket_id,
        item_id
    from purchases
    where days_before_cutoff < {{ lookback_days }} and item_id is not null

),

item_counts as (

    select
        cutoff_date,
        item_id,
        count(*) as item_baskets
    from basket_items
    group by cutoff_date, item_id

),

basket_totals as (

    select
        cutoff_date,
        count(distinct basket_id) as total_baskets
    from basket_items
    group by cutoff_date

),

pairs as (

    select
        antecedent.cutoff_date,
        antecedent.item_id as antecedent_item_id,
        consequent.item_id,
        count(*) as pair_baskets
    from basket_items as antecedent
    inner join basket_items as consequent
        on
            antecedent.cutoff_date = consequent.cutoff_date
            and antecedent.basket_id = consequent.basket_id
            and antecedent.item_id <> consequent.item_id
    group by antecedent.cutoff_date, antecedent.item_id, consequent.item_id
    having count(*) >= {{ min_pair_baskets }}

),

final as (

    select
        -- ids
        pairs.cutoff_date,
        pairs.antecedent_item_id,
        pairs.item_id,

        -- counts
        pairs.pair_baskets,
        antecedents.item_baskets as antecedent_baskets,
        consequents.item_baskets,
        basket_totals.total_baskets,

        -- statistics
        {{ round_decimal('cast(pairs.pair_baskets as decimal(38, 10)) / basket_totals.total_baskets', 6) }}
            as support,
        {{ round_decimal('cast(pairs.pair_baskets as decimal(38, 10)) / antecedents.item_baskets', 6) }}
            as confidence,
        {{ round_decimal(
            'cast(pairs.pair_baskets as decimal(38, 10)) * basket_totals.total_baskets'
            ~ ' / (cast(antecedents.item_baskets as decimal(38, 10)) * consequents.item_baskets)', 6
        ) }} as lift

    from pairs
    inner join item_counts as antecedents
        on
            pairs.cutoff_date = antecedents.cutoff_date
            and pairs.antecedent_item_id = antecedents.item_id
    inner join item_counts as consequents
        on
            pairs.cutoff_date = consequents.cutoff_date
            and pairs.item_id = consequents.item_id
    inner join basket_totals
        on pairs.cutoff_date = basket_totals.cutoff_date

)

select * from final
