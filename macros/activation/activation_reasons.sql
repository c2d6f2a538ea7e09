{#- Why an entity an audience selected is left out, in the order they are checked: an excluded row carries the first
    that applies. -#}
{% macro activation_reasons() -%}
    {{ return(['do_not_contact', 'unsubscribed', 'hard_bounce', 'no_consent', 'missing_address']) }}
{%- endmacro %}
