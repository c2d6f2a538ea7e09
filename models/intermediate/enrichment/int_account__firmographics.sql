-- Golden accounts with their CRM firmographics and the enrichment provider's side by side: one row per golden
-- account (int_accounts). Enrichment rows (stg_enrichment__firmographics, current as of the as-of date) join on the
-- normalised website domain. CRM employee counts and revenues are mapped to the provider's bands through the seeds
-- employee_bands and revenue_bands. Each final field takes the value of the source that comes first under var
-- enrichment_precedence ('crm_first', the default: the CRM wins unless its value is missing; 'enrichment_first')
-- and records which source filled it and whether both sources had a value and disagreed. The CRM contract has no
-- marketing budget nor technologies: their CRM columns are typed NULLs, so every field follows the same rule.
-- With var enable_enrichment false, every enrichment column is NULL. The formulas are the macro
-- account_firmographics_ctes, shared with the training examples (int_predict__accounts).
with

accounts as (

    select * from {{ ref('int_accounts') }}

),

employee_bands as (

    select * from {{ ref('employee_bands') }}

),

revenue_bands as (

    select * from {{ ref('revenue_bands') }}

),

{% if var('enable_enrichment', true) %}
    firmographics as (

        select * from {{ ref('stg_enrichment__firmographics') }}
        where dq_status = 'current'

    ),
{% else %}
    firmographics as (

        select
            cast(null as {{ dbt.type_string() }}) as domain,
            cast(null as {{ dbt.type_string() }}) as industry,
            cast(null as {{ dbt.type_string() }}) as employee_range,
            cast(null as {{ dbt.type_string() }}) as revenue_range,
            cast(null as decimal(18, 2)) as marketing_budget,
            cast(null as {{ dbt.type_string() }}) as technologies,
            cast(null as timestamp) as loaded_at
        where false

    ),
{% endif %}

{{ account_firmographics_ctes('accounts', 'employee_bands', 'revenue_bands', 'firmographics') }}

select * from final
