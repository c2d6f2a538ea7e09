-- Calibration of each predictive model on its backtest cut-off: one row per target, model, cut-off and bin (deciles
-- of the prediction, 1 = lowest), with the mean prediction against the observed rate (or mean, for counts and
-- revenue). A calibrated model has the two close in every bin.
with

calibration as (

    select * from {{ ref('stg_predict__prediction_calibration') }}

),

final as (

    select
        -- ids
        cast(target as {{ dbt.type_string() }}) as target,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_id as {{ dbt.type_string() }}) as model_id,
        cast(cutoff_date as date) as cutoff_date,
        cast(bin as {{ dbt.type_int() }}) as bin,
        {{ as_of_date() }} as as_of_date,

        -- bin
        cast(examples as {{ dbt.type_bigint() }}) as examples,
        cast(mean_predicted as decimal(18, 6)) as mean_predicted,
        cast(observed_rate as decimal(18, 6)) as observed_rate

    from calibration

)

select * from final
