-- The two cut-offs every offer model runs on: the as-of date (is_scoring_row: what offer_scores and next_best_offers
-- publish) and the evaluation cut-off, the as-of date minus var offer_evaluation_window_days (what a build on that
-- date knew, judged by offer_evaluation against what was bought in (cut-off, window_end]).
{%- set window_days = offer_int_var("offer_evaluation_window_days", 90) %}

with

scoring as (

    select
        {{ as_of_date() }} as cutoff_date,
        true as is_scoring_row,
        cast(null as date) as window_end

),

evaluation as (

    select
        {{ offer_evaluation_cutoff() }} as cutoff_date,
        false as is_scoring_row,
        {{ as_of_date() }} as window_end

),

final as (

    select
        cutoff_date,
        is_scoring_row,
        window_end
    from scoring

    union all

    select
        cutoff_date,
        is_scoring_row,
        window_end
    from evaluation

)

select * from final
