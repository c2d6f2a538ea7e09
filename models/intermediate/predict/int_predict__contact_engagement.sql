-- Behavioural engagement of every golden contact as of every cut-off: one row per cut-off and golden contact, the rows
-- and columns int_contact__engagement has in a build as of that cut-off (same macro, contact_engagement_ctes, with the
-- cut-off as the as-of date the points decay from), read from the event days of the cut-off
-- (int_predict__contact_event_days); the golden contacts of a cut-off are the masters of its contact map
-- (int_predict__identity).
with

contacts as (

    select distinct
        cutoff_date,
        master_contact_id as contact_id
    from {{ ref('int_predict__identity') }}

),

event_days as (

    select * from {{ ref('int_predict__contact_event_days') }}

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
) }}

select * from final
