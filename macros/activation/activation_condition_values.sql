{#- The value an audience's condition tests on an entity, as two columns condition_number and condition_text: a CASE
    over the condition fields of the entity type on audiences.condition_field (numbers as doubles; texts; yes/no
    columns as 'true' / 'false'); `alias` is the score mart's alias in the query. -#}
{% macro activation_condition_values(entity_type, alias) -%}
    {%- set fields = activation_condition_fields(entity_type) -%}
    {%- if fields['number'] %}
        case audiences.condition_field
        {%- for f in fields['number'] %}
            when '{{ f }}' then cast({{ alias }}.{{ f }} as {{ type_double() }})
        {%- endfor %}
        end
    {%- else %}
        cast(null as {{ type_double() }})
    {%- endif %} as condition_number,
    {%- if fields['text'] or fields['boolean'] %}
        case audiences.condition_field
        {%- for f in fields['text'] %}
            when '{{ f }}' then cast({{ alias }}.{{ f }} as {{ dbt.type_string() }})
        {%- endfor %}
        {%- for f in fields['boolean'] %}
            when '{{ f }}' then case when {{ alias }}.{{ f }} then 'true' when not {{ alias }}.{{ f }} then 'false' end
        {%- endfor %}
        end
    {%- else %}
        cast(null as {{ dbt.type_string() }})
    {%- endif %} as condition_text
{%- endmacro %}
