{#- Join condition: the version `version` is current as of the cut-off `cutoff` (column cutoff_date). -#}
{% macro pit_is_current(version, cutoff) -%}
    {{ version }}.valid_from <= {{ cutoff }}.cutoff_date
    and ({{ version }}.valid_to is null or {{ cutoff }}.cutoff_date < {{ version }}.valid_to)
{%- endmacro %}
