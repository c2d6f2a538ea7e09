-- A reason code in audit.quarantine must be a 'quarantine' code of the dq_reason_codes seed, and one in
-- audit.dq_repairs a 'repair' code: a row is either rejected or repaired, never both. Returns each misused code and
-- where it is used.
with

reasons as (

    select * from {{ ref('dq_reason_codes') }}

),

used as (

    select distinct
        source_table,
        reason_code,
        'quarantine' as expected_action
    from {{ ref('quarantine') }}
    union all
    select distinct
        source_table,
        reason_code,
        'repair' as expected_action
    from {{ ref('dq_repairs') }}

),

final as (

    select
        used.source_table,
        used.reason_code,
        used.expected_action,
        reasons.action as seed_action
    from used
    left join reasons
        on used.reason_code = reasons.reason_code
    where reasons.action is null or reasons.action <> used.expected_action

)

select * from final
