-- Behaviour per golden contact, event type and day as of every cut-off: one row per cut-off, contact, event type and
-- day, the rows and columns int_contact__event_days has in a build as of that cut-off (same macro,
-- contact_event_days_ctes). Events and campaign memberships (when var enable_campaigns is on) are the versions current
-- at the cut-off (macro pit_versions, the keys and version order of their staging models: an event dated or loaded
-- after the cut-off, a response after it, do not exist then) and follow the contact map of the cut-off
-- (int_predict__identity; a row whose contact is unknown then is an orphan, left out as int_events does).
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

staged_events as (

    select * from {{ ref('stg_marketing__events') }}

),

{% if var('enable_campaigns', true) %}
    staged_members as (

        select * from {{ ref('stg_marketing__campaign_members') }}

    ),
{% endif %}

identity as (

    select * from {{ ref('int_predict__identity') }}

),

event_scoring as (

    select * from {{ ref('event_scoring') }}

),

event_versions as (

    {{ pit_versions(
        'staged_events', ['event_id'], 'loaded_at desc, occurred_at, contact_id, event_type', dated_by='occurred_at'
    ) }}

),

events as (

    select
        cutoffs.cutoff_date,
        identity.master_contact_id as contact_id,
        event_versions.event_type,
        cast(event_versions.occurred_at as date) as occurred_on,
        event_versions.occurred_at
    from cutoffs
    inner join event_versions
        on {{ pit_is_current('event_versions', 'cutoffs') }}
    inner join identity
        on
            cutoffs.cutoff_date = identity.cutoff_date
            and event_versions.contact_id = identity.contact_id

),

{% if var('enable_campaigns', true) %}
    member_versions as (

        {{ pit_versions(
            'staged_members', ['campaign_id', 'contact_id'], 'loaded_at desc, sent_at desc nulls last, responded_at',
            dated_by='sent_at'
        ) }}

    ),

    campaign_members as (

        select
            cutoffs.cutoff_date,
            identity.master_contact_id as contact_id,
            member_versions.responded_at
        from cutoffs
        inner join member_versions
            on {{ pit_is_current('member_versions', 'cutoffs') }}
        inner join identity
            on
                cutoffs.cutoff_date = identity.cutoff_date
                and member_versions.contact_id = identity.contact_id

    ),
{% endif %}

{{ contact_event_days_ctes(
    'events', 'campaign_members' if var('enable_campaigns', true) else none, 'event_scoring',
    keys=['cutoff_date'], as_of='cutoff_date'
) }}

select * from final
