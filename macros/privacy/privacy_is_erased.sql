{#- A SQL condition: the raw row's contact `contact_column` belongs to a person erased as of the as-of date
    (base_crm__erased_contacts). Always false when the optional table crm.erasure_requests is switched off. -#}
{% macro privacy_is_erased(contact_column) -%}
    {%- if var('enable_erasure_requests', true) -%}
        {{ contact_column }} in (select erased.contact_id from {{ ref('base_crm__erased_contacts') }} as erased)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
