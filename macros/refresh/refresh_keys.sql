{#- The end of a base_*_refresh model, after its CTEs (the call follows a comma): what an incremental build
    recomputes in a staging model (D104). Rows, by row_kind:
    - 'key': a business key (refresh_key, text) whose staged rows this build deletes and stages again;
    - 'all': every key (a first or full build, or history that changed under the watermark);
    - 'history': the fingerprint of the raw rows this build's as-of date can see (history_rows rows, history_hash
      the sum of their 64-bit row hashes as text), read by the next build's refresh model.

    raw_rows: a CTE of the raw table as staging reads it, with columns refresh_key, loaded_at (the staging model's
    load time) and row_hash (refresh_row_hash of the whole raw row). previous: the staging table of the previous build
    (refresh_previous) or none; previous_refresh: this refresh model's table of the previous build, or none. since:
    refresh_since() (the previous build's cutoff) or none. A key is recomputed when
    - a raw row with it was loaded at or after `since` (new rows, late corrections, rows that were after the previous
      as-of date), or a previous staged row with it was (such a row may have left the raw table);
    - a previous staged row with it is dated at or after `since` (column `dated`, none for a table without a date:
      it was future-dated then and may be visible now);
    - a previous staged row's erased flag differs from `erased_now` (a SQL boolean over that row's columns: an erasure
      request since, or one withdrawn).
    Every key is recomputed ('all') without `since`, a previous table or a previous fingerprint, or when the raw rows
    loaded before `since` are not those the previous build saw (row count or hash differ: rows rewritten, added or
    deleted under the watermark). -#}
{% macro refresh_keys(raw_rows, previous, previous_refresh, since, key_columns, dated=none, erased_now=none) -%}
{%- set all_keys_row -%}
    select
        'all' as row_kind,
        cast(null as {{ dbt.type_string() }}) as refresh_key,
        cast(null as bigint) as history_rows,
        cast(null as {{ dbt.type_string() }}) as history_hash
{%- endset -%}
watermark as (

    select
        {{ as_of_cutoff() }} as cutoff,
        cast({{ "'" ~ since ~ "'" if since else 'null' }} as timestamp) as since

),

history as (

    -- what this build sees, for the next one
    select
        'history' as row_kind,
        cast(null as {{ dbt.type_string() }}) as refresh_key,
        count(*) as history_rows,
        cast(coalesce(sum(raw_rows.row_hash), 0) as {{ dbt.type_string() }}) as history_hash
    from {{ raw_rows }} as raw_rows
    cross join watermark
    where coalesce(raw_rows.loaded_at < watermark.cutoff, true)

),
    {%- if previous is none or previous_refresh is none or since is none %}

refresh_keys as (

    {{ all_keys_row }}
    union all
    select * from history

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

unchanged_history as (

    -- the raw rows under the watermark now, against the previous build's fingerprint of what it saw
    select coalesce(max(case when seen.history_rows = now_seen.history_rows and seen.history_hash = now_seen.history_hash then 1 else 0 end), 0) = 1
        as is_unchanged
    from (
        select
            count(*) as history_rows,
            cast(coalesce(sum(raw_rows.row_hash), 0) as {{ dbt.type_string() }}) as history_hash
        from {{ raw_rows }} as raw_rows
        cross join watermark
        where coalesce(raw_rows.loaded_at < watermark.since, true)
    ) as now_seen
    cross join (
        select history_rows, history_hash from {{ previous_refresh }} where row_kind = 'history'
    ) as seen

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

    select
        'key' as row_kind,
        changed.refresh_key,
        cast(null as bigint) as history_rows,
        cast(null as {{ dbt.type_string() }}) as history_hash
    from changed
    cross join unchanged_history
    where unchanged_history.is_unchanged
    union all
    {{ all_keys_row }}
    from unchanged_history
    where not unchanged_history.is_unchanged
    union all
    select * from history

)
    {%- endif %}

select * from refresh_keys
{%- endmacro %}
