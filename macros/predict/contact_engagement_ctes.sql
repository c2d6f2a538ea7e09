{#- int_contact__engagement: settings ... final. `contacts`: the golden contacts (contact_id); `event_days`: shaped
    like int_contact__event_days; `event_scoring`, `engagement_levels`, `engagement_settings`: the seeds. -#}
{% macro contact_engagement_ctes(
    contacts, event_days, event_scoring, engagement_levels, engagement_settings, keys=[], as_of=none
) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
    {%- set as_of_sql = as_of_expr(as_of) -%}
settings as (

    select
        max(case when setting = 'inactivity_days' then value end) as inactivity_days,
        max(case when setting = 'inactivity_points' then value end) as inactivity_points,
        max(case when setting = 'scale_points' then value end) as scale_points,
        max(case when setting = 'high_intent_window_days' then value end) as high_intent_window_days
    from {{ engagement_settings }}

),

event_ages as (

    select
        *,
        {{ dbt.datediff('event_on', as_of_sql, 'day') | trim }} as age_days
    from {{ event_days }}

),

aged_days as (

    select
        {%- for k in keys %}
            event_ages.{{ k }},
        {%- endfor %}
        event_ages.contact_id,
        event_ages.event_type,
        event_ages.event_on,
        event_ages.counted_events,
        event_ages.last_event_at,
        event_ages.age_days,
        {{ event_scoring }}.event_family,
        {{ event_scoring }}.is_high_intent,
        {{ event_scoring }}.points,
        {{ event_scoring }}.half_life_days,
        {{ event_scoring }}.cap_points,
        {{ event_scoring }}.window_days,
        power(0.5, cast(event_ages.age_days as {{ type_double() }}) / {{ event_scoring }}.half_life_days)
            as decay_factor
    from event_ages
    inner join {{ event_scoring }}
        on event_ages.event_type = {{ event_scoring }}.event_type

),

scored_days as (

    select
        aged_days.*,
        aged_days.age_days < aged_days.window_days as is_in_window,
        aged_days.age_days < settings.high_intent_window_days and aged_days.is_high_intent as is_recent_high_intent,
        cast(
            {{ round_decimal('aged_days.counted_events * aged_days.points * aged_days.decay_factor', 6) }}
            as decimal(18, 6)
        ) as day_points
    from aged_days
    cross join settings

),

type_totals as (

    select
        {{ key_prefix }}contact_id,
        event_type,
        event_family,
        points,
        cap_points,
        sum(case when is_in_window then counted_events else 0 end) as window_events,
        sum(case when is_in_window then day_points else 0 end) as uncapped_points,
        sum(case when is_recent_high_intent then counted_events else 0 end) as high_intent_events,
        max(case when points > 0 then event_on end) as last_positive_on,
        max(case when points > 0 then last_event_at end) as last_positive_event_at
    from scored_days
    group by {{ key_prefix }}contact_id, event_type, event_family, points, cap_points

),

type_points as (

    select
        {{ key_prefix }}contact_id,
        event_type,
        event_family,
        points,
        window_events,
        high_intent_events,
        last_positive_on,
        last_positive_event_at,
        cast(round(
            case
                when uncapped_points > cap_points then cap_points
                when uncapped_points < -cap_points then -cap_points
                else uncapped_points
            end, 2
        ) as decimal(18, 2)) as type_points
    from type_totals

),

contact_points as (

    select
        {{ key_prefix }}contact_id,
        sum(case when points > 0 then type_points else 0 end) as positive_points,
        sum(case when points < 0 then type_points else 0 end) as negative_points,
        sum(case when event_family = 'web' then type_points else 0 end) as web_points,
        sum(case when event_family = 'email' then type_points else 0 end) as email_points,
        sum(case when event_family = 'event' then type_points else 0 end) as event_points,
        sum(case when event_family = 'campaign' then type_points else 0 end) as campaign_points,
        sum(high_intent_events) as high_intent_events,
        max(last_positive_on) as last_positive_on,
        max(last_positive_event_at) as last_positive_event_at
    from type_points
    group by {{ key_prefix }}contact_id

),

contact_recency as (

    select
        *,
        {{ dbt.datediff('last_positive_on', as_of_sql, 'day') | trim }} as days_since_last_positive
    from contact_points

),

inactivity as (

    select
        {%- for k in keys %}
            contact_recency.{{ k }},
        {%- endfor %}
        contact_recency.contact_id,
        contact_recency.days_since_last_positive,
        case
            when contact_recency.days_since_last_positive >= settings.inactivity_days
                then cast(settings.inactivity_points as decimal(18, 2))
            else 0
        end as inactivity_points
    from contact_recency
    cross join settings

),

totals as (

    select
        {%- for k in keys %}
            {{ contacts }}.{{ k }},
        {%- endfor %}
        {{ contacts }}.contact_id,
        coalesce(contact_points.positive_points, 0) as positive_points,
        coalesce(contact_points.negative_points, 0) as negative_points,
        coalesce(contact_points.web_points, 0) as web_points,
        coalesce(contact_points.email_points, 0) as email_points,
        coalesce(contact_points.event_points, 0) as event_points,
        coalesce(contact_points.campaign_points, 0) as campaign_points,
        coalesce(contact_points.high_intent_events, 0) as high_intent_events,
        coalesce(inactivity.inactivity_points, 0) as inactivity_points,
        contact_points.last_positive_event_at,
        inactivity.days_since_last_positive
    from {{ contacts }}
    left join contact_points
        on
            {{ contacts }}.contact_id = contact_points.contact_id{{ keys_match(contacts, 'contact_points', keys) }}
    left join inactivity
        on
            {{ contacts }}.contact_id = inactivity.contact_id{{ keys_match(contacts, 'inactivity', keys) }}

),

points as (

    select
        totals.*,
        totals.positive_points + totals.negative_points as decayed_points,
        totals.positive_points + totals.negative_points + totals.inactivity_points as engagement_points,
        cast(totals.positive_points + totals.negative_points + totals.inactivity_points as {{ type_double() }})
        / settings.scale_points as scale_units
    from totals
    cross join settings

),

scores as (

    select
        *,
        case
            when engagement_points > 0 then {{ round_decimal('100 * (1 - power(0.5, scale_units))', 2) }}
            else 0
        end as engagement_score
    from points

),

level_bounds as (

    select
        engagement_level,
        label,
        min_score,
        lead(min_score) over (order by min_score) as next_min_score
    from {{ engagement_levels }}

),

signals as (

    select
        {{ key_prefix }}contact_id,
        event_type as signal_type,
        type_points as signal_points,
        event_type || ': ' || case when type_points > 0 then '+' else '' end
        || cast(type_points as {{ dbt.type_string() }}) || ' points from '
        || cast(window_events as {{ dbt.type_string() }}) || ' counted events' as signal_text
    from type_points
    where type_points <> 0
    union all
    select
        {{ key_prefix }}contact_id,
        'inactivity' as signal_type,
        inactivity_points as signal_points,
        'inactivity: ' || cast(inactivity_points as {{ dbt.type_string() }})
        || ' points, no positive event for ' || cast(days_since_last_positive as {{ dbt.type_string() }})
        || ' days' as signal_text
    from inactivity
    where inactivity_points <> 0

),

top_signals as (

    select
        {{ key_prefix }}contact_id,
        signal_type,
        signal_text,
        row_number() over (
            partition by {{ key_prefix }}contact_id
            order by abs(signal_points) desc, signal_type asc
        ) as signal_rank
    from signals

),

final as (

    select
        -- ids
        {%- for k in keys %}
            scores.{{ k }},
        {%- endfor %}
        scores.contact_id,

        -- points (decayed, capped per type; 2 decimals)
        cast(scores.decayed_points as decimal(18, 2)) as decayed_points,
        cast(scores.positive_points as decimal(18, 2)) as positive_points,
        cast(scores.negative_points as decimal(18, 2)) as negative_points,
        cast(scores.web_points as decimal(18, 2)) as web_points,
        cast(scores.email_points as decimal(18, 2)) as email_points,
        cast(scores.event_points as decimal(18, 2)) as event_points,
        cast(scores.campaign_points as decimal(18, 2)) as campaign_points,
        cast(scores.inactivity_points as decimal(18, 2)) as inactivity_points,
        cast(scores.engagement_points as decimal(18, 2)) as engagement_points,

        -- recency and intent
        scores.last_positive_event_at,
        cast(scores.days_since_last_positive as {{ dbt.type_int() }}) as days_since_last_positive,
        cast(scores.high_intent_events as {{ dbt.type_int() }}) as high_intent_events,

        -- score
        cast(scores.engagement_score as decimal(5, 2)) as engagement_score,
        cast(level_bounds.engagement_level as {{ dbt.type_int() }}) as engagement_level,
        level_bounds.label as engagement_label,
        top_signals.signal_type as top_signal_type,
        top_signals.signal_text as top_signal

    from scores
    left join level_bounds
        on
            scores.engagement_score >= level_bounds.min_score
            and (level_bounds.next_min_score is null or scores.engagement_score < level_bounds.next_min_score)
    left join top_signals
        on
            scores.contact_id = top_signals.contact_id{{ keys_match('scores', 'top_signals', keys) }}
            and top_signals.signal_rank = 1

)
{%- endmacro %}
