{#- The channels an audience may go to. -#}
{% macro activation_channels() -%}
    {{ return(['email', 'phone', 'ads', 'crm']) }}
{%- endmacro %}
