-- How good each predictive model is, judged on data it never saw: one row per target, model (fitted candidates and
-- simple baselines) and backtest cut-off, with the classification metrics (AUC, Brier, log loss, top-decile lift) or
-- the regression ones (MAE, predicted against actual total). The model that scores the as-of date is flagged
-- is_chosen; the baselines (constant, recency alone, RFM score, the horizon-free BG/NBD model) sit beside it so the
-- table shows what the fitted model adds.
with

evaluation as (

    select * from {{ ref('stg_predict__prediction_evaluation') }}

),

final as (

    select
        -- ids
        cast(target as {{ dbt.type_string() }}) as target,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_id as {{ dbt.type_string() }}) as model_id,
        cast(cutoff_date as date) as cutoff_date,
        {{ as_of_date() }} as as_of_date,
        cast({{ var('prediction_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days,

        -- role
        cast(is_baseline as {{ dbt.type_boolean() }}) as is_baseline,
        cast(is_chosen as {{ dbt.type_boolean() }}) as is_chosen,

        -- sample
        cast(examples as {{ dbt.type_bigint() }}) as examples,
        cast(positives as {{ dbt.type_bigint() }}) as positives,
        cast(base_rate as decimal(18, 6)) as base_rate,

        -- classification
        cast(auc as decimal(18, 6)) as auc,
        cast(brier as decimal(18, 6)) as brier,
        cast(log_loss as decimal(18, 6)) as log_loss,
        cast(top_decile_lift as decimal(18, 4)) as top_decile_lift,

        -- regression
        cast(mae as decimal(18, 4)) as mae,
        cast(predicted_total as decimal(18, 2)) as predicted_total,
        cast(actual_total as decimal(18, 2)) as actual_total

    from evaluation

)

select * from final
