-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Every factor of every score in score_history, one as-of date per build: one row per as-of date, profile, entity
-- and factor (a weighted criterion with its normalised value, weight and points; a points rule that fired; the cut
-- of the 0-100 bounds). The points of an entity, profile and date add up to its score in score_history exactly.
-- Customers: customer_score_factors as published. Leads (primary lead profile, lead_fit) and accounts (primary
-- account profile): their engines run inside int_lead__scores, int_lead__fit_scores and int_account__scores, whose
-- contributions are not materialised, so the same engine macros run here again on the same inputs (the CTEs below
-- repeat those models' inputs; a data test holds the sums to the published scores). Incremental by as-of date like
-- score_history. Var factor_history_days (default none: keep everything) deletes, after each build, the rows older
-- than that many days before the newest as-of date; a post-hook deletes, at every date, the rows of people erased or
-- objecting to profiling as of the as-of date (macro privacy_history_hooks).
{%- set lead_profile = var('lead_primary_profile', 'lead') %}
{%- set account_profile = var('account_primary_profile', 'account') %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='append_new_columns',
    full_refresh=false,
    indexes=[{'columns': ['as_of_date']}],
    post_hook=history_prune_hooks('factor_history_days') + privacy_history_hooks()
) }}
{%- if var('enable_erasure_requests', true) %}
-- depends_on: {{ ref('erasure_log') }}
{%- endif %}
{%- set lead_names = entity_criteria()['lead'] %}
{%- set fit_names = entity_criteria()['lead_fit'] %}
{%- set account_names = entity_criteria()['account'] %}

with

customer_factors as (

    select * from {{ ref('customer_score_factors') }}

),

lead_lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}
    where population = 'lead'

),

lead_fit as (

    select * from {{ ref('int_lead__fit_scores') }}

),

lead_engagement as (

    select * from {{ ref('int_contact__engagement') }}

),

lead_activity as (

    select * from {{ ref('int_lead__activity') }}

),

lead_predictions as (

    select * from {{ ref('int_lead__predictions') }}

),

fit_inputs as (

    select * from {{ ref('int_lead__fit_inputs') }}

),

account_inputs as (

    select * from {{ ref('int_account__rollup') }}

),

-- the inputs of int_lead__scores, as that model joins them
lead_inputs as (

    select
        lead_lifecycle.contact_id,
        lead_fit.fit_score,
        lead_engagement.engagement_score,
        lead_engagement.high_intent_events as high_intent_events_30d,
        lead_predictions.p_convert,
        lead_predictions.p_campaign_response,
        lead_lifecycle.lead_stage
    from lead_lifecycle
    left join lead_fit
        on lead_lifecycle.contact_id = lead_fit.contact_id
    left join lead_engagement
        on lead_lifecycle.contact_id = lead_engagement.contact_id
    left join lead_predictions
        on lead_lifecycle.contact_id = lead_predictions.contact_id

),

lead_criteria as (

    {{ unpivot_criteria('lead_inputs', 'contact_id', lead_names['number'], lead_names['text']) }}

),

fit_criteria as (

    {{ unpivot_criteria('fit_inputs', 'contact_id', fit_names['number'], fit_names['text']) }}

),

account_criteria as (

    {{ unpivot_criteria('account_inputs', 'account_id', account_names['number'], account_names['text']) }}

),

{{ scoring_engine_ctes('lead_criteria', 'lead', 'lead_activity', 'lead') }}

{{ scoring_engine_ctes('fit_criteria', 'lead_fit', none, 'fit') }}

{{ scoring_engine_ctes('account_criteria', 'account', none, 'account') }}

customer_rows as (

    select
        customer_factors.profile,
        'customer' as entity_type,
        customer_factors.contact_id as entity_id,
        customer_factors.factor,
        customer_factors.factor_kind,
        customer_factors.normalized_value,
        customer_factors.weight,
        customer_factors.points
    from customer_factors

),

-- the engines run again inside this model (history_engine_factors): the primary lead profile and lead_fit score
-- leads, the primary account profile accounts
{%- set engine_factors = [
    ('lead', [lead_profile], 'lead'), ('fit', ['lead_fit'], 'lead'), ('account', [account_profile], 'account')
] %}
engine_rows as (

    {%- for prefix, profiles, entity_type in engine_factors %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            profile,
            '{{ entity_type }}' as entity_type,
            entity_id,
            factor,
            factor_kind,
            normalized_value,
            weight,
            points
        from ({{ history_engine_factors(prefix, profiles) }}) as {{ prefix }}_factors
    {%- endfor %}

),

factors as (

    select * from customer_rows
    union all
    -- as customer_score_factors: a criterion at weight 0 is not a factor of the profile
    select * from engine_rows
    where factor_kind <> 'criterion' or weight <> 0

),

final as (

    select
        -- keys
        {{ as_of_date() }} as as_of_date,
        cast(profile as {{ dbt.type_string() }}) as profile,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(factor as {{ dbt.type_string() }}) as factor,
        cast(factor_kind as {{ dbt.type_string() }}) as factor_kind,

        -- factor
        cast(normalized_value as decimal(18, 6)) as normalized_value,
        cast(weight as decimal(18, 4)) as weight,
        cast(points as decimal(18, 2)) as points

    from factors

)

select * from final
