-- The models fitted or reused by this build (source predict.model_registry).
-- No row when the predict step did not run for this as-of date (macro prediction_relation).
with

source as (

    {{ prediction_relation('model_registry') }}

),

final as (

    select * from source

)

select * from final
