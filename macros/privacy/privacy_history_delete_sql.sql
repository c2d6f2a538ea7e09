{% macro privacy_history_delete_sql(relation) -%}
delete from {{ relation }}
where
    entity_type in ('customer', 'lead')
    and entity_id in ({{ privacy_excluded_contacts() }})
{%- endmacro %}
