-- The last positive engagement of every golden contact as of every cut-off: one row per cut-off and contact with an
-- event of a positive-points type (seed event_scoring) on or before it, the day int_contact__engagement reads its
-- days_since_last_positive from in a build as of that cut-off. It is the day of the last positive event of the
-- engagement of that cut-off (int_predict__contact_engagement: events and campaign responses current at the cut-off,
-- following its contact map; past cut-offs hold the training sample, the scoring cut-off is int_contact__engagement).
with

contact_engagement as (

    select * from {{ ref('int_predict__contact_engagement') }}

),

final as (

    select
        cutoff_date,
        contact_id,
        cast(last_positive_event_at as date) as last_positive_on
    from contact_engagement
    where last_positive_event_at is not null

)

select * from final
