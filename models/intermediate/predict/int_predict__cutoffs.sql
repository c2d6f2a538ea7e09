-- The spine of cut-off dates of the training examples: one row per cut-off. The latest labelled cut-off is the as-of
-- date minus the horizon (var prediction_horizon_days), so that its label window (D, D + H] ends on the as-of date;
-- the others are spaced by var prediction_cutoff_spacing_days before it (var prediction_cutoffs in all; the dates:
-- macro predict_cutoff_dates). The as-of date itself is the scoring cut-off: its features score the customers, and
-- it has no labels. A cut-off D reads what a build as of D reads: rows dated and loaded on or before D.
{%- set horizon = var('prediction_horizon_days', 180) | int %}

with

spine as (

    {%- for d in predict_cutoff_dates() %}
        {%- set window_end = modules.datetime.datetime.strptime(d, '%Y-%m-%d')
            + modules.datetime.timedelta(days=horizon) %}
        select
            cast('{{ d }}' as date) as cutoff_date,
            false as is_scoring_row,
            cast('{{ window_end.strftime("%Y-%m-%d") }}' as date) as label_window_end
        union all
    {%- endfor %}
    select
        {{ as_of_date() }} as cutoff_date,
        true as is_scoring_row,
        cast(null as date) as label_window_end

),

final as (

    select
        cutoff_date,
        is_scoring_row,
        not is_scoring_row as is_labelled,
        label_window_end
    from spine

)

select * from final
