-- The spine of cut-off dates of the training examples: one row per cut-off. The latest labelled cut-off is the as-of
-- date minus the horizon (var prediction_horizon_days), so that its label window (D, D + H] ends on the as-of date;
-- the others are spaced by var prediction_cutoff_spacing_days before it (var prediction_cutoffs in all). The as-of
-- date itself is the scoring cut-off: its features score the customers, and it has no labels. A cut-off D reads what
-- a build as of D reads: rows dated and loaded on or before D.
{%- set as_of = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d') %}
{%- set horizon = var('prediction_horizon_days', 180) | int %}
{%- set cutoffs = var('prediction_cutoffs', 6) | int %}
{%- set spacing = var('prediction_cutoff_spacing_days', 30) | int %}
{%- if horizon < 1 or cutoffs < 0 or spacing < 1 %}
    {{ exceptions.raise_compiler_error(
        "vars prediction_horizon_days and prediction_cutoff_spacing_days must be at least 1 and prediction_cutoffs"
        ~ " at least 0, got " ~ horizon ~ ", " ~ spacing ~ " and " ~ cutoffs
    ) }}
{%- endif %}

with

spine as (

    {%- for k in range(cutoffs) %}
        {%- set d = as_of - modules.datetime.timedelta(days=horizon + k * spacing) %}
        select
            cast('{{ d.strftime("%Y-%m-%d") }}' as date) as cutoff_date,
            false as is_scoring_row,
            cast('{{ (d + modules.datetime.timedelta(days=horizon)).strftime("%Y-%m-%d") }}' as date)
                as label_window_end
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
