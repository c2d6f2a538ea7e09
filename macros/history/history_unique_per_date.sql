{#- Generic test on a history model: for the build's as-of date, fails when a combination of `columns` appears on
    more than one row (as unique_combination does on a whole table); returns each with its row count. -#}
{% test history_unique_per_date(model, columns) %}

select
    {% for column in columns %}{{ column }}, {% endfor %}
    count(*) as row_count
from {{ model }}
where as_of_date = {{ as_of_date() }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
