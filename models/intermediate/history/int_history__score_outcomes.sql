-- Every score of the history with what its entity did next: one row per row of score_history dated on or before the
-- as-of date (as_of_date, profile, entity_id), with whether the entity converted (int_history__outcomes: a completed
-- order for customers; a completed order or a won deal for leads; either, of the account or any of its contacts, for
-- accounts) in the window (as_of_date, as_of_date + N days] (var tier_performance_window_days, default 90), as known
-- on the build's as-of date. Entities are followed through the build's contact and account maps
-- (int_contacts__identity, int_accounts__identity): a contact merged since counts with its master's outcomes. A
-- window that ends after the build's as-of date is incomplete: is_converted is NULL, never a partial count. History
-- rows dated after the build's as-of date are left out, so a build as of D says what it would have said on D. A view:
-- tier_performance reads it once and the runner's calibrate step reads it in the work database.
{{ config(materialized='view') }}
{%- set window_days = var('tier_performance_window_days', 90) %}
{%- if not modules.re.match('^[0-9]+$', window_days | string | trim) or (window_days | int) < 1 %}
    {{ exceptions.raise_compiler_error(
        "var tier_performance_window_days must be a whole number of days, 1 or more, got '" ~ window_days ~ "'"
    ) }}
{%- endif %}
{%- set window_days = window_days | int %}

with

history as (

    {{ history_as_of(ref('score_history')) }}

),

contact_identity as (

    select * from {{ ref('int_contacts__identity') }}

),

account_identity as (

    select * from {{ ref('int_accounts__identity') }}

),

outcomes as (

    select * from {{ ref('int_history__outcomes') }}

),

followed as (

    select
        history.as_of_date,
        history.profile,
        history.entity_type,
        history.entity_id,
        history.score,
        history.tier,
        case
            when history.entity_type = 'account'
                then coalesce(account_identity.master_account_id, history.entity_id)
            else coalesce(contact_identity.master_contact_id, history.entity_id)
        end as outcome_entity_id,
        cast({{ dbt.dateadd('day', window_days, 'history.as_of_date') }} as date) as window_end_on
    from history
    left join contact_identity
        on
            history.entity_type in ('customer', 'lead')
            and history.entity_id = contact_identity.contact_id
    left join account_identity
        on
            history.entity_type = 'account'
            and history.entity_id = account_identity.account_id

),

-- the first conversion in each complete window
conversions as (

    select
        followed.as_of_date,
        followed.profile,
        followed.entity_id,
        min(outcomes.converted_on) as first_converted_on
    from followed
    inner join outcomes
        on
            followed.entity_type = outcomes.entity_type
            and followed.outcome_entity_id = outcomes.entity_id
            and followed.as_of_date < outcomes.converted_on
            and followed.window_end_on >= outcomes.converted_on
    where followed.window_end_on <= {{ as_of_date() }}
    group by followed.as_of_date, followed.profile, followed.entity_id

),

final as (

    select
        -- ids
        followed.as_of_date,
        followed.profile,
        followed.entity_type,
        followed.entity_id,
        cast(followed.outcome_entity_id as {{ dbt.type_string() }}) as outcome_entity_id,

        -- score
        followed.score,
        followed.tier,

        -- outcome window
        cast({{ window_days }} as {{ dbt.type_int() }}) as window_days,
        followed.window_end_on,
        followed.window_end_on <= {{ as_of_date() }} as is_window_complete,

        -- outcome (NULL while the window is open, or for an entity type without a conversion definition)
        case
            when
                followed.window_end_on <= {{ as_of_date() }}
                and followed.entity_type in ('customer', 'lead', 'account')
                then conversions.entity_id is not null
        end as is_converted,
        conversions.first_converted_on

    from followed
    left join conversions
        on
            followed.as_of_date = conversions.as_of_date
            and followed.profile = conversions.profile
            and followed.entity_id = conversions.entity_id

)

select * from final
