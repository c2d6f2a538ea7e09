{#- The end of a base_*_refresh model, after its CTEs (it ends with a comma before the call): the business keys (column refresh_key, text) of a staging model that this
    build recomputes, or one row with a NULL refresh_key meaning "all of them" (D104).

    raw_rows: a relation (CTE) of the raw table as staging reads it, with columns refresh_key and loaded_at (the
    staging model's loaded_at expression). previous: the staging table of the previous build (refresh_previous) or
    none. since: refresh_since() (the previous build's cutoff) or none. A key is recomputed when
    - a raw row with it was loaded at or after `since` (new rows, late corrections, rows that were after the previous
      as-of date), or a previous row with it was (such a row may have left the raw table);
    - a previous row with it is dated at or after `since` (it was future-dated then, it may be visible now): columns
      `dated` (the staging model's business timestamp, none for a table without one);
    - a previous row's erased flag differs from `erased_now` (a SQL boolean over the previous row's columns; an
      erasure request since, or one withdrawn).
    Everything is recomputed (the NULL row) without a previous table or `since`, or when the raw rows loaded before
    `since` are not those of the previous table (count and a hash of key and load time differ: rows deleted or
    rewritten under the watermark, a work database older than the state). -#}
{% macro refresh_keys(raw_rows, previous, since, key_columns, dated=none, erased_now=none) -%}
    {%- if previous is none or since is none %}
refresh_keys as (

    select cast(null as {{ dbt.type_string() }}) as refresh_key

)
    {%- else %}
previous_rows as (

    select
        {{ refresh_key(key_columns) }} as refresh_key,
        loaded_at,
        {{ dated if dated else 'cast(null as timestamp)' }} as dated_at,
        {% if erased_now %}coalesce(is_erased, false) <> coalesce({{ erased_now }}, false){% else %}false{% endif %} as erasure_changed
    from {{ previous }}

),

watermark as (

    select cast('{{ since }}' as timestamp) as since

),

fingerprints as (

    select
        'raw' as side,
        count(*) as row_count,
        sum({{ refresh_hash('raw_rows.refresh_key', 'raw_rows.loaded_at') }}) as row_hash
    from {{ raw_rows }} as raw_rows
    cross join watermark
    where coalesce(raw_rows.loaded_at < watermark.since, true)
    union all
    select
        'previous' as side,
        count(*) as row_count,
        sum({{ refresh_hash('previous_rows.refresh_key', 'previous_rows.loaded_at') }}) as row_hash
    from previous_rows
    cross join watermark
    where coalesce(previous_rows.loaded_at < watermark.since, true)

),

unchanged_history as (

    select count(distinct concat(cast(row_count as {{ dbt.type_string() }}), '/', cast(row_hash as {{ dbt.type_string() }}))) = 1
        as is_unchanged
    from fingerprints

),

changed as (

    select raw_rows.refresh_key
    from {{ raw_rows }} as raw_rows
    cross join watermark
    where raw_rows.loaded_at >= watermark.since
    union
    select previous_rows.refresh_key
    from previous_rows
    cross join watermark
    where
        previous_rows.loaded_at >= watermark.since
        or previous_rows.dated_at >= watermark.since
        or previous_rows.erasure_changed

),

refresh_keys as (

    select changed.refresh_key
    from changed
    cross join unchanged_history
    where unchanged_history.is_unchanged
    union all
    select cast(null as {{ dbt.type_string() }}) as refresh_key
    from unchanged_history
    where not unchanged_history.is_unchanged

)
    {%- endif %}

select * from refresh_keys
{%- endmacro %}
