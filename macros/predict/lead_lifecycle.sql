{#- Expressions of int_contact__lifecycle and int_contact__demographics (through demographics_ctes) that the lead
    training examples compute per cut-off too (int_predict__lifecycle, int_predict__lead_fit_inputs): one source for
    the production model and its training feature. -#}

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

{#- Age in whole years on the as-of date, one more on each birthday; null without a birth date or for a birth date
    after the as-of date. `as_of`: none (the build's as-of date, as constants) or a date column. -#}
{% macro age_years_expr(birth_date, as_of=none) -%}
    {%- if as_of is none -%}
        {%- set value = as_of_date_value() -%}
        {%- set as_of_sql = as_of_date() -%}
        {%- set as_of_year = value[0:4] | int -%}
        {%- set as_of_month_day = (value[5:7] ~ value[8:10]) | int -%}
    {%- else -%}
        {%- set as_of_sql = as_of -%}
        {%- set as_of_year = 'extract(year from ' ~ as_of ~ ')' -%}
        {%- set as_of_month_day = 'extract(month from ' ~ as_of ~ ') * 100 + extract(day from ' ~ as_of ~ ')' -%}
    {%- endif -%}
    case
        when {{ birth_date }} is not null and {{ birth_date }} <= {{ as_of_sql }}
            then cast(
                {{ as_of_year }} - extract(year from {{ birth_date }})
                - case
                    when
                        extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                        > {{ as_of_month_day }}
                        then 1
                    else 0
                end
                as {{ dbt.type_int() }}
            )
    end
{%- endmacro %}
