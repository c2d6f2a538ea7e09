{#- int_lead__fit_inputs: profiled ... final. Inputs (all carrying the keys): `leads` (contact_id, account_id of the
    leads), `contacts` (golden contacts: contact_id, country_code), `company_domains` (int_contact__company_domain),
    `accounts` (int_account__firmographics), `account_countries_given` (account_id, is_country_given: a country was
    written on a current record of the golden account), `firmographics` (current enrichment rows; none when
    enrichment is switched off), `roles` (int_contact__job_role), `demographics` (int_contact__demographics: age_band,
    age_band_fit, location_fit, is_country_unknown), `icp` (the seed ideal_company_profile). -#}
{% macro lead_fit_inputs_ctes(
    leads, contacts, company_domains, accounts, account_countries_given, firmographics, roles, demographics, icp,
    keys=[]
) -%}
profiled as (

    select
        {{- key_columns_of(leads, keys) }}
        {{ leads }}.contact_id,
        {{ leads }}.account_id,
        {{ company_domains }}.company_domain,
        {{ leads }}.account_id is not null or {{ company_domains }}.company_domain is not null as is_b2b,
        {% if firmographics is not none %}
            coalesce({{ accounts }}.industry, {{ firmographics }}.industry) as industry,
            coalesce({{ accounts }}.employee_band, {{ firmographics }}.employee_range) as employee_band,
            coalesce({{ accounts }}.revenue_band, {{ firmographics }}.revenue_range) as revenue_band,
        {% else %}
            {{ accounts }}.industry,
            {{ accounts }}.employee_band,
            {{ accounts }}.revenue_band,
        {% endif %}
        coalesce({{ accounts }}.country_code, {{ contacts }}.country_code) as company_country_code,
        -- a raw value was given, whether or not it maps to a band or a country (the contact's own country: when it
        -- is not recognised, int_contact__demographics flags it)
        {{ accounts }}.employee_count is not null as is_employee_count_given,
        {{ accounts }}.annual_revenue is not null as is_annual_revenue_given,
        coalesce({{ account_countries_given }}.is_country_given, false)
        or coalesce({{ demographics }}.is_country_unknown, false) as is_company_country_given,
        {{ roles }}.job_function,
        {{ roles }}.seniority,
        {{ demographics }}.age_band,
        {{ demographics }}.age_band_fit,
        {{ demographics }}.location_fit
    from {{ leads }}
    inner join {{ contacts }}
        on {{ leads }}.contact_id = {{ contacts }}.contact_id{{ keys_match(leads, contacts, keys) }}
    left join {{ company_domains }}
        on {{ leads }}.contact_id = {{ company_domains }}.contact_id{{ keys_match(leads, company_domains, keys) }}
    left join {{ accounts }}
        on {{ leads }}.account_id = {{ accounts }}.account_id{{ keys_match(leads, accounts, keys) }}
    left join {{ account_countries_given }}
        on
            {{ leads }}.account_id = {{ account_countries_given }}.account_id
            {{- keys_match(leads, account_countries_given, keys) }}
    {% if firmographics is not none %}
        left join {{ firmographics }}
            on
                {{ leads }}.account_id is null
                and {{ company_domains }}.company_domain = {{ firmographics }}.domain
                {{- keys_match(company_domains, firmographics, keys) }}
    {% endif %}
    left join {{ roles }}
        on {{ leads }}.contact_id = {{ roles }}.contact_id{{ keys_match(leads, roles, keys) }}
    left join {{ demographics }}
        on {{ leads }}.contact_id = {{ demographics }}.contact_id{{ keys_match(leads, demographics, keys) }}

),

{%- set attributes = [
    ('industry', 'industry'), ('employee_band', 'employee_band'), ('revenue_band', 'revenue_band'),
    ('country_code', 'company_country_code'), ('job_function', 'job_function'), ('seniority', 'seniority'),
] %}
{%- set given = {
    'employee_band': 'profiled.is_employee_count_given',
    'revenue_band': 'profiled.is_annual_revenue_given',
    'country_code': 'profiled.is_company_country_given',
} %}

final as (

    select
        -- ids
        {{- key_columns_of('profiled', keys) }}
        profiled.contact_id,
        profiled.account_id,
        profiled.company_domain,
        profiled.is_b2b,

        -- profile
        profiled.industry,
        profiled.employee_band,
        profiled.revenue_band,
        profiled.company_country_code,
        profiled.job_function,
        profiled.seniority,
        profiled.age_band,

        -- fit 0-1 (B2B attributes for B2B leads, demographics for B2C leads)
        {% for attribute, column in attributes %}
            case
                when profiled.is_b2b
                    then {{ profile_fit(attribute, 'profiled.' ~ column, given.get(attribute)) }}
            end as {{ 'country' if attribute == 'country_code' else attribute }}_fit,
        {% endfor %}
        case when not profiled.is_b2b then profiled.age_band_fit end as age_band_fit,
        case when not profiled.is_b2b then profiled.location_fit end as location_fit

    from profiled
    {{ profile_fit_joins(icp, 'profiled', attributes) }}

)
{%- endmacro %}
