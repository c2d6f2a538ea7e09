-- RFM scores per customer as of the as-of date: one row per customer (golden contact with a completed order).
-- R, F and M are quintile scores 1-5 among all customers (macro quintile_score: values rounded to days, whole orders
-- and cents; under the default var rfm_tie_rule 'share' equal values get the score of the middle position of their
-- tie, so identical customers get one cell; 'split' orders ties by contact_id). The cell is their concatenation
-- ('545') and the segment comes from the rfm_segment_map seed, whose cells the configuration check holds to each
-- segment's score ranges (rfm_segments).
with

facts as (

    select * from {{ ref('int_customer__order_facts') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

scored as (

    select
        contact_id,
        recency_days,
        frequency_orders,
        monetary_net,
        {{ quintile_score('recency_days', false, 'contact_id', 0) }} as r_score,
        {{ quintile_score('frequency_orders', true, 'contact_id', 0) }} as f_score,
        {{ quintile_score('monetary_net', true, 'contact_id', 2) }} as m_score,
        count(*) over () as peer_count
    from facts

),

final as (

    select
        -- ids
        scored.contact_id,

        -- inputs
        scored.recency_days,
        scored.frequency_orders,
        scored.monetary_net,

        -- scores
        scored.r_score,
        scored.f_score,
        scored.m_score,
        cast(scored.r_score as {{ dbt.type_string() }})
        || cast(scored.f_score as {{ dbt.type_string() }})
        || cast(scored.m_score as {{ dbt.type_string() }}) as rfm_cell,
        segment_map.segment as rfm_segment,
        cast(scored.peer_count as {{ dbt.type_int() }}) as rfm_peer_count

    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score
            and scored.m_score = segment_map.m_score

)

select * from final
