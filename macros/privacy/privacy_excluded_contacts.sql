{#- The contacts whose history must go, as a SQL subquery of contact ids: people erased as of the as-of date
    (base_crm__erased_contacts, every source id, so every golden id the person had at any date) and contacts who
    objected to profiling (int_privacy__profiling_objections). -#}
{% macro privacy_excluded_contacts() -%}
    select objections.contact_id from {{ ref('int_privacy__profiling_objections') }} as objections
    {%- if var('enable_erasure_requests', true) %}
        union
        select erased.contact_id from {{ ref('base_crm__erased_contacts') }} as erased
    {%- endif %}
{%- endmacro %}
