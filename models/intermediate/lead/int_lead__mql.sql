-- depends_on: {{ ref('int_scoring__config_errors') }}
-- MQL flag of every lead, as of the as-of date: one row per lead. The mql_rules seed lists structured
-- conditions (field, operator, value) on the lead's score, grade, engagement and stage; the first rule met, by
-- priority, makes the lead an MQL and is named in mql_rule.
with

leads as (

    select * from {{ ref('int_lead__summary') }}

),

rules as (

    select
        rule_id,
        cast(priority as {{ dbt.type_int() }}) as priority,
        field,
        operator,
        cast(value as {{ dbt.type_string() }}) as rule_value,
        {{ safe_decimal('cast(value as ' ~ dbt.type_string() ~ ')', 18, 6) }} as rule_number
    from {{ ref('mql_rules') }}

),

fields as (

    {{ unpivot_criteria('leads', 'contact_id', mql_fields()['number'], mql_fields()['text']) }}

),

matched as (

    select
        fields.entity_id as contact_id,
        rules.rule_id,
        row_number() over (partition by fields.entity_id order by rules.priority, rules.rule_id) as match_rank
    from fields
    inner join rules
        on fields.criterion = rules.field
    where {{ condition_is_met(
        'fields.value_number', 'fields.value_text', 'rules.operator', 'rules.rule_number', 'rules.rule_value'
    ) }}

),

final as (

    select
        leads.contact_id,
        matched.rule_id is not null as is_mql,
        matched.rule_id as mql_rule
    from leads
    left join matched
        on
            leads.contact_id = matched.contact_id
            and matched.match_rank = 1

)

select * from final
