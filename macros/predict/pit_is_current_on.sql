{#- Filter: the version `version` is current on the date `date_sql` (a SQL date expression, e.g. a literal): the same
    interval as pit_is_current, for a model that builds a single cut-off whose date is known when it compiles (a
    constant gives the planner a row estimate; a join to a one-row cut-off table gives none). -#}
{% macro pit_is_current_on(version, date_sql) -%}
    {{ version }}.valid_from <= {{ date_sql }}
    and ({{ version }}.valid_to is null or {{ date_sql }} < {{ version }}.valid_to)
{%- endmacro %}
