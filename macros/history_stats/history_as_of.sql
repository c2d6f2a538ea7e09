{#- The rows of a history relation that a build as of D may read: those dated on or before D (var as_of_date), so
    that a build as of D says what it would have said on D, whatever later dates the history holds. A select, for
    an import CTE of the model that reads the history. -#}
{% macro history_as_of(relation, date_column='as_of_date') -%}
    select * from {{ relation }}
    where {{ date_column }} <= {{ as_of_date() }}
{%- endmacro %}
