{#- int_account__firmographics: crm_banded ... final. `accounts`: golden accounts shaped like int_accounts;
    `employee_bands`, `revenue_bands`: the seeds; `firmographics`: current enrichment rows shaped like
    stg_enrichment__firmographics (domain, industry, employee_range, revenue_range, marketing_budget, technologies,
    loaded_at), empty when enrichment is switched off. -#}
{% macro account_firmographics_ctes(accounts, employee_bands, revenue_bands, firmographics, keys=[]) -%}
    {%- set precedence = var('enrichment_precedence', 'crm_first') -%}
    {%- if precedence not in ['crm_first', 'enrichment_first'] -%}
        {{ exceptions.raise_compiler_error(
            "var enrichment_precedence must be 'crm_first' or 'enrichment_first', got '" ~ precedence ~ "'"
        ) }}
    {%- endif -%}
    {%- set first = 'crm' if precedence == 'crm_first' else 'enrichment' -%}
    {%- set second = 'enrichment' if precedence == 'crm_first' else 'crm' -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
crm_banded as (

    select
        {{- key_columns_of(accounts, keys) }}
        {{ accounts }}.account_id,
        {{ accounts }}.domain,
        {{ accounts }}.account_name,
        {{ accounts }}.country_code,
        {{ accounts }}.employee_count,
        {{ accounts }}.annual_revenue,
        {{ accounts }}.industry as crm_industry,
        {{ employee_bands }}.employee_band as crm_employee_band,
        {{ revenue_bands }}.revenue_band as crm_revenue_band,
        cast(null as decimal(18, 2)) as crm_marketing_budget,
        cast(null as {{ dbt.type_string() }}) as crm_technologies
    from {{ accounts }}
    left join {{ employee_bands }}
        on
            {{ accounts }}.employee_count >= {{ employee_bands }}.min_employees
            and (
                {{ accounts }}.employee_count <= {{ employee_bands }}.max_employees
                or {{ employee_bands }}.max_employees is null
            )
    left join {{ revenue_bands }}
        on
            {{ accounts }}.annual_revenue >= {{ revenue_bands }}.min_revenue
            and (
                {{ accounts }}.annual_revenue < {{ revenue_bands }}.max_revenue
                or {{ revenue_bands }}.max_revenue is null
            )

),

side_by_side as (

    select
        crm_banded.*,
        {{ firmographics }}.domain is not null as has_enrichment,
        {{ firmographics }}.industry as enrichment_industry,
        {{ firmographics }}.employee_range as enrichment_employee_band,
        {{ firmographics }}.revenue_range as enrichment_revenue_band,
        {{ firmographics }}.marketing_budget as enrichment_marketing_budget,
        {{ firmographics }}.technologies as enrichment_technologies,
        {{ firmographics }}.loaded_at as enrichment_loaded_at
    from crm_banded
    left join {{ firmographics }}
        on crm_banded.domain = {{ firmographics }}.domain{{ keys_match('crm_banded', firmographics, keys) }}

),

final as (

    select
        -- ids
        {{ key_prefix }}account_id,
        domain,

        -- CRM attributes
        account_name,
        country_code,
        employee_count,
        annual_revenue,

        -- firmographics according to the CRM (bands mapped from employee_count and annual_revenue)
        crm_industry,
        crm_employee_band,
        crm_revenue_band,
        crm_marketing_budget,
        crm_technologies,

        -- firmographics according to the enrichment provider
        has_enrichment,
        enrichment_industry,
        enrichment_employee_band,
        enrichment_revenue_band,
        enrichment_marketing_budget,
        enrichment_technologies,
        enrichment_loaded_at,

        -- final firmographics: the first source (var enrichment_precedence) that has a value
        '{{ precedence }}' as enrichment_precedence,
        coalesce({{ first }}_industry, {{ second }}_industry) as industry,
        coalesce({{ first }}_employee_band, {{ second }}_employee_band) as employee_band,
        coalesce({{ first }}_revenue_band, {{ second }}_revenue_band) as revenue_band,
        coalesce({{ first }}_marketing_budget, {{ second }}_marketing_budget) as marketing_budget,
        coalesce({{ first }}_technologies, {{ second }}_technologies) as technologies,

        -- which source filled each final field ('crm', 'enrichment'; NULL when neither had a value)
        case
            when {{ first }}_industry is not null then '{{ first }}'
            when {{ second }}_industry is not null then '{{ second }}'
        end as industry_source,
        case
            when {{ first }}_employee_band is not null then '{{ first }}'
            when {{ second }}_employee_band is not null then '{{ second }}'
        end as employee_band_source,
        case
            when {{ first }}_revenue_band is not null then '{{ first }}'
            when {{ second }}_revenue_band is not null then '{{ second }}'
        end as revenue_band_source,
        case
            when {{ first }}_marketing_budget is not null then '{{ first }}'
            when {{ second }}_marketing_budget is not null then '{{ second }}'
        end as marketing_budget_source,
        case
            when {{ first }}_technologies is not null then '{{ first }}'
            when {{ second }}_technologies is not null then '{{ second }}'
        end as technologies_source,

        -- conflicts: both sources have a value and they differ (text compared case-insensitively)
        coalesce(lower(crm_industry) <> lower(enrichment_industry), false) as is_industry_conflict,
        coalesce(crm_employee_band <> enrichment_employee_band, false) as is_employee_band_conflict,
        coalesce(crm_revenue_band <> enrichment_revenue_band, false) as is_revenue_band_conflict,
        coalesce(crm_marketing_budget <> enrichment_marketing_budget, false) as is_marketing_budget_conflict,
        coalesce(lower(crm_technologies) <> lower(enrichment_technologies), false) as is_technologies_conflict

    from side_by_side

)
{%- endmacro %}
