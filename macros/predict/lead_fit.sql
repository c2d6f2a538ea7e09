{#- The enrichment and lead fit formulas as CTEs, shared by the production models int_account__firmographics,
    int_contact__company_domain, int_contact__job_role and int_lead__fit_inputs (one as-of date) and the training
    examples of leads (int_predict__accounts, int_predict__company_domains, int_predict__job_roles,
    int_predict__lead_fit_inputs: one row per cut-off), so that a training feature is the production formula.
    Every macro takes the names of its input CTEs (each carrying the `keys` columns too) and `keys`: the columns that
    tell the as-of dates apart ([] in production, ['cutoff_date'] for the training examples); they lead every join and
    partition and come first in final. The caller defines the input CTEs, then the macro call, and ends with
    `select * from final`. None of these formulas reads the as-of date itself: only their inputs change with it. -#}

{%- macro key_columns_of(alias, keys) -%}
    {%- for k in keys %}
        {{ alias }}.{{ k }},
    {%- endfor %}
{%- endmacro %}

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

{#- int_contact__company_domain: classified ... final. `contacts`: golden contacts (contact_id, account_id,
    email_domain); `accounts`: golden accounts (account_id, domain); `free_mail_domains`: the seed. -#}
{% macro company_domain_ctes(contacts, accounts, free_mail_domains, keys=[]) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
classified as (

    select
        {{- key_columns_of(contacts, keys) }}
        {{ contacts }}.contact_id,
        {{ contacts }}.account_id,
        {{ contacts }}.email_domain,
        {{ accounts }}.domain as account_domain,
        coalesce({{ free_mail_domains }}.kind = 'free', false) as is_free_mail,
        coalesce({{ free_mail_domains }}.kind = 'disposable', false) as is_disposable,
        account_mail_domains.domain is not null as is_account_domain_mail_provider
    from {{ contacts }}
    left join {{ accounts }}
        on {{ contacts }}.account_id = {{ accounts }}.account_id{{ keys_match(contacts, accounts, keys) }}
    left join {{ free_mail_domains }}
        on {{ contacts }}.email_domain = {{ free_mail_domains }}.domain
    left join {{ free_mail_domains }} as account_mail_domains
        on {{ accounts }}.domain = account_mail_domains.domain

),

final as (

    select
        -- ids
        {{ key_prefix }}contact_id,
        account_id,

        -- company domain
        case
            when account_domain is not null and not is_account_domain_mail_provider then account_domain
            when not is_free_mail and not is_disposable then email_domain
        end as company_domain,
        case
            when account_domain is not null and not is_account_domain_mail_provider then 'account_website'
            when email_domain is not null and not is_free_mail and not is_disposable then 'email_domain'
        end as domain_source,

        -- e-mail domain
        email_domain,
        is_free_mail,
        is_disposable

    from classified

)
{%- endmacro %}

{#- int_contact__job_role: normalised ... final. `contacts`: golden contacts (contact_id, job_title);
    `keywords`: the seed job_title_keywords. Titles are matched once each, whatever the keys. -#}
{% macro job_role_ctes(contacts, keywords, keys=[]) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
normalised as (

    select
        {{ key_prefix }}contact_id,
        job_title,
        -- accented letters (both cases) to plain lower-case ones, ligatures spelt out, then lower case
        lower(
            replace(
                replace(
                    translate(
                        job_title,
                        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸŒÆàáâãäåçèéêëìíîïñòóôõöùúûüýÿ',
                        'aaaaaaceeeeiiiinooooouuuuyyœæaaaaaaceeeeiiiinooooouuuuyy'
                    ),
                    'œ', 'oe'
                ),
                'æ', 'ae'
            )
        ) as title_lower
    from {{ contacts }}

),

keyed as (

    select
        {{ key_prefix }}contact_id,
        job_title,
        -- ' word word ': words separated and surrounded by single spaces, so whole words match with like
        nullif(trim({{ regex_replace_all('title_lower', '[^a-z0-9]+', ' ') }}), '') as title_normalised
    from normalised

),

titles as (

    select distinct title_normalised
    from keyed
    where title_normalised is not null

),

matches as (

    select
        titles.title_normalised,
        {{ keywords }}.keyword,
        {{ keywords }}.job_function,
        {{ keywords }}.seniority,
        {{ keywords }}.priority
    from titles
    inner join {{ keywords }}
        on ' ' || titles.title_normalised || ' ' like '% ' || {{ keywords }}.keyword || ' %'

),

function_matches as (

    select
        title_normalised,
        job_function,
        keyword,
        row_number() over (
            partition by title_normalised
            order by priority asc, length(keyword) desc, keyword asc
        ) as match_rank
    from matches
    where job_function is not null

),

seniority_matches as (

    select
        title_normalised,
        seniority,
        keyword,
        row_number() over (
            partition by title_normalised
            order by priority asc, length(keyword) desc, keyword asc
        ) as match_rank
    from matches
    where seniority is not null

),

final as (

    select
        -- ids
        {{- key_columns_of('keyed', keys) }}
        keyed.contact_id,

        -- title
        keyed.job_title,
        keyed.title_normalised as job_title_normalised,

        -- role
        coalesce(function_matches.job_function, 'other') as job_function,
        coalesce(seniority_matches.seniority, 'unknown') as seniority,

        -- explanation: the keyword that decided each attribute (NULL when none matched)
        function_matches.keyword as job_function_keyword,
        seniority_matches.keyword as seniority_keyword

    from keyed
    left join function_matches
        on
            keyed.title_normalised = function_matches.title_normalised
            and function_matches.match_rank = 1
    left join seniority_matches
        on
            keyed.title_normalised = seniority_matches.title_normalised
            and seniority_matches.match_rank = 1

)
{%- endmacro %}

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
