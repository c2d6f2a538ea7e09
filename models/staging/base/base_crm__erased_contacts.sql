{{ config(
    enabled=var('enable_erasure_requests', true),
    post_hook="{{ privacy_drop_backtest_schemas(this) }}"
) }}
-- The people erased as of the as-of date (GDPR art. 17): one row per erasure request and source contact id of the
-- person it names. A request names a person by contact id, by e-mail, or both; the person is every contact record
-- that identity merges with it (the same normalised e-mail: int_contacts__identity), in any version of the raw
-- table: the requested ids, the records carrying the requested e-mail, and the records carrying any e-mail that one
-- of those ids ever had. Golden contact ids are source ids, so the person's golden id is among them. A base model of
-- the staging layer: it reads the raw contacts (raw_source), not stg_crm__contacts, because the staging models read
-- it to exclude the person, so it comes before them. In a regular build that erases anyone, the post-hook drops the
-- backtest's scratch schemas (macro privacy_drop_backtest_schemas): they hold the person's staged and personal rows
-- as of past dates.
with

requests as (

    select * from {{ ref('stg_crm__erasure_requests') }}
    where dq_status = 'current'

),

source as (

    {{ raw_source('crm', 'contacts') }}

),

contacts as (

    select distinct
        {{ clean_text('source.contact_id') }} as contact_id,
        -- an empty or blank address names nobody
        case
            when {{ normalize_email('source.email') }} like '%_@_%' then {{ normalize_email('source.email') }}
        end as email
    from source

),

named_contacts as (

    select
        requests.request_id,
        requests.contact_id
    from requests
    where requests.contact_id is not null
    union
    select
        requests.request_id,
        contacts.contact_id
    from requests
    inner join contacts
        on requests.email = contacts.email
    where contacts.contact_id is not null

),

person_emails as (

    select
        requests.request_id,
        requests.email
    from requests
    where requests.email like '%_@_%'
    union
    select
        named_contacts.request_id,
        contacts.email
    from named_contacts
    inner join contacts
        on named_contacts.contact_id = contacts.contact_id
    where contacts.email is not null

),

person_contacts as (

    select
        named_contacts.request_id,
        named_contacts.contact_id
    from named_contacts
    union
    select
        person_emails.request_id,
        contacts.contact_id
    from person_emails
    inner join contacts
        on person_emails.email = contacts.email
    where contacts.contact_id is not null

),

final as (

    select
        -- ids
        cast(person_contacts.request_id as {{ dbt.type_string() }}) as request_id,
        cast(person_contacts.contact_id as {{ dbt.type_string() }}) as contact_id,

        -- request
        cast(requests.requested_at as {{ dbt.type_timestamp() }}) as requested_at

    from person_contacts
    inner join requests
        on person_contacts.request_id = requests.request_id

)

select * from final
