-- What the raw layer held for this build, against the input contract (docs/INPUT_CONTRACT.md): one row per contract
-- table and column, plus one row per extra column that was ignored. An absent optional table or column is read as
-- empty or NULL; `used_for` says which criteria go without it. Filled at compile time from the raw relations (DuckDB:
-- the files under CS_RAW_PATH; warehouses: the raw schemas, named by the same vars as the sources), as staging
-- reads them. It reads their metadata only, never their rows, so it names the relations instead of calling source().
{%- set rows = [] -%}
{%- set contract = raw_contract() -%}
{%- for key in contract | list | sort -%}
    {%- set spec = contract[key] -%}
    {%- set source_name, table_name = key.split('.') -%}
    {%- set switched_off = spec.switch is not none and not var(spec.switch, true) -%}
    {%- if switched_off -%}
        {#- a source switched off is disabled in dbt: no source() call -#}
        {%- set info = {'exists': false, 'columns': {}} -%}
    {%- elif execute -%}
        {#- metadata only (which columns exist), no rows: the relation is named, not read through source() -#}
        {#- Spark has no database level: its target has no database (Undefined, which Relation.create refuses) -#}
        {%- set relation = api.Relation.create(
            database=(target.database if target.database is defined else none),
            schema=var('raw_' ~ source_name ~ '_schema', 'raw_' ~ source_name),
            identifier=var(source_name ~ '__' ~ table_name ~ '_identifier', table_name)) -%}
        {%- set info = raw_relation_info(source_name, table_name, relation, raw_dialect(source_name, table_name)) -%}
    {%- else -%}
        {%- set info = {'exists': false, 'columns': {}} -%}
    {%- endif -%}
    {%- set known = [] -%}
    {%- for c in spec.columns -%}
        {%- do known.append(c.name) -%}
        {%- set physical = info.columns.get(c.name) -%}
        {%- if switched_off -%}
            {%- set status = 'switched_off' -%}
            {%- set effect = 'not read: var ' ~ spec.switch ~ ' is false' -%}
        {%- elif not info.exists -%}
            {%- set status = 'absent_table' -%}
            {%- set effect = 'table read as empty' -%}
        {%- elif physical is none -%}
            {%- set status = 'absent_column' -%}
            {%- if c.required -%}
                {%- set effect = 'build stops: required column' -%}
            {%- elif c.default is none -%}
                {%- set effect = 'read as NULL' -%}
            {%- else -%}
                {%- set effect = 'read as ' ~ (var(c.default[1:]) if c.default.startswith('$') else c.default) -%}
            {%- endif -%}
        {%- else -%}
            {%- set status = 'present' -%}
            {%- set effect = 'read as ' ~ c.kind ~ ' from ' ~ (physical.type | lower) -%}
        {%- endif -%}
        {%- do rows.append([key, c.name, c.kind, c.required, spec.required, info.exists, status, effect,
                            c.purpose]) -%}
    {%- endfor -%}
    {%- for name, physical in (info.columns.items() | sort) if name not in known -%}
        {%- do rows.append([key, physical.name, 'extra', false, spec.required, true, 'ignored',
                            'not in the contract: ignored', '']) -%}
    {%- endfor -%}
{%- endfor %}

with

inputs as (

    {% for r in rows %}
        select
            '{{ r[0] }}' as source_table,
            '{{ r[1] | replace("'", "''") }}' as column_name,
            '{{ r[2] }}' as contract_kind,
            {{ r[3] }} as is_required_column,
            {{ r[4] }} as is_required_table,
            {{ r[5] }} as is_table_present,
            '{{ r[6] }}' as input_status,
            '{{ r[7] | replace("'", "''") }}' as effect,
            '{{ r[8] | replace("'", "''") }}' as used_for
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        -- ids
        cast(source_table || '.' || column_name as {{ dbt.type_string() }}) as input_id,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(column_name as {{ dbt.type_string() }}) as column_name,

        -- contract
        cast(contract_kind as {{ dbt.type_string() }}) as contract_kind,
        is_required_column,
        is_required_table,

        -- what the build found
        is_table_present,
        cast(input_status as {{ dbt.type_string() }}) as input_status,
        cast(effect as {{ dbt.type_string() }}) as effect,
        cast(used_for as {{ dbt.type_string() }}) as used_for,

        -- timestamps
        {{ as_of_date() }} as as_of_date

    from inputs

)

select * from final
