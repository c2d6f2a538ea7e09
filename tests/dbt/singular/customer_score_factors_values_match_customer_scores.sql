-- The raw value of a criterion factor (customer_score_factors.value_number) is the value published in
-- customer_scores, exactly: the long criteria table must not lose precision on the way (e.g. a 4-byte float turning
-- 4716.57 into 4716.569824). Checks the numeric criteria customer_scores publishes; returns each mismatch.
{%- set criteria = ['recency_days', 'frequency_orders', 'monetary_net', 'r_score', 'f_score', 'm_score',
    'orders_per_year', 'avg_basket', 'gap_cv', 'spend_trend', 'tenure_days', 'category_breadth',
    'refund_cancel_rate', 'overdue_ratio', 'discount_dependency', 'latest_nps', 'csat_weighted',
    'review_rating_weighted', 'age_band_fit', 'location_fit'] %}

with

factors as (

    select * from {{ ref('customer_score_factors') }}
    where factor_kind = 'criterion'

),

customers as (

    select * from {{ ref('customer_scores') }}

),

published as (

    {% for c in criteria %}
        select
            contact_id,
            '{{ c }}' as criterion,
            cast({{ c }} as {{ type_double() }}) as published_value
        from customers
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        factors.contact_id,
        factors.profile,
        factors.factor,
        factors.value_number,
        published.published_value
    from factors
    inner join published
        on
            factors.contact_id = published.contact_id
            and factors.factor = published.criterion
    where
        not coalesce(factors.value_number = published.published_value, false)
        and not (factors.value_number is null and published.published_value is null)

)

select * from final
