-- Evaluation rows of every model and baseline, for this build's as-of date (source predict.prediction_evaluation).
-- No row when the predict step did not run for this as-of date (macro prediction_relation).
with

source as (

    {{ prediction_relation('prediction_evaluation') }}

),

final as (

    select * from source

)

select * from final
