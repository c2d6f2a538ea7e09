-- Every rejected raw row, as of the as-of date: one row per raw row held back, with the table it came from, its key
-- and the reason. Row-level defects come from the staging models, relational ones (unknown contact or order) from
-- the intermediate checks.
with

reasons as (

    select * from {{ ref('dq_reason_codes') }}

),

rejected as (

    {% for t in dq_tables() %}
        {%- set contact_column = t.contact or "cast(null as " ~ dbt.type_string() ~ ")" %}
        select
            '{{ t.table }}' as source_table,
            'staging' as detected_in,
            raw_row_key,
            cast({{ t.key }} as {{ dbt.type_string() }}) as record_id,
            {{ contact_column }} as contact_id,
            dq_reason_code as reason_code,
            case
                when
                    dq_reason_code in (
                        'unreadable_value',
                        'non_numeric_amount',
                        'invalid_quantity',
                        'negative_amount',
                        'malformed_line'
                    )
                    then unreadable_detail
            end as reason_detail,
            loaded_at
        from {{ ref(t.staging) }}
        where dq_status = 'quarantined'
        {%- if t.validated %}
            union all
            select
                '{{ t.table }}' as source_table,
                'relational' as detected_in,
                raw_row_key,
                cast({{ t.key }} as {{ dbt.type_string() }}) as record_id,
                {{ contact_column }} as contact_id,
                relational_reason_code as reason_code,
                cast(null as {{ dbt.type_string() }}) as reason_detail,
                loaded_at
            from {{ ref(t.validated) }}
            -- lines of an order loaded after the as-of date are counted as after_as_of, not quarantined
            where relational_reason_code is not null and relational_reason_code <> 'after_as_of'
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        -- ids
        cast(rejected.source_table || ':' || rejected.raw_row_key as {{ dbt.type_string() }}) as quarantine_id,
        cast(rejected.source_table as {{ dbt.type_string() }}) as source_table,
        cast(rejected.raw_row_key as {{ dbt.type_string() }}) as raw_row_key,
        cast(rejected.record_id as {{ dbt.type_string() }}) as record_id,
        cast(rejected.contact_id as {{ dbt.type_string() }}) as contact_id,

        -- reason
        cast(rejected.reason_code as {{ dbt.type_string() }}) as reason_code,
        cast(
            coalesce(reasons.description, 'Unknown reason code ' || rejected.reason_code) as {{ dbt.type_string() }}
        ) as reason,
        cast(rejected.reason_detail as {{ dbt.type_string() }}) as reason_detail,
        cast(rejected.detected_in as {{ dbt.type_string() }}) as detected_in,

        -- timestamps
        cast(rejected.loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        {{ as_of_date() }} as as_of_date

    from rejected
    left join reasons
        on rejected.reason_code = reasons.reason_code

)

select * from final
