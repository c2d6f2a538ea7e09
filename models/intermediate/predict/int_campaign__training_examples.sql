{{ config(enabled=var('enable_campaigns', true)) }}
-- Point-in-time training examples of campaign response: on every labelled cut-off (int_predict__cutoffs), one row per
-- golden contact of that cut-off (lead or customer, int_predict__lifecycle) that was sent a campaign in the window
-- (cutoff_date, cutoff_date + H] (var prediction_horizon_days), as the as-of build knows the sends
-- (int_campaign_members, followed to the contact's golden contact of the as-of date through int_contacts__identity);
-- on the scoring cut-off (the as-of date), one row per golden contact, every one of them could be sent the next
-- campaign. Features are what a build as of the cut-off knows: the engagement of int_contact__engagement
-- (int_predict__contact_engagement), whether the contact is a customer and, for customers, recency and frequency
-- (int_predict__order_facts), and the campaign history before the cut-off (the campaign memberships current then, macro
-- pit_versions: sends, responses, days since the last response). label_response = 1 when the first send of the window
-- was answered within var campaign_response_days days (days between the send date and the response date); null when
-- that send's response window ends after the as-of date (the answer may still come) and on the scoring cut-off. Past
-- cut-offs hold the contacts of the training sample only (macro in_training_sample, one rule for customers,
-- leads and campaign contacts, applied to the contact map int_predict__identity before any fact is joined to the
-- spine); the scoring cut-off keeps every contact.
{%- set response_days = var('campaign_response_days', 14) | int %}
{%- if response_days < 0 %}
    {{ exceptions.raise_compiler_error("var campaign_response_days must be at least 0, got " ~ response_days) }}
{%- endif %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

lifecycle as (

    select * from {{ ref('int_predict__lifecycle') }}

),

order_facts as (

    select * from {{ ref('int_predict__order_facts') }}

),

engagement as (

    select * from {{ ref('int_predict__contact_engagement') }}

),

identity_then as (

    select * from {{ ref('int_predict__identity') }}

),

staged_members as (

    select * from {{ ref('stg_marketing__campaign_members') }}

),

identity_now as (

    select * from {{ ref('int_contacts__identity') }}

),

members_now as (

    select * from {{ ref('int_campaign_members') }}

),

-- campaign history known at each cut-off: the memberships current then, on the contact map of the cut-off
member_versions as (

    {{ pit_versions(
        'staged_members', ['campaign_id', 'contact_id'], 'loaded_at desc, sent_at desc nulls last, responded_at',
        dated_by='sent_at'
    ) }}

),

history as (

    select
        cutoffs.cutoff_date,
        identity_then.master_contact_id as contact_id,
        count(*) as campaign_sends,
        sum(
            case when cast(member_versions.responded_at as date) <= cutoffs.cutoff_date then 1 else 0 end
        ) as campaign_responses,
        max(
            case
                when cast(member_versions.responded_at as date) <= cutoffs.cutoff_date
                    then cast(member_versions.responded_at as date)
            end
        ) as last_response_on
    from cutoffs
    inner join member_versions
        on {{ pit_is_current('member_versions', 'cutoffs') }}
    inner join identity_then
        on
            cutoffs.cutoff_date = identity_then.cutoff_date
            and member_versions.contact_id = identity_then.contact_id
    group by cutoffs.cutoff_date, identity_then.master_contact_id

),

-- the sends of each labelled cut-off's window, as known on the as-of date, to the contacts of the cut-off
followed as (

    select
        lifecycle.cutoff_date,
        lifecycle.contact_id,
        cutoffs.label_window_end,
        coalesce(identity_now.master_contact_id, lifecycle.contact_id) as as_of_contact_id
    from lifecycle
    inner join cutoffs
        on lifecycle.cutoff_date = cutoffs.cutoff_date
    left join identity_now
        on lifecycle.contact_id = identity_now.contact_id
    where cutoffs.is_labelled

),

window_sends as (

    select
        followed.cutoff_date,
        followed.contact_id,
        members_now.campaign_id,
        cast(members_now.sent_at as date) as sent_on,
        cast(members_now.responded_at as date) as responded_on,
        row_number() over (
            partition by followed.cutoff_date, followed.contact_id
            order by members_now.sent_at asc, members_now.campaign_id asc, members_now.responded_at asc nulls last
        ) as send_rank
    from followed
    inner join members_now
        on
            followed.as_of_contact_id = members_now.contact_id
            and followed.cutoff_date < cast(members_now.sent_at as date)
            and followed.label_window_end >= cast(members_now.sent_at as date)

),

first_sends as (

    select
        cutoff_date,
        contact_id,
        campaign_id,
        sent_on,
        responded_on,
        {{ dbt.datediff('sent_on', as_of_date(), 'day') | trim }} >= {{ response_days }} as is_response_window_over
    from window_sends
    where send_rank = 1

),

examples as (

    select
        lifecycle.*,
        cutoffs.is_scoring_row,
        first_sends.campaign_id as next_campaign_id,
        first_sends.sent_on as next_sent_on,
        first_sends.responded_on as next_responded_on,
        coalesce(first_sends.is_response_window_over, false) as is_labelled
    from lifecycle
    inner join cutoffs
        on lifecycle.cutoff_date = cutoffs.cutoff_date
    left join first_sends
        on
            lifecycle.cutoff_date = first_sends.cutoff_date
            and lifecycle.contact_id = first_sends.contact_id
    where cutoffs.is_scoring_row or first_sends.contact_id is not null

),

final as (

    select
        -- ids
        examples.cutoff_date,
        examples.contact_id,
        examples.is_scoring_row,
        examples.is_labelled,

        -- the send the label is about (null on the scoring cut-off)
        examples.next_campaign_id,
        examples.next_sent_on,

        -- customer or lead, and purchases of customers
        examples.is_customer,
        order_facts.recency_days,
        order_facts.frequency_orders,

        -- engagement
        engagement.engagement_points,
        engagement.engagement_score,
        engagement.engagement_level,
        engagement.high_intent_events,
        engagement.days_since_last_positive,

        -- campaign history before the cut-off
        cast(coalesce(history.campaign_sends, 0) as {{ dbt.type_int() }}) as campaign_sends,
        cast(coalesce(history.campaign_responses, 0) as {{ dbt.type_int() }}) as campaign_responses,
        cast(
            {{ dbt.datediff('history.last_response_on', 'examples.cutoff_date', 'day') | trim }}
            as {{ dbt.type_int() }}
        ) as days_since_last_response,

        -- label: the first send of the window answered within var campaign_response_days days
        cast(
            case
                when examples.is_labelled
                    then
                        case
                            when
                                examples.next_responded_on >= examples.next_sent_on
                                and {{ dbt.datediff('examples.next_sent_on', 'examples.next_responded_on', 'day')
                                    | trim }} <= {{ response_days }}
                                then 1
                            else 0
                        end
            end as {{ dbt.type_int() }}
        ) as label_response

    from examples
    left join order_facts
        on
            examples.cutoff_date = order_facts.cutoff_date
            and examples.contact_id = order_facts.contact_id
    left join engagement
        on
            examples.cutoff_date = engagement.cutoff_date
            and examples.contact_id = engagement.contact_id
    left join history
        on
            examples.cutoff_date = history.cutoff_date
            and examples.contact_id = history.contact_id

)

select * from final
