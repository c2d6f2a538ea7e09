{#- Generic test on a history model: returns every row of the build's as-of date for which the boolean
    `expression` is false or NULL (as expression_is_true does on a whole table). Usable on a model or a column. -#}
{% test history_rows_are_true(model, expression, column_name=none) %}

select *
from {{ model }}
where
    as_of_date = {{ as_of_date() }}
    and not coalesce(({{ expression }}), false)

{% endtest %}
