{#- Fails on every row whose non-NULL `column_name` does not match the regular expression `pattern` (anchored with ^
    and $ when the whole value must match). NULLs pass: combine with not_null when the column is required. -#}
{% test matches_pattern(model, column_name, pattern) %}

select *
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ regex_matches(column_name, pattern) }}

{% endtest %}
