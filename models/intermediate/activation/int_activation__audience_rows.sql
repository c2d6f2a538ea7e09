-- depends_on: {{ ref('int_activation__config_errors') }}
-- Every entity each audience selects, as of the as-of date: one row per audience and entity of the audience's entity
-- type and profile whose tier is one of the audience's tiers (all when empty) and which meets its condition (a column
-- of the entity's score mart compared with macro condition_is_met, as the points and MQL rules are; a NULL value
-- never meets it). `reason` is the first suppression of the contact on the audience's channel (macro
-- activation_reasons), NULL for a member; accounts (channel crm only) have no contact and no suppression.
-- marts.audience_members and marts.audience_exclusions split these rows.
{%- set string = dbt.type_string() %}
{%- set lead_profile = var('lead_primary_profile', 'lead') %}
{%- set account_profile = var('account_primary_profile', 'account') %}

with

audiences as (

    select
        audience,
        entity_type,
        profile,
        tiers,
        condition_field,
        condition_operator,
        -- a yes/no value compares in lower case
        case when lower(condition_value) in ('true', 'false') then lower(condition_value) else condition_value end
            as condition_value,
        {{ safe_decimal('condition_value', 18, 6) }} as condition_number,
        channel
    from {{ ref('audiences') }}

),

customer_profile_scores as (

    select * from {{ ref('customer_profile_scores') }}

),

customer_scores as (

    select * from {{ ref('customer_scores') }}

),

lead_scores as (

    select * from {{ ref('lead_scores') }}

),

account_scores as (

    select * from {{ ref('account_scores') }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

suppressions as (

    select * from {{ ref('int_activation__suppressions') }}

),

candidates as (

    select
        audiences.audience,
        audiences.channel,
        'customer' as entity_type,
        profile_scores.contact_id as entity_id,
        profile_scores.contact_id,
        profile_scores.profile,
        profile_scores.score,
        profile_scores.tier,
        profile_scores.recommended_action,
        audiences.condition_field,
        audiences.condition_operator,
        audiences.condition_value,
        audiences.condition_number as rule_number,
        {{ activation_condition_values('customer', 'customers') }}
    from audiences
    inner join customer_profile_scores as profile_scores
        on audiences.profile = profile_scores.profile
    inner join customer_scores as customers
        on profile_scores.contact_id = customers.contact_id
    where audiences.entity_type = 'customer'
    union all
    select
        audiences.audience,
        audiences.channel,
        'lead' as entity_type,
        leads.contact_id as entity_id,
        leads.contact_id,
        audiences.profile,
        case when audiences.profile = 'lead_fit' then leads.fit_score else leads.lead_score end as score,
        case when audiences.profile = 'lead_fit' then leads.fit_grade else leads.tier end as tier,
        case when audiences.profile = 'lead_fit' then fit_tiers.action else leads.recommended_action end
            as recommended_action,
        audiences.condition_field,
        audiences.condition_operator,
        audiences.condition_value,
        audiences.condition_number as rule_number,
        {{ activation_condition_values('lead', 'leads') }}
    from audiences
    cross join lead_scores as leads
    left join tiers as fit_tiers
        on
            fit_tiers.profile = 'lead_fit'
            and leads.fit_grade = fit_tiers.tier
    where audiences.entity_type = 'lead' and audiences.profile in ('{{ lead_profile }}', 'lead_fit')
    union all
    select
        audiences.audience,
        audiences.channel,
        'account' as entity_type,
        account_rows.account_id as entity_id,
        cast(null as {{ string }}) as contact_id,
        audiences.profile,
        account_rows.account_score as score,
        account_rows.tier,
        account_rows.recommended_action,
        audiences.condition_field,
        audiences.condition_operator,
        audiences.condition_value,
        audiences.condition_number as rule_number,
        {{ activation_condition_values('account', 'account_rows') }}
    from audiences
    cross join account_scores as account_rows
    where audiences.entity_type = 'account' and audiences.profile = '{{ account_profile }}'

),

selected as (

    select candidates.*
    from candidates
    inner join audiences
        on candidates.audience = audiences.audience
    where
        (audiences.tiers is null or {{ activation_list_has('audiences.tiers', 'candidates.tier') }})
        and (
            candidates.condition_field is null
            or coalesce({{ condition_is_met(
                'candidates.condition_number', 'candidates.condition_text', 'candidates.condition_operator',
                'candidates.rule_number', 'candidates.condition_value'
            ) }}, false)
        )

),

first_reasons as (

    select
        contact_id,
        channel,
        min(reason_rank) as reason_rank
    from suppressions
    group by contact_id, channel

),

final as (

    select
        -- keys
        cast(selected.audience as {{ string }}) as audience,
        cast(selected.channel as {{ string }}) as channel,
        {{ as_of_date() }} as as_of_date,
        cast(selected.entity_type as {{ string }}) as entity_type,
        cast(selected.entity_id as {{ string }}) as entity_id,
        cast(selected.contact_id as {{ string }}) as contact_id,

        -- score
        cast(selected.profile as {{ string }}) as profile,
        cast(selected.score as decimal(5, 2)) as score,
        cast(selected.tier as {{ string }}) as tier,
        cast(selected.recommended_action as {{ string }}) as recommended_action,

        -- suppression: NULL for a member
        cast({{ activation_reason_of_rank('first_reasons.reason_rank') }} as {{ string }}) as reason

    from selected
    left join first_reasons
        on
            selected.contact_id = first_reasons.contact_id
            and selected.channel = first_reasons.channel

)

select * from final
