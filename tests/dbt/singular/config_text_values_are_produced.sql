-- Every value the models produce for a text criterion or text attribute is one macro known_text_values lists (job
-- functions and seniorities read from a job_title_keywords row come from that seed): the lists
-- int_scoring__config_errors holds criterion_categories, points and MQL rules and the ideal profiles to. Returns one
-- row per value produced but not listed: add it to the macro together with the model that produces it.
{%- set text_values = known_text_values() %}

with

criteria as (

    select * from {{ ref('int_customer__criteria') }}

),

leads as (

    select * from {{ ref('int_lead__summary') }}

),

demographics as (

    select * from {{ ref('int_contact__demographics') }}

),

job_roles as (

    select * from {{ ref('int_contact__job_role') }}

),

produced as (

    select distinct
        criterion as value_name,
        value_text as produced_value
    from criteria
    where value_text is not null
    union all
    select distinct
        'lead_stage' as value_name,
        lead_stage as produced_value
    from leads
    where lead_stage is not null
    union all
    select distinct
        'gender' as value_name,
        gender as produced_value
    from demographics
    where gender is not null
    union all
    select distinct
        'job_function' as value_name,
        job_function as produced_value
    from job_roles
    where job_function_keyword is null
    union all
    select distinct
        'seniority' as value_name,
        seniority as produced_value
    from job_roles
    where seniority_keyword is null

),

known as (

    {%- set rows = [] %}
    {%- for name, values in text_values.items() %}
        {%- for v in values %}
            {%- do rows.append("('" ~ name ~ "', '" ~ v ~ "')") %}
        {%- endfor %}
    {%- endfor %}

    select
        known_values.value_name,
        known_values.known_value
    from (values {{ rows | join(', ') }}) as known_values (value_name, known_value)

),

final as (

    select
        produced.value_name,
        produced.produced_value
    from produced
    where
        not exists (
            select 1 from known
            where known.value_name = produced.value_name and known.known_value = produced.produced_value
        )

)

select * from final
