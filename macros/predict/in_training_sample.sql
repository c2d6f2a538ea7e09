{#- Condition: the golden contact id `contact_id` is in the training sample; `threshold` is the alias of a relation
    selected by training_sample_threshold. -#}
{% macro in_training_sample(contact_id, threshold) -%}
    ({{ threshold }}.sample_threshold is null or md5({{ contact_id }}) <= {{ threshold }}.sample_threshold)
{%- endmacro %}
