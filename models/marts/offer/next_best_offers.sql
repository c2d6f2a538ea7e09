-- Next best offers as of the as-of date: the var offer_top_k best offers of each contact by the profile var
-- offer_profile, after the diversity rule (at most var offer_max_per_category per category), with their reasons.
{%- set is_category_grain = var('offer_grain', 'product') == 'category' %}

with

scores as (

    select * from {{ ref('int_offer__scores') }}
    where
        is_scoring_row
        and is_top_offer
        and profile = '{{ var("offer_profile", "offer") }}'

),

final as (

    select
        contact_id,
        top_offer_rank as offer_rank,
        {%- if is_category_grain %}
        cast(null as {{ dbt.type_string() }}) as product_id,
        {%- else %}
            product_id,
        {%- endif %}
        category,
        offer_score,
        reason,
        profile
    from scores

)

select * from final
