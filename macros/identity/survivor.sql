{#- The survival rule of a golden record, as one aggregate per attribute over the group's member rows: the value of
    the most recently updated record (the member with recency_rank = 1), else the master record's (is_master), or the
    other way round with first='master'. The members relation must carry recency_rank and is_master, and the query
    must group by the golden key. One pass: no self-join of the members, whose row counts a planner cannot estimate
    after a window filter (PostgreSQL chose a nested loop over every pair of members: 94 s for 8,800 rows, D96). -#}
{% macro survivor(column, first='latest') -%}
    {%- set latest = 'max(case when recency_rank = 1 then ' ~ column ~ ' end)' -%}
    {%- set master = master_value(column) -%}
    {%- if first == 'latest' -%}
        coalesce({{ latest }}, {{ master }})
    {%- elif first == 'master' -%}
        coalesce({{ master }}, {{ latest }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("survivor: first must be 'latest' or 'master', not " ~ first) }}
    {%- endif -%}
{%- endmacro %}
