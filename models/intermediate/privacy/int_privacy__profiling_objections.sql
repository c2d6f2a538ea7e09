-- Contacts who objected to profiling (GDPR art. 21) as of the as-of date: one row per golden contact whose latest
-- consent record on channel 'profiling' (crm.consents, recorded on or before the as-of date, any of the person's
-- merged records) says is_granted false. Latest wins; two records at the same time: the objection wins. No record
-- means no objection (art. 21 is an objection: it applies once recorded). Such a contact is not scored: the customer
-- and lead populations leave it out (int_customer__order_facts, int_contact__lifecycle), so it is in no score mart,
-- no offer, no audience and no export, and the history tables delete its rows at every date.
with

consents as (

    {% if var('enable_consents', true) -%}
        select
            contact_id,
            source_contact_id,
            is_granted,
            recorded_at
        from {{ ref('int_consents') }}
        where channel = 'profiling'
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_string() }}) as source_contact_id,
            cast(null as boolean) as is_granted,
            cast(null as {{ dbt.type_timestamp() }}) as recorded_at
        where 1 = 0
    {%- endif %}

),

ranked as (

    select
        contact_id,
        is_granted,
        recorded_at,
        row_number() over (
            partition by contact_id
            order by recorded_at desc, case when is_granted then 1 else 0 end asc, source_contact_id asc
        ) as recency_rank
    from consents

),

final as (

    select
        -- ids
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,

        -- timestamps
        cast(recorded_at as {{ dbt.type_timestamp() }}) as objected_at

    from ranked
    where recency_rank = 1 and not is_granted

)

select * from final
