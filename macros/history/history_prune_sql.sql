{#- The statement of history_prune_hooks: delete the rows of `relation` whose as_of_date is more than `days` days
    before its newest as_of_date. -#}
{% macro history_prune_sql(relation, days) -%}
    {{ return(adapter.dispatch('history_prune_sql', 'customer_scoring')(relation, days)) }}
{%- endmacro %}

{% macro default__history_prune_sql(relation, days) -%}
delete from {{ relation }}
where as_of_date < (
    select {{ date_minus_days('max(as_of_date)', days) }}
    from {{ relation }}
)
{%- endmacro %}
