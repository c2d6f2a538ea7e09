{#- Hex SHA-256 (lower case) of a text expression, as the ad platforms expect a hashed e-mail and as the erasure log
    hashes its keys. DuckDB's sha256() returns the hex digest of the text's UTF-8 bytes. -#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'customer_scoring')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{#- A SQL condition: the raw row's contact `contact_column` belongs to a person erased as of the as-of date
    (base_crm__erased_contacts). Always false when the optional table crm.erasure_requests is switched off. -#}
{% macro privacy_is_erased(contact_column) -%}
    {%- if var('enable_erasure_requests', true) -%}
        {{ contact_column }} in (select erased.contact_id from {{ ref('base_crm__erased_contacts') }} as erased)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- The salt of the erasure log's key hashes, as a SQL text expression: env var CS_ERASURE_SALT when set (keep it in
    your secret store: the same salt must serve every build of one work folder, or the hashes of a person no longer
    match), else var erasure_salt, else the random salt drawn once and kept in pii.erasure_salt. -#}
{% macro privacy_salt() -%}
    {%- set from_env = env_var('CS_ERASURE_SALT', '') | trim -%}
    {%- set from_var = (var('erasure_salt', none) or '') | string | trim -%}
    {%- if from_env -%}
        '{{ from_env | replace("'", "''") }}'
    {%- elif from_var and from_var | lower not in ('none', 'null') -%}
        '{{ from_var | replace("'", "''") }}'
    {%- else -%}
        (select stored_salt.salt from {{ ref('erasure_salt') }} as stored_salt)
    {%- endif -%}
{%- endmacro %}

{#- The contacts whose history must go, as a SQL subquery of contact ids: people erased as of the as-of date
    (base_crm__erased_contacts, every source id, so every golden id the person had at any date) and contacts who
    objected to profiling (int_privacy__profiling_objections). -#}
{% macro privacy_excluded_contacts() -%}
    select objections.contact_id from {{ ref('int_privacy__profiling_objections') }} as objections
    {%- if var('enable_erasure_requests', true) %}
        union
        select erased.contact_id from {{ ref('base_crm__erased_contacts') }} as erased
    {%- endif %}
{%- endmacro %}

{#- Post-hook of the incremental history tables (score_history, score_factor_history): delete, at every as-of date,
    the rows of the customers and leads that privacy_excluded_contacts lists (a build's own date never has them: the
    marts leave them out). audit.erasure_log counts them before (it runs first). -#}
{% macro privacy_history_hooks() -%}
    {{ return(["{{ privacy_history_delete_sql(this) }}"]) }}
{%- endmacro %}

{% macro privacy_history_delete_sql(relation) -%}
delete from {{ relation }}
where
    entity_type in ('customer', 'lead')
    and entity_id in ({{ privacy_excluded_contacts() }})
{%- endmacro %}

{#- The relation of a history table (score_history, score_factor_history) as the erasure log finds it before the
    history models run: none on the first build. The history tables keep their schema in a backtest
    (generate_schema_name), as the erasure log does. -#}
{% macro privacy_history_relation(name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set schema = generate_schema_name('marts', model) | trim -%}
    {{ return(adapter.get_relation(database=this.database, schema=schema, identifier=name)) }}
{%- endmacro %}

{#- Post-hook of base_crm__erased_contacts in a regular build: when the build erases anyone, drop the backtest's
    scratch schemas (`backtest_<schema>` for every schema of the project: `customer-scoring backtest` builds there
    with var backtest_schema_prefix 'backtest', customer_scoring/backtest.py PREFIX). They hold staged contacts,
    pii.contacts and intermediate tables as of past dates, when the person was not erased yet, and nothing reads
    them after the backtest (its history rows are in the regular history tables, which the history post-hooks
    clean). A backtest rebuilds them whole. Nothing happens in a backtest itself, nor when nobody is erased. -#}
{% macro privacy_drop_backtest_schemas(relation) -%}
    {%- set backtest = var('backtest_schema_prefix', '') | string | trim -%}
    {%- if execute and backtest in ('', 'None', 'none') -%}
        {%- set erased = run_query('select count(*) from ' ~ relation).rows[0][0] -%}
        {%- if erased > 0 -%}
            {%- set schemas = [] -%}
            {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
                {%- if ('backtest_' ~ node.schema) not in schemas -%}
                    {%- do schemas.append('backtest_' ~ node.schema) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for schema in schemas | sort -%}
                {%- do adapter.drop_schema(api.Relation.create(database=relation.database, schema=schema)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
