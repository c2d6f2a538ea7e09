-- Behavioural engagement of every golden contact as of every cut-off: one row per cut-off and golden contact, the rows
-- and columns int_contact__engagement has in a build as of that cut-off (same macro, contact_engagement_ctes, with the
-- cut-off as the as-of date the points decay from), read from the event days of the cut-off
-- (int_predict__contact_event_days); the golden contacts of a cut-off are the masters of its contact map
-- (int_predict__identity: past cut-offs hold the training sample). The scoring cut-off (the as-of date) is
-- int_contact__engagement itself, which a build as of that date computes.
{%- set engagement_columns = [
    'contact_id', 'decayed_points', 'positive_points', 'negative_points', 'web_points', 'email_points',
    'event_points', 'campaign_points', 'inactivity_points', 'engagement_points', 'last_positive_event_at',
    'days_since_last_positive', 'high_intent_events', 'engagement_score', 'engagement_level', 'engagement_label',
    'top_signal_type', 'top_signal'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

contacts as (

    select distinct
        contact_map.cutoff_date,
        contact_map.master_contact_id as contact_id
    from {{ ref('int_predict__identity') }} as contact_map
    inner join cutoffs
        on contact_map.cutoff_date = cutoffs.cutoff_date
    where not cutoffs.is_scoring_row

),

as_of_engagement as (

    select * from {{ ref('int_contact__engagement') }}

),

event_days as (

    select event_days.*
    from {{ ref('int_predict__contact_event_days') }} as event_days
    inner join cutoffs
        on event_days.cutoff_date = cutoffs.cutoff_date
    where
        not cutoffs.is_scoring_row
        -- the same rows, said so the planner drops the scoring cut-off's branch of the view unread
        and event_days.cutoff_date < {{ as_of_date() }}

),

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

engagement_levels as (

    select * from {{ ref('engagement_levels') }}

),

engagement_settings as (

    select * from {{ ref('engagement_settings') }}

),

{{ contact_engagement_ctes(
    'contacts', 'event_days', 'event_scoring', 'engagement_levels', 'engagement_settings',
    keys=['cutoff_date'], as_of='cutoff_date'
) }},

-- the past cut-offs (final, from the macro) and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ engagement_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ engagement_columns | join(',\n        ') }}
    from as_of_engagement

)

select * from with_scoring_cutoff
