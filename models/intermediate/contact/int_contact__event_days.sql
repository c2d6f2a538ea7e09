-- Behaviour per golden contact, event type and day as of the as-of date: one row per contact, event type and day
-- with at least one event. Web, email and event activity come from int_events; campaign responses
-- (int_campaign_members.responded_at, when var enable_campaigns is on) are the type 'campaign_response'. The daily
-- cap of each type (event_scoring.cap_per_day) is applied here, so a bot or a noisy contact counts at most that many
-- events a day. Days do not depend on the as-of date beyond what is visible, which makes them the unit of an
-- incremental refresh. The formulas are the macro contact_event_days_ctes, shared with the training examples
-- (int_predict__contact_engagement).
with

events as (

    select * from {{ ref('int_events') }}

),

{% if var('enable_campaigns', true) %}
    campaign_members as (

        select * from {{ ref('int_campaign_members') }}

    ),
{% endif %}

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

{{ contact_event_days_ctes(
    'events', 'campaign_members' if var('enable_campaigns', true) else none, 'event_scoring'
) }}

select * from final
