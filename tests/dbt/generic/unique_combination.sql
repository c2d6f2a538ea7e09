{#- Fails when a combination of `columns` appears on more than one row; returns each duplicated combination with
    its row count. NULLs count as a value (two rows with the same columns, one of them NULL, are duplicates). -#}
{% test unique_combination(model, columns) %}

select
    {% for column in columns %}{{ column }}, {% endfor %}
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
