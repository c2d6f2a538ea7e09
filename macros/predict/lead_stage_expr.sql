{#- A lead's stage (D12): customer, else opportunity (an open deal), else sql, mql, subscriber from the CRM stage,
    else lead. Arguments are SQL expressions. -#}
{% macro lead_stage_expr(is_customer, has_open_opportunity, crm_lifecycle_stage) -%}
    case
        when {{ is_customer }} then 'customer'
        when {{ has_open_opportunity }} then 'opportunity'
        when {{ crm_lifecycle_stage }} in ('opportunity', 'sql') then 'sql'
        when {{ crm_lifecycle_stage }} = 'mql' then 'mql'
        when {{ crm_lifecycle_stage }} = 'subscriber' then 'subscriber'
        else 'lead'
    end
{%- endmacro %}
