-- Predictions per lead as of the as-of date: one row per lead (int_contact__lifecycle population 'lead') with the
-- chosen model's probability of converting (a first completed order or a won deal) within the horizon (var
-- prediction_horizon_days) and of responding to the next campaign, and the model that made each. The runner's predict
-- step writes them (source predict.prediction_scores); without it, or for a target not fitted, they are null and
-- model_status says why. Values are rounded to 6 places by the runner, so the decimal casts agree on every engine.
with

leads as (

    select contact_id from {{ ref('int_contact__lifecycle') }}
    where population = 'lead'

),

scores as (

    select * from {{ ref('stg_predict__prediction_scores') }}

),

lead_scores as (

    select
        {% for t in ['p_convert', 'p_campaign_response'] %}
            max(case when target = '{{ t }}' then value end) as {{ t }},
            max(case when target = '{{ t }}' then model_id end) as {{ t }}_model,
        {% endfor %}
        entity_id as contact_id
    from scores
    where entity_type in ('lead', 'contact')
    group by entity_id

),

final as (

    select
        -- ids
        leads.contact_id,

        -- predictions
        cast(lead_scores.p_convert as decimal(18, 6)) as p_convert,
        cast(lead_scores.p_campaign_response as decimal(18, 6)) as p_campaign_response,

        -- lineage
        cast(lead_scores.p_convert_model as {{ dbt.type_string() }}) as p_convert_model,
        cast(lead_scores.p_campaign_response_model as {{ dbt.type_string() }}) as p_campaign_response_model

    from leads
    left join lead_scores
        on leads.contact_id = lead_scores.contact_id

)

select * from final
