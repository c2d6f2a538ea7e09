{{ config(enabled=var('enable_surveys', true)) }}
-- Satisfaction per contact as of the as-of date: one row per golden contact with at least one survey answer on or
-- before it. Averages weight each answer by exponential decay from the as-of date (half-life: var
-- satisfaction_half_life_days), so recent answers count more; an answer one half-life old counts half.
-- The formulas live in the macro customer_satisfaction_ctes, shared with the training examples.
with

surveys as (

    select * from {{ ref('int_surveys') }}

),

{{ customer_satisfaction_ctes('surveys') }}

select * from final
