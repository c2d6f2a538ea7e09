-- The models this build fitted or reused: one row per model, with its training window (cut-offs), the cut-off it
-- was judged on, its features, hyper-parameters and validation metrics (JSON text), and the file it is saved in
-- (under the work folder's models/ directory), so a later build can score with it (`--refit never`). The wall-clock
-- time of the fit is in the model's model.json, not here: the same input gives the same marts.
with

registry as (

    select * from {{ ref('stg_predict__model_registry') }}

),

final as (

    select
        -- ids
        cast(model_id as {{ dbt.type_string() }}) as model_id,
        cast(target as {{ dbt.type_string() }}) as target,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        {{ as_of_date() }} as as_of_date,

        -- training
        cast(trained_as_of as date) as trained_as_of,
        cast(training_cutoffs as {{ dbt.type_string() }}) as training_cutoffs,
        cast(validation_cutoff as date) as validation_cutoff,
        cast(sample_rows as {{ dbt.type_bigint() }}) as sample_rows,
        cast(features as {{ dbt.type_string() }}) as features,
        cast(hyper_parameters as {{ dbt.type_string() }}) as hyper_parameters,
        cast(metrics as {{ dbt.type_string() }}) as metrics,
        cast(artifact_path as {{ dbt.type_string() }}) as artifact_path

    from registry

)

select * from final
