-- Offer scores as of the as-of date: one row per offer profile, contact and candidate offer (the scoring rows of
-- int_offer__scores), with each criterion's points (they add up to offer_score), the reason and the sources.
{%- set names = offer_criteria() %}
{%- set is_category_grain = var('offer_grain', 'product') == 'category' %}

with

scores as (

    select * from {{ ref('int_offer__scores') }}
    where is_scoring_row

),

final as (

    select
        cutoff_date as as_of_date,
        profile,
        contact_id,
        {%- if is_category_grain %}
        cast(null as {{ dbt.type_string() }}) as product_id,
        {%- else %}
            product_id,
        {%- endif %}
        category,
        offer_score,
        offer_rank,
        tier,
        recommended_action,
        {%- for c in names['number'] + names['text'] %}
            {{ c }}_points,
        {%- endfor %}
        reason,
        sources,
        is_top_offer,
        top_offer_rank
    from scores

)

select * from final
