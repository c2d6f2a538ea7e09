-- The co-purchase evidence of each candidate: one row per cut-off, entity and candidate item that an item the entity
-- owns is associated with (int_offer__co_purchase), the owned item with the best lift (ties: higher confidence, then
-- antecedent_item_id). Its own model: the candidates x owned items join is the largest of the offer features (13.6M
-- candidates by 11M owned items at 1M contacts), and int_offer__features reads its result as one table.

with

candidates as (

    select * from {{ ref('int_offer__candidates') }}

),

owned as (

    select * from {{ ref('int_offer__owned') }}

),

co_purchase as (

    select * from {{ ref('int_offer__co_purchase') }}

),

links as (

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

final as (

    select
        cutoff_date,
        contact_id,
        item_id,
        antecedent_item_id,
        lift,
        confidence
    from links
    where link_rank = 1

)

select * from final
