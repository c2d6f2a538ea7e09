-- Golden accounts with their firmographics as of every cut-off: one row per cut-off and golden account, the rows and
-- columns int_account__firmographics has in a build as of that cut-off. The survival rule of int_accounts (each
-- attribute from the most recently updated record of the group, the master's as fallback) runs on the account versions
-- current at the cut-off (int_predict__account_identity); the enrichment rows are the firmographics versions current
-- then (macro pit_versions, the key and version order of stg_enrichment__firmographics); CRM and enrichment are
-- combined by the production formula (macro account_firmographics_ctes).
with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

account_versions as (

    select * from {{ ref('int_predict__account_identity') }}

),

employee_bands as (

    select * from {{ ref('employee_bands') }}

),

revenue_bands as (

    select * from {{ ref('revenue_bands') }}

),

{% if var('enable_enrichment', true) %}
    staged_firmographics as (

        select * from {{ ref('stg_enrichment__firmographics') }}

    ),

    firmographic_versions as (

        {{ pit_versions('staged_firmographics', ['domain'], 'loaded_at desc, domain_raw, industry, employee_range') }}

    ),

    firmographics as (

        select
            cutoffs.cutoff_date,
            firmographic_versions.domain,
            firmographic_versions.industry,
            firmographic_versions.employee_range,
            firmographic_versions.revenue_range,
            firmographic_versions.marketing_budget,
            firmographic_versions.technologies,
            firmographic_versions.loaded_at
        from cutoffs
        inner join firmographic_versions
            on {{ pit_is_current('firmographic_versions', 'cutoffs') }}

    ),
{% else %}
    firmographics as (

        select
            cast(null as date) as cutoff_date,
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

-- int_accounts per cut-off
members as (

    select
        *,
        account_id = master_account_id as is_master,
        row_number() over (
            partition by cutoff_date, master_account_id
            order by updated_at desc nulls last, loaded_at desc, account_id asc
        ) as recency_rank
    from account_versions

),

-- one pass per cut-off and golden account (macro survivor: the latest record's value, else the master's)
accounts as (

    select
        cutoff_date,
        master_account_id as account_id,
        {{ master_value('domain') }} as domain,
        {{ survivor('account_name') }} as account_name,
        {{ survivor('industry') }} as industry,
        {{ survivor('employee_count') }} as employee_count,
        {{ survivor('annual_revenue') }} as annual_revenue,
        {{ survivor('country_code') }} as country_code,
        count(*) as merged_record_count,
        min(created_at) as created_at,
        max(updated_at) as updated_at
    from members
    group by cutoff_date, master_account_id
    having max(case when is_master then 1 else 0 end) = 1

),

{{ account_firmographics_ctes('accounts', 'employee_bands', 'revenue_bands', 'firmographics', keys=['cutoff_date']) }}

select * from final
