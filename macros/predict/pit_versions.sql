{#- Validity intervals of the versions of a staged table, for models that read many as-of dates at once.

    A build as of D keeps, per key, the newest valid version visible at D (dq_classify): a row is visible when
    loaded_at < D + 1 day, valid when it has no row-level defect, and a row dated after D ('future_date' on the
    column `dated_by`) is a defect at D only. So a version is eligible from
        valid_from = max(loaded date, date of `dated_by`)
    on, and it is current at D from then until a version that `newest_first` ranks before it becomes eligible:
        valid_to = min(valid_from of the versions ranked before it)   (exclusive; null: still current)
    One window pass per key, no cut-off x version join. A version superseded before it became eligible
    (valid_to <= valid_from) is never current and is left out. Joining a spine of cut-offs on
    valid_from <= cutoff_date < valid_to (pit_is_current) gives each key's version as of each cut-off.

    - relation: the staging model (or a CTE of it); its rows carry loaded_at and dq_reason_code as of the build's
      as-of date. Every cut-off is on or before that date, so a row the build flags 'future_date' is dated after every
      cut-off and is never eligible; any other code is a defect at every date.
    - key_columns, newest_first: exactly as the staging model passes them to dq_classify.
    - dated_by: the column the staging model checks for 'future_date' (none when it checks none). -#}
{% macro pit_versions(relation, key_columns, newest_first, dated_by=none) -%}
    {%- set origin = "cast('0001-01-01' as date)" -%}
    select
        *,
        cast(superseded_on as date) as valid_to
    from (
        select
            *,
            min(valid_from) over (
                partition by {{ key_columns | join(', ') }}
                order by {{ newest_first }}
                rows between unbounded preceding and 1 preceding
            ) as superseded_on
        from (
            select
                *,
                greatest(
                    coalesce(cast(loaded_at as date), {{ origin }}),
                    {%- if dated_by is not none %}
                        coalesce(cast({{ dated_by }} as date), {{ origin }})
                    {%- else %}
                        {{ origin }}
                    {%- endif %}
                ) as valid_from
            from {{ relation }}
            where dq_reason_code is null
        ) as eligible
    ) as ranked
    where superseded_on is null or superseded_on > valid_from
{%- endmacro %}
