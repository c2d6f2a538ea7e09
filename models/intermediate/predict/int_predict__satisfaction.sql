{{ config(enabled=var('enable_surveys', true)) }}
-- Satisfaction as of every cut-off: one row per cut-off and golden contact with a survey answer on or before it, the
-- rows and columns int_customer__satisfaction has in a build as of that cut-off (same macro,
-- customer_satisfaction_ctes). Survey versions come with their validity intervals (macro pit_versions, the key and
-- version order of stg_feedback__surveys; an answer submitted or loaded after a cut-off does not exist at it), and
-- follow the contact map of the cut-off (int_predict__identity: past cut-offs hold the training sample). The scoring
-- cut-off (the as-of date) is int_customer__satisfaction itself, which a build as of that date computes.
{%- set satisfaction_columns = [
    'contact_id', 'latest_nps', 'nps_class', 'latest_nps_at', 'csat_weighted', 'review_rating_weighted',
    'survey_responses', 'last_survey_at'
] %}

with

cutoffs as (

    select * from {{ ref('int_predict__cutoffs') }}

),

staged as (

    select * from {{ ref('stg_feedback__surveys') }}

),

identity as (

    select * from {{ ref('int_predict__identity') }}

),

as_of_satisfaction as (

    select * from {{ ref('int_customer__satisfaction') }}

),

versions as (

    {{ pit_versions(
        'staged', ['response_id'], 'loaded_at desc, submitted_at desc nulls last, contact_id', dated_by='submitted_at'
    ) }}

),

surveys as (

    select
        cutoffs.cutoff_date,
        versions.response_id,
        identity.master_contact_id as contact_id,
        versions.nps,
        versions.csat,
        versions.review_rating,
        versions.submitted_at
    from cutoffs
    inner join versions
        on {{ pit_is_current('versions', 'cutoffs') }}
    inner join identity
        on
            cutoffs.cutoff_date = identity.cutoff_date
            and versions.contact_id = identity.contact_id
    where not cutoffs.is_scoring_row

),

{{ customer_satisfaction_ctes('surveys', keys=['cutoff_date'], as_of='cutoff_date') }},

-- the past cut-offs (final, from the macro) and the scoring cut-off
with_scoring_cutoff as (

    select
        cutoff_date,
        {{ satisfaction_columns | join(',\n        ') }}
    from final

    union all

    select
        {{ as_of_date() }} as cutoff_date,
        {{ satisfaction_columns | join(',\n        ') }}
    from as_of_satisfaction

)

select * from with_scoring_cutoff
