-- depends_on: {{ ref('int_activation__config_errors') }}
-- Why a golden contact may not be reached on a channel, as of the as-of date: one row per contact, channel and
-- reason (a contact may have several; an audience row takes the first in the order of macro activation_reasons).
-- - do_not_contact: an entry of crm.do_not_contact names one of the person's records, the person's valid e-mail or
--   phone (every channel, the CRM sync included: a call list may come from it);
-- - unsubscribed (email): an 'unsubscribe' event, unless an e-mail consent record granted after the latest one
--   re-subscribed the person;
-- - hard_bounce (email): a 'bounce' event (the events carry no bounce type: every bounce is taken as hard);
-- - no_consent: the channel's consent (int_activation__consents) is not granted;
-- - missing_address: no valid e-mail (email, ads) or no phone (phone).
{%- set string = dbt.type_string() %}
{%- set channels = activation_channels() %}
{%- set channel_list = "('" ~ (channels | join("', '")) ~ "')" %}
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

consents as (

    select * from {{ ref('int_activation__consents') }}

),

consent_channels as (

    select * from {{ ref('consent_channels') }}

),

events as (

    select * from {{ ref('int_events') }}
    where event_type in ('unsubscribe', 'bounce')

),

do_not_contact as (

    {%- if var('enable_do_not_contact', true) %}
        select * from {{ ref('stg_crm__do_not_contact') }}
        where dq_status = 'current'
    {%- else %}
        select
            cast(null as {{ string }}) as contact_id,
            cast(null as {{ string }}) as email,
            cast(null as {{ string }}) as phone
        where 1 = 0
    {%- endif %}

),

audience_channels as (

    {%- for c in channels %}
        select '{{ c }}' as channel
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

-- golden contacts named by an entry: by any of their records' ids, their e-mail or their phone
do_not_contact_matches as (

    select identity.master_contact_id as contact_id
    from do_not_contact
    inner join identity
        on do_not_contact.contact_id = identity.contact_id
    union
    select contacts.contact_id
    from do_not_contact
    inner join contacts
        on do_not_contact.email = contacts.email
    union
    select contacts.contact_id
    from do_not_contact
    inner join contacts
        on do_not_contact.phone = contacts.phone

),

-- the latest e-mail consent grant (on the consent channel that the email channel reads)
email_grants as (

    {%- if var('enable_consents', true) %}
        select
            consents_records.contact_id,
            max(consents_records.recorded_at) as last_granted_at
        from {{ ref('int_consents') }} as consents_records
        inner join consent_channels
            on consents_records.channel = consent_channels.consent_channel
        where consent_channels.channel = 'email' and consents_records.is_granted
        group by consents_records.contact_id
    {%- else %}
        select
            cast(null as {{ string }}) as contact_id,
            cast(null as {{ dbt.type_timestamp() }}) as last_granted_at
        where 1 = 0
    {%- endif %}

),

email_events as (

    select
        contact_id,
        max(case when event_type = 'unsubscribe' then occurred_at end) as last_unsubscribed_at,
        max(case when event_type = 'bounce' then occurred_at end) as last_bounced_at
    from events
    group by contact_id

),

reasons as (

    select
        do_not_contact_matches.contact_id,
        audience_channels.channel,
        'do_not_contact' as reason
    from do_not_contact_matches
    cross join audience_channels
    union all
    select
        email_events.contact_id,
        'email' as channel,
        'unsubscribed' as reason
    from email_events
    left join email_grants
        on email_events.contact_id = email_grants.contact_id
    where
        email_events.last_unsubscribed_at is not null
        and (
            email_grants.last_granted_at is null
            or email_grants.last_granted_at <= email_events.last_unsubscribed_at
        )
    union all
    select
        contact_id,
        'email' as channel,
        'hard_bounce' as reason
    from email_events
    where last_bounced_at is not null
    union all
    select
        contact_id,
        channel,
        'no_consent' as reason
    from consents
    where channel in {{ channel_list }} and not is_granted
    union all
    select
        contacts.contact_id,
        audience_channels.channel,
        'missing_address' as reason
    from contacts
    inner join audience_channels
        on
            (audience_channels.channel in ('email', 'ads') and contacts.email is null)
            or (audience_channels.channel = 'phone' and contacts.phone is null)

),

final as (

    select
        -- keys
        cast(reasons.contact_id as {{ string }}) as contact_id,
        cast(reasons.channel as {{ string }}) as channel,
        cast(reasons.reason as {{ string }}) as reason,

        -- order: an audience row takes the reason of the lowest rank
        {{ activation_reason_rank('reasons.reason') }} as reason_rank

    from reasons
    -- a contact of the events or the list that is no golden contact as of the as-of date reaches no audience
    inner join contacts
        on reasons.contact_id = contacts.contact_id

)

select * from final
