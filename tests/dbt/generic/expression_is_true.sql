{#- Row-level assertion: returns every row for which the boolean `expression` is false or NULL. Usable on a model or
    on a column (column_name is then accepted and ignored: the expression names the columns it reads). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
