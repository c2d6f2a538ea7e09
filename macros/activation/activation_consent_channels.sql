{#- The channels with a consent default (consent_channels): the audience channels and the objection to profiling. -#}
{% macro activation_consent_channels() -%}
    {{ return(activation_channels() + ['profiling']) }}
{%- endmacro %}
