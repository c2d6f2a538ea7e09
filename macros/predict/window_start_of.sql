{#- window_start() of the as-of column `as_of` of the relation `alias` (none: the build's as-of date). -#}
{% macro window_start_of(alias, as_of, days) -%}
    {{- window_start(none if as_of is none else alias ~ '.' ~ as_of, days) -}}
{%- endmacro %}
