-- depends_on: {{ ref('int_activation__config_errors') }}
-- Consent of every golden contact on every channel of consent_channels, as of the as-of date: one row per contact
-- and channel. The latest crm.consents record of the channel's consent_channel wins (by recorded_at, across every
-- record merged into the person); at the same time a withdrawal wins over a grant (then the record key decides, so the
-- result never depends on the engine). No record: the channel's default_granted (opt-in channels false). With
-- enable_consents false every contact has the defaults.
with

contacts as (

    select * from {{ ref('int_contacts') }}

),

channels as (

    select * from {{ ref('consent_channels') }}

),

consents as (

    {%- if var('enable_consents', true) %}
        select * from {{ ref('int_consents') }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as consent_record_key,
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_string() }}) as source_contact_id,
            cast(null as {{ dbt.type_string() }}) as channel,
            cast(null as boolean) as is_granted,
            cast(null as {{ dbt.type_timestamp() }}) as recorded_at
        where 1 = 0
    {%- endif %}

),

-- each channel's records (a consent_channel read by two channels counts for both)
channel_records as (

    select
        consents.contact_id,
        channels.channel,
        consents.is_granted,
        consents.recorded_at,
        row_number() over (
            partition by consents.contact_id, channels.channel
            order by
                consents.recorded_at desc,
                case when consents.is_granted then 1 else 0 end asc,
                consents.consent_record_key asc
        ) as record_rank
    from consents
    inner join channels
        on consents.channel = channels.consent_channel

),

latest as (

    select * from channel_records
    where record_rank = 1

),

final as (

    select
        -- keys
        contacts.contact_id,
        cast(channels.channel as {{ dbt.type_string() }}) as channel,

        -- consent
        coalesce(latest.is_granted, channels.default_granted) as is_granted,
        cast(case when latest.contact_id is null then 'default' else 'record' end as {{ dbt.type_string() }})
            as consent_source,
        latest.recorded_at

    from contacts
    cross join channels
    left join latest
        on
            contacts.contact_id = latest.contact_id
            and channels.channel = latest.channel

)

select * from final
