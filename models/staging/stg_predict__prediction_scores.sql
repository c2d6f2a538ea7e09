-- The chosen model's prediction per entity and target, for this build's as-of date (source predict.prediction_scores).
-- No row when the predict step did not run for this as-of date (macro prediction_relation).
with

source as (

    {{ prediction_relation('prediction_scores') }}

),

final as (

    select * from source

)

select * from final
