-- audit.dq_reconciliation holds exactly one row per enabled raw table listed by the dq_tables() macro. Returns each
-- raw table that is missing from the mart or unexpected in it.
with

expected as (

    {% for t in dq_tables() %}
        select cast('{{ t.table }}' as {{ dbt.type_string() }}) as source_table
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

actual as (

    select source_table from {{ ref('dq_reconciliation') }}

),

final as (

    select
        coalesce(expected.source_table, actual.source_table) as source_table,
        case when actual.source_table is null then 'missing from dq_reconciliation' else 'not a known raw table' end
            as failure
    from expected
    full outer join actual
        on expected.source_table = actual.source_table
    where expected.source_table is null or actual.source_table is null

)

select * from final
