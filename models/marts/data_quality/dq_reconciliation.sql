-- Where every raw row went, per raw table, as of the as-of date: one row per raw table. raw_rows = kept_rows +
-- quarantined_rows + merged_rows + after_as_of_rows + erased_rows always holds (tested); erased_rows are the rows of
-- people erased as of the as-of date (GDPR art. 17, reason code erased: staged with dq_status 'erased', their
-- personal columns emptied, never quarantined, never read further); the staging row counts are tested equal
-- to the raw tables' own counts, so no row can disappear between the raw layer and the marts. A table most of whose
-- rows were loaded after the as-of date gets a warning: a snapshot export whose _loaded_at is the extraction day
-- makes a past build see (almost) nothing, which is not a failure but must not pass unnoticed.
with

quarantined as (

    select
        source_table,
        count(*) as quarantined_rows
    from {{ ref('quarantine') }}
    group by source_table

),

counts as (

    {% for t in dq_tables() %}
        {%- set kept_filter = "" if t.kept else "where dq_status = 'current'" %}
        {%- set identity_merged = "(select count(*) from " ~ ref(t.identity) ~ " where is_merged)"
            if t.identity else "0" %}
        {%- set relational_later = "(select count(*) from " ~ ref(t.validated)
            ~ " where relational_reason_code = 'after_as_of')" if t.validated else "0" %}
        select
            '{{ t.table }}' as source_table,
            (select count(*) from {{ ref(t.staging) }}) as raw_rows,
            (
                select count(*) from {{ ref(t.kept or t.staging) }}
                {{ kept_filter }}
            ) as kept_rows,
            (
                select count(*) from {{ ref(t.staging) }}
                where dq_status = 'superseded'
            )
            + {{ identity_merged }} as merged_rows,
            (
                select count(*) from {{ ref(t.staging) }}
                where dq_status = 'after_as_of'
            )
            + {{ relational_later }} as after_as_of_rows,
            (
                select count(*) from {{ ref(t.staging) }}
                where dq_status = 'erased'
            ) as erased_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

reconciled as (

    select
        -- ids
        cast(counts.source_table as {{ dbt.type_string() }}) as source_table,

        -- counts
        cast(counts.raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(counts.kept_rows as {{ dbt.type_bigint() }}) as kept_rows,
        cast(coalesce(quarantined.quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(counts.merged_rows as {{ dbt.type_bigint() }}) as merged_rows,
        cast(counts.after_as_of_rows as {{ dbt.type_bigint() }}) as after_as_of_rows,
        cast(counts.erased_rows as {{ dbt.type_bigint() }}) as erased_rows,
        counts.raw_rows = (
            counts.kept_rows + coalesce(quarantined.quarantined_rows, 0) + counts.merged_rows
            + counts.after_as_of_rows + counts.erased_rows
        ) as is_reconciled,

        -- timestamps
        {{ as_of_date() }} as as_of_date

    from counts
    left join quarantined
        on counts.source_table = quarantined.source_table

),

final as (

    select
        reconciled.*,
        cast(reconciled.after_as_of_rows as {{ type_double() }})
        / nullif(reconciled.raw_rows, 0) as after_as_of_share,
        cast(
            case
                when reconciled.after_as_of_rows * 2 > reconciled.raw_rows
                    then
                        'most rows (' || cast(reconciled.after_as_of_rows as {{ dbt.type_string() }})
                        || ' of ' || cast(reconciled.raw_rows as {{ dbt.type_string() }})
                        || ') were loaded after the as-of date {{ as_of_date_value() }}: if the export is a snapshot'
                        || ' whose _loaded_at is the extraction time, build as of a later date, or pass'
                        || ' --vars ''{"ignore_loaded_at": true}'' so visibility follows the business dates'
            end as {{ dbt.type_string() }}
        ) as warning
    from reconciled

)

select * from final
