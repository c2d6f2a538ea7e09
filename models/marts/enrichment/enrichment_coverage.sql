-- How much of the firmographic profile of the golden accounts the CRM holds and how much enrichment filled: one row
-- per firmographic field (industry, employee_band, revenue_band, marketing_budget, technologies), as of the as-of
-- date. Coverage before enrichment is the share of accounts with a CRM value; after, the share with a final value.
{%- set fields = ['industry', 'employee_band', 'revenue_band', 'marketing_budget', 'technologies'] %}

with

accounts as (

    select * from {{ ref('int_account__firmographics') }}

),

counted as (

    {% for field in fields %}
        select
            '{{ field }}' as field_name,
            {{ loop.index }} as field_order,
            count(*) as total_accounts,
            sum(case when has_enrichment then 1 else 0 end) as accounts_with_enrichment,
            sum(case when crm_{{ field }} is not null then 1 else 0 end) as present_in_crm,
            sum(case when enrichment_{{ field }} is not null then 1 else 0 end) as present_in_enrichment,
            sum(case when {{ field }}_source = 'crm' then 1 else 0 end) as filled_by_crm,
            sum(case when {{ field }}_source = 'enrichment' then 1 else 0 end) as filled_by_enrichment,
            sum(case when {{ field }} is null then 1 else 0 end) as missing,
            sum(case when is_{{ field }}_conflict then 1 else 0 end) as conflicts
        from accounts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        -- ids
        cast(field_name as {{ dbt.type_string() }}) as field_name,
        cast(field_order as integer) as field_order,
        {{ as_of_date() }} as as_of_date,
        cast('{{ var("enrichment_precedence", "crm_first") }}' as {{ dbt.type_string() }}) as enrichment_precedence,

        -- counts of golden accounts
        cast(total_accounts as integer) as total_accounts,
        cast(coalesce(accounts_with_enrichment, 0) as integer) as accounts_with_enrichment,
        cast(coalesce(present_in_crm, 0) as integer) as present_in_crm,
        cast(coalesce(present_in_enrichment, 0) as integer) as present_in_enrichment,
        cast(coalesce(filled_by_crm, 0) as integer) as filled_by_crm,
        cast(coalesce(filled_by_enrichment, 0) as integer) as filled_by_enrichment,
        cast(coalesce(missing, 0) as integer) as missing,
        cast(coalesce(conflicts, 0) as integer) as conflicts,

        -- shares of golden accounts, 0-1 (NULL when there is no account)
        cast(round(1.0 * present_in_crm / nullif(total_accounts, 0), 4) as decimal(5, 4))
            as coverage_before_enrichment,
        cast(round(1.0 * (total_accounts - missing) / nullif(total_accounts, 0), 4) as decimal(5, 4))
            as coverage_after_enrichment

    from counted

)

select * from final
