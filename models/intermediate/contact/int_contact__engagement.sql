-- Behavioural engagement per golden contact as of the as-of date: one row per golden contact (int_contacts), zero
-- when the contact has no event. Each day's counted events of a type are worth points x 0.5 ^ (age in days /
-- half-life) (seed event_scoring; age 0 on the as-of date), days older than the type's window count nothing, and the
-- decayed points of a type are capped at +/- cap_points. Contacts whose last positive event is inactivity_days old or
-- more get the inactivity penalty (seed engagement_settings). The score 0-100 is absolute:
-- 100 x (1 - 0.5 ^ (engagement_points / scale_points)), 0 for points <= 0, so it does not move when other contacts
-- change; the level comes from engagement_levels.
-- Day rows are rounded to 6 decimals before they are summed and types to 2, so sums are exact decimals and DuckDB
-- and PostgreSQL give the same figures. The formulas are the macro contact_engagement_ctes, shared with the training
-- examples (int_predict__contact_engagement).
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

event_days as (

    select * from {{ ref('int_contact__event_days') }}

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

{{ contact_engagement_ctes('contacts', 'event_days', 'event_scoring', 'engagement_levels', 'engagement_settings') }}

select * from final
