{#- Row-level assertion: returns every row for which the boolean `expression` is false or NULL. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
