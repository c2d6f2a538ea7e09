-- depends_on: {{ ref('base_crm__erased_contacts') }}
-- What each erasure request (GDPR art. 17) removed, logged once, by the first build whose as-of date reaches it: one
-- row per request and table. No personal data: the request id, a salted SHA-256 of the request's key (its e-mail
-- normalised, trimmed and lower case, when it has one, else its contact id: macro privacy_salt says where the salt
-- comes from), when it was requested and applied, and per table the rows removed: the raw rows of the person that
-- staging excludes from this build on (each raw table with a contact, and the lines of the person's orders), and the
-- rows of the history tables (every date) that the history models delete after this model counted them.
-- Incremental and never rebuilt (full_refresh false; tagged history: it outlives publications on PostgreSQL and
-- keeps its schema in a backtest): a later build, or a rebuild of the same date, never logs a request again.
{{ config(
    enabled=var('enable_erasure_requests', true),
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
    tags=['history', 'privacy']
) }}

{%- set history_tables = ['score_history', 'score_factor_history'] %}

with

requests as (

    select * from {{ ref('stg_crm__erasure_requests') }}
    where dq_status = 'current'

),

erased as (

    select * from {{ ref('base_crm__erased_contacts') }}

),

new_requests as (

    select * from requests
    {%- if is_incremental() %}
        where request_id not in (select logged.request_id from {{ this }} as logged)
    {%- endif %}

),

removed as (

    {%- for t in dq_tables() if t.contact and t.table != 'crm.erasure_requests' %}
        select
            erased.request_id,
            '{{ t.table }}' as table_name,
            count(*) as rows_removed
        from erased
        inner join {{ ref(t.staging) }} as staged
            on erased.contact_id = staged.{{ t.contact }}
        where staged.dq_status = 'erased'
        group by erased.request_id
        union all
    {%- endfor %}
    select
        erased.request_id,
        'shop.order_items' as table_name,
        count(*) as rows_removed
    from erased
    inner join {{ ref('stg_shop__orders') }} as orders
        on erased.contact_id = orders.contact_id
    inner join {{ ref('stg_shop__order_items') }} as items
        on orders.order_id = items.order_id
    where orders.dq_status = 'erased' and items.dq_status = 'erased'
    group by erased.request_id
    {%- for name in history_tables %}
        {%- set relation = privacy_history_relation(name) %}
        {%- if relation is not none %}
            union all
            select
                erased.request_id,
                'marts.{{ name }}' as table_name,
                count(*) as rows_removed
            from erased
            inner join {{ relation }} as history
                on erased.contact_id = history.entity_id
            where history.entity_type in ('customer', 'lead')
            group by erased.request_id
        {%- endif %}
    {%- endfor %}

),

tables as (

    {%- for t in dq_tables() if t.contact and t.table != 'crm.erasure_requests' %}
        select '{{ t.table }}' as table_name
        union all
    {%- endfor %}
    select 'shop.order_items' as table_name
    {%- for name in history_tables %}
        union all
        select 'marts.{{ name }}' as table_name
    {%- endfor %}

),

final as (

    select
        -- ids
        cast(new_requests.request_id as {{ dbt.type_string() }}) as request_id,
        cast(
            {{ sha256_hex(privacy_salt() ~ " || coalesce(new_requests.email, new_requests.contact_id)") }}
            as {{ dbt.type_string() }}
        ) as key_hash,
        cast(case when new_requests.email is not null then 'email' else 'contact_id' end as {{ dbt.type_string() }})
            as key_type,

        -- what was removed
        cast(tables.table_name as {{ dbt.type_string() }}) as table_name,
        cast(coalesce(removed.rows_removed, 0) as {{ dbt.type_bigint() }}) as rows_removed,

        -- timestamps
        cast(new_requests.requested_at as {{ dbt.type_timestamp() }}) as requested_at,
        {{ as_of_date() }} as applied_on

    from new_requests
    cross join tables
    left join removed
        on
            new_requests.request_id = removed.request_id
            and tables.table_name = removed.table_name

)

select * from final
