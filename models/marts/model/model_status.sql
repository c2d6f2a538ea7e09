-- Whether each predictive target was scored in this build, by what, and why not: one row per target. status is
-- 'fitted' (a model fitted by this build), 'saved_model' (a saved model scored it, --refit never or auto),
-- 'horizon_free' (no labelled history long enough for a fitted model: the BG/NBD model serves it), 'not_fitted'
-- (below the minimum data: its predictions are null, message says how much data there is and how much is needed) or
-- 'not_run' (no predict step ran for this as-of date: a plain `dbt build`; the runner makes predictions).
{%- set targets = ['p_purchase', 'expected_orders', 'expected_revenue', 'p_alive', 'churn_risk', 'p_convert',
                   'p_campaign_response'] %}

with

status as (

    select * from {{ ref('stg_predict__prediction_status') }}

),

targets as (

    {% for t in targets %}
        select cast('{{ t }}' as {{ dbt.type_string() }}) as target
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        -- ids
        cast(coalesce(status.target, targets.target) as {{ dbt.type_string() }}) as target,
        {{ as_of_date() }} as as_of_date,
        cast({{ var('prediction_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days,

        -- status
        cast(coalesce(status.status, 'not_run') as {{ dbt.type_string() }}) as status,
        cast(
            coalesce(
                status.message,
                'no predict step ran for this as-of date: predictions are made by the runner (customer-scoring build), '
                || 'not by plain dbt'
            ) as {{ dbt.type_string() }}
        ) as message,
        cast(status.model_id as {{ dbt.type_string() }}) as model_id,
        cast(status.examples as {{ dbt.type_bigint() }}) as examples,
        cast(status.positives as {{ dbt.type_bigint() }}) as positives

    from targets
    full outer join status
        on targets.target = status.target

)

select * from final
