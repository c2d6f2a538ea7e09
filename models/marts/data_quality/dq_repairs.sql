-- What cleaning repaired rather than rejected, as of the as-of date: one row per raw table and repair reason code,
-- counted on the rows that were kept (the current version of each record).
with

flags as (

    {% set selects = [] %}
    {% for t in dq_tables() %}
        {% for flag, code in t.repairs.items() %}
            {% do selects.append(
                "select '" ~ t.table ~ "' as source_table, '" ~ code ~ "' as reason_code, "
                ~ "sum(case when " ~ flag ~ " then 1 else 0 end) as repaired_rows "
                ~ "from " ~ ref(t.staging) ~ " where dq_status = 'current'"
            ) %}
        {% endfor %}
        {#- every table: values that could not be read under the table's dialect and were set to NULL -#}
        {% do selects.append(
            "select '" ~ t.table ~ "' as source_table, 'unreadable_value_nulled' as reason_code, "
            ~ "sum(case when is_value_unreadable then 1 else 0 end) as repaired_rows "
            ~ "from " ~ ref(t.staging) ~ " where dq_status = 'current'"
        ) %}
    {% endfor %}
    {% do selects.append(
        "select 'crm.contacts' as source_table, 'orphan_account' as reason_code, "
        ~ "sum(case when is_account_orphan then 1 else 0 end) as repaired_rows "
        ~ "from " ~ ref('int_contacts__identity')
    ) %}
    {{ selects | join('\n    union all\n    ') }}

),

reasons as (

    select * from {{ ref('dq_reason_codes') }}

),

final as (

    select
        -- ids
        cast(flags.source_table || ':' || flags.reason_code as {{ dbt.type_string() }}) as repair_id,
        cast(flags.source_table as {{ dbt.type_string() }}) as source_table,
        cast(flags.reason_code as {{ dbt.type_string() }}) as reason_code,

        -- repair
        cast(reasons.description as {{ dbt.type_string() }}) as repair,
        cast(coalesce(flags.repaired_rows, 0) as {{ dbt.type_bigint() }}) as repaired_rows,

        -- timestamps
        {{ as_of_date() }} as as_of_date

    from flags
    left join reasons
        on flags.reason_code = reasons.reason_code

)

select * from final
