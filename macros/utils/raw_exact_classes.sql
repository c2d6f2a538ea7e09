{#- Physical type classes whose values always convert exactly to a kind (no unreadable value possible). -#}
{% macro raw_exact_classes(kind) -%}
    {%- set exact = {
        'timestamp': ['timestamp', 'timestamptz', 'date'],
        'date': ['date', 'timestamp', 'timestamptz'],
        'integer': ['integer'],
        'decimal': ['integer'],
        'boolean': ['boolean'],
        'text': ['text', 'timestamp', 'timestamptz', 'date', 'integer', 'number', 'boolean', 'unknown', 'other'],
    } -%}
    {{ return(exact[kind]) }}
{%- endmacro %}
