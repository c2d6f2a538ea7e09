-- How fresh each raw table was as of the as-of date: one row per raw table. Judged against the as-of date, not the
-- wall clock (a build as of a past date is judged as it would have been then), on the typed loaded_at of the staging
-- models (so CSV raw files, read as text, work too). Thresholds come from each source's `freshness` in
-- __sources.yml through the graph; a source table the graph does not describe falls back to the vars
-- freshness_warn_after_days and freshness_error_after_days (2 and 7). `freshness: null` means not checked.
{%- set days_per_period = {'minute': 1.0 / 1440, 'hour': 1.0 / 24, 'day': 1.0} -%}
{%- set thresholds = {} -%}
{%- if execute -%}
    {%- for node in graph.sources.values() -%}
        {%- set limits = {'warn': 'null', 'error': 'null'} -%}
        {%- if node.freshness -%}
            {%- for level in ['warn', 'error'] -%}
                {%- set after = node.freshness.get(level ~ '_after') or {} -%}
                {%- if after.get('count') is not none and after.get('period') in days_per_period -%}
                    {%- do limits.update({level: after['count'] * days_per_period[after['period']]}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do thresholds.update({node.source_name ~ '.' ~ node.name: limits}) -%}
    {%- endfor -%}
{%- endif -%}
{%- set fallback = {
    'warn': var('freshness_warn_after_days', 2),
    'error': var('freshness_error_after_days', 7),
} %}

with

loads as (

    {% for t in dq_tables() %}
        select
            '{{ t.table }}' as source_table,
            count(*) as raw_rows,
            sum(case when is_visible then 1 else 0 end) as visible_rows,
            max(case when is_visible then loaded_at end) as newest_loaded_at
        from {{ ref(t.staging) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

limits as (

    {% for t in dq_tables() %}
        {%- set limit = thresholds.get(t.table, fallback) %}
        select
            '{{ t.table }}' as source_table,
            cast({{ limit.warn }} as {{ type_double() }}) as warn_after_days,
            cast({{ limit.error }} as {{ type_double() }}) as error_after_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

aged as (

    select
        loads.source_table,
        loads.raw_rows,
        loads.visible_rows,
        loads.newest_loaded_at,
        -- a visible row loaded after the as-of date (visibility that ignores loaded_at) is as fresh as can be
        case
            when loads.newest_loaded_at is not null
                then greatest({{ days_between('loads.newest_loaded_at', as_of_date()) }}, 0)
        end as days_since_load,
        limits.warn_after_days,
        limits.error_after_days
    from loads
    inner join limits
        on loads.source_table = limits.source_table

),

final as (

    select
        -- ids
        cast(source_table as {{ dbt.type_string() }}) as source_table,

        -- counts
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(coalesce(visible_rows, 0) as {{ dbt.type_bigint() }}) as visible_rows,

        -- freshness
        cast(newest_loaded_at as timestamp) as newest_loaded_at,
        cast(days_since_load as integer) as days_since_load,
        warn_after_days,
        error_after_days,
        cast(
            case
                when coalesce(visible_rows, 0) = 0 then 'empty'
                -- rows without any load or business timestamp cannot be judged
                when newest_loaded_at is null then 'not_checked'
                when warn_after_days is null and error_after_days is null then 'not_checked'
                when days_since_load > error_after_days then 'stale'
                when days_since_load > warn_after_days then 'warn'
                else 'fresh'
            end as {{ dbt.type_string() }}
        ) as freshness_status,

        -- timestamps
        {{ as_of_date() }} as as_of_date

    from aged

)

select * from final
