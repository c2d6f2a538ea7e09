{#- int_contact__event_days: activity ... final. `events`: contact_id (golden), event_type, occurred_on, occurred_at;
    `campaign_members`: contact_id (golden), responded_at, or none when campaigns are switched off; `event_scoring`:
    the seed. -#}
{% macro contact_event_days_ctes(events, campaign_members, event_scoring, keys=[], as_of=none) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
activity as (

    select
        {{ key_prefix }}contact_id,
        event_type,
        occurred_on as event_on,
        occurred_at
    from {{ events }}
    where occurred_on <= {{ as_of_expr(as_of) }}
    {%- if campaign_members is not none %}
        union all
        select
            {{ key_prefix }}contact_id,
            'campaign_response' as event_type,
            cast(responded_at as date) as event_on,
            responded_at as occurred_at
        from {{ campaign_members }}
        {%- if as_of is none %}
            where responded_at < {{ as_of_cutoff() }}
        {%- else %}
            where cast(responded_at as date) <= {{ as_of }}
        {%- endif %}
    {%- endif %}

),

daily as (

    select
        {{ key_prefix }}contact_id,
        event_type,
        event_on,
        count(*) as event_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from activity
    group by {{ key_prefix }}contact_id, event_type, event_on

),

final as (

    select
        -- ids
        {%- for k in keys %}
            daily.{{ k }},
        {%- endfor %}
        daily.contact_id,
        daily.event_type,
        daily.event_on,

        -- counts
        cast(daily.event_count as {{ dbt.type_int() }}) as event_count,
        cast(least(daily.event_count, {{ event_scoring }}.cap_per_day) as {{ dbt.type_int() }}) as counted_events,

        -- timestamps
        daily.first_event_at,
        daily.last_event_at

    from daily
    -- every event type has a scoring row (singular test engagement_seeds_are_valid)
    inner join {{ event_scoring }}
        on daily.event_type = {{ event_scoring }}.event_type

)
{%- endmacro %}
