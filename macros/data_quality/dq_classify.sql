{#- Point-in-time visibility, versioning and status of raw rows: the last step of every staging model.

    `relation` is a CTE whose rows carry the staged columns plus `loaded_at` (when the row reached the raw layer) and
    `dq_reason_code` (NULL, or the code of the row-level defect that sends it to quarantine). The macro adds:
    - valid_version_rank: the row's place among the rows sharing its key, visible valid rows first and newest first
      (one window per key, the costliest step at scale, so only one);
    - raw_row_key: unique per raw row: the key, '~' and valid_version_rank (exact duplicates get distinct keys; for a
      key with several rows the numbering follows the classification, so it can differ between as-of dates);
    - is_visible: loaded before the as-of cutoff (rows loaded later did not exist for a build as of that date);
    - dq_status: 'erased' (the boolean column `erased` names is true: a row of a person erased as of the as-of date,
      whenever it was loaded and whatever its defect; counted apart in dq_reconciliation, never quarantined; its
      dq_reason_code is its defect, or 'erased' when it has none, so that readers of valid rows skip it),
      'after_as_of' (not visible), 'quarantined' (a
      row-level defect), 'current' (the newest valid version of its key) or 'superseded' (an older or duplicate
      version of a key that has a current row).
    `newest_first` orders the versions of one key, newest first, and must end with enough columns to break ties.
    `erased`: the name of the relation's boolean column flagging rows of erased people (privacy_is_erased), for the
    tables with a contact; none for the others. -#}
{% macro dq_classify(relation, key_columns, newest_first, erased=none) -%}
    {%- set key_expr -%}
        {%- for c in key_columns -%}
            coalesce(cast({{ c }} as {{ dbt.type_string() }}), '<null>'){% if not loop.last %} || '|' || {% endif %}
        {%- endfor -%}
    {%- endset -%}
    select
        *,
        {{ key_expr }} || '~' || cast(valid_version_rank as {{ dbt.type_string() }}) as raw_row_key,
        case
            {%- if erased %}
                when {{ erased }} then 'erased'
            {%- endif %}
            when not is_visible then 'after_as_of'
            when dq_reason_code is not null then 'quarantined'
            when valid_version_rank = 1 then 'current'
            else 'superseded'
        end as dq_status
    from (
        select
            *,
            -- one window per key: visible valid rows first, newest first; the first of them is the current one
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    case when is_visible and dq_reason_code is null then 0 else 1 end,
                    {{ newest_first }}
            ) as valid_version_rank
        from (
            select
                *,
                coalesce(loaded_at < {{ as_of_cutoff() }}, true) as is_visible
            from {{ relation }}
        ) as with_visibility
    ) as ranked
{%- endmacro %}
