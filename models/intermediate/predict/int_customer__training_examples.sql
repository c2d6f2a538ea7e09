-- Point-in-time training examples of the customer predictions: one row per cut-off (int_predict__cutoffs) and
-- customer of that cut-off. Every feature is what a build as of the cut-off computes (the same macros as the
-- production models, fed with the facts as they were then: int_predict__*), and the labels come from the window after
-- it (int_predict__labels; null on the scoring cut-off, the as-of date). Past cut-offs hold the training sample only
-- (macro in_training_sample, applied to the contact map int_predict__identity before any fact is joined to
-- the spine): the golden contacts whose md5 is at most that of the N-th customer of the as-of date in md5 order
-- (N = var prediction_max_training_customers), the same rule at every cut-off; the scoring cut-off keeps everyone.
-- The RFM scores are quintiles among the customers of each cut-off present here: all of them at the scoring
-- cut-off, the sampled ones at a past cut-off (all of them while there are N customers or fewer).
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

facts as (

    select * from {{ ref('int_predict__order_facts') }}

),

timing as (

    select * from {{ ref('int_predict__purchase_timing') }}

),

{% if var('enable_surveys', true) %}
    satisfaction as (

        select * from {{ ref('int_predict__satisfaction') }}

    ),
{% endif %}

engagement as (

    select * from {{ ref('int_predict__engagement') }}

),

labels as (

    select * from {{ ref('int_predict__labels') }}

),

-- RFM quintiles among the customers of each cut-off (int_customer__rfm's scores, per cut-off)
scored as (

    select
        facts.*,
        {{ quintile_score('recency_days', false, 'contact_id', 0, partition_by=['cutoff_date']) }} as r_score,
        {{ quintile_score('frequency_orders', true, 'contact_id', 0, partition_by=['cutoff_date']) }} as f_score,
        {{ quintile_score('monetary_net', true, 'contact_id', 2, partition_by=['cutoff_date']) }} as m_score
    from facts

),

final as (

    select
        -- ids
        scored.cutoff_date,
        scored.contact_id,
        cutoffs.is_scoring_row,
        cutoffs.is_labelled,

        -- RFM
        scored.recency_days,
        scored.frequency_orders,
        scored.monetary_net,
        scored.r_score,
        scored.f_score,
        scored.m_score,

        -- value criteria
        scored.orders_per_year,
        scored.avg_basket,
        scored.mean_gap_days,
        scored.gap_cv,
        scored.spend_trend,
        scored.tenure_days,
        scored.category_breadth,

        -- risk signals
        scored.refund_cancel_rate,
        scored.overdue_ratio,
        scored.discount_dependency,
        scored.completed_orders_total,

        -- satisfaction (null when surveys are switched off) and engagement
        {%- if var('enable_surveys', true) %}
            satisfaction.latest_nps,
            satisfaction.csat_weighted,
            satisfaction.review_rating_weighted,
        {%- else %}
            cast(null as {{ dbt.type_int() }}) as latest_nps,
            cast(null as decimal(18, 4)) as csat_weighted,
            cast(null as decimal(18, 4)) as review_rating_weighted,
        {%- endif %}
        cast(
            {{ dbt.datediff('engagement.last_positive_on', 'scored.cutoff_date', 'day') | trim }}
            as {{ dbt.type_int() }}
        ) as days_since_last_engagement,

        -- purchase timing
        timing.orders_30d,
        timing.orders_90d,
        timing.orders_365d,
        timing.last_gap_days,
        cast(
            {{ round_decimal('timing.last_gap_days / nullif(scored.mean_gap_days, 0)', 4) }} as decimal(18, 4)
        ) as gap_trend,

        -- BG/NBD summary
        timing.btyd_x,
        timing.btyd_t_x,
        timing.btyd_t,
        timing.btyd_mean_spend,

        -- labels
        labels.label_purchase,
        labels.label_orders,
        labels.label_revenue,
        labels.label_churn

    from scored
    inner join cutoffs
        on scored.cutoff_date = cutoffs.cutoff_date
    inner join timing
        on
            scored.cutoff_date = timing.cutoff_date
            and scored.contact_id = timing.contact_id
    {%- if var('enable_surveys', true) %}
        left join satisfaction
            on
                scored.cutoff_date = satisfaction.cutoff_date
                and scored.contact_id = satisfaction.contact_id
    {%- endif %}
    left join engagement
        on
            scored.cutoff_date = engagement.cutoff_date
            and scored.contact_id = engagement.contact_id
    left join labels
        on
            scored.cutoff_date = labels.cutoff_date
            and scored.contact_id = labels.contact_id

)

select * from final
