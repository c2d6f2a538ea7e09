-- The last positive engagement of every golden contact as of every cut-off: one row per cut-off and contact with an
-- event of a positive-points type (seed event_scoring) on or before it, the day int_contact__engagement reads its
-- days_since_last_positive from in a build as of that cut-off. Events and campaign responses (when var
-- enable_campaigns is on) are the versions current at the cut-off (macro pit_versions, the keys and version order of
-- their staging models; a response after the cut-off had not happened yet) and follow its contact map
-- (int_predict__identity).
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

{% if var('enable_campaigns', true) %}
    member_versions as (

        {{ pit_versions(
            'staged_members', ['campaign_id', 'contact_id'], 'loaded_at desc, sent_at desc nulls last, responded_at',
            dated_by='sent_at'
        ) }}

    ),
{% endif %}

activity as (

    select
        cutoffs.cutoff_date,
        event_versions.contact_id,
        event_versions.event_type,
        cast(event_versions.occurred_at as date) as event_on
    from cutoffs
    inner join event_versions
        on {{ pit_is_current('event_versions', 'cutoffs') }}
    {% if var('enable_campaigns', true) %}
        union all
        select
            cutoffs.cutoff_date,
            member_versions.contact_id,
            'campaign_response' as event_type,
            cast(member_versions.responded_at as date) as event_on
        from cutoffs
        inner join member_versions
            on {{ pit_is_current('member_versions', 'cutoffs') }}
        where cast(member_versions.responded_at as date) <= cutoffs.cutoff_date
    {% endif %}

),

final as (

    select
        activity.cutoff_date,
        identity.master_contact_id as contact_id,
        max(activity.event_on) as last_positive_on
    from activity
    inner join identity
        on
            activity.cutoff_date = identity.cutoff_date
            and activity.contact_id = identity.contact_id
    inner join event_scoring
        on activity.event_type = event_scoring.event_type
    where event_scoring.points > 0
    group by activity.cutoff_date, identity.master_contact_id

)

select * from final
