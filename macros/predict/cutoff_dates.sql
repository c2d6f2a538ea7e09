{#- The labelled cut-off dates of the training examples ('YYYY-MM-DD' strings, newest first): the as-of date minus
    the horizon (var prediction_horizon_days), then every var prediction_cutoff_spacing_days before it, var
    prediction_cutoffs in all. int_predict__cutoffs is this list plus the scoring cut-off (the as-of date); models
    that need the dates at compile time (int_predict__contact_event_days) read them here. -#}
{% macro predict_cutoff_dates() -%}
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
    {%- set dates = [] %}
    {%- for k in range(cutoffs) %}
        {%- do dates.append(
            (as_of - modules.datetime.timedelta(days=horizon + k * spacing)).strftime('%Y-%m-%d')
        ) %}
    {%- endfor %}
    {{- return(dates) }}
{%- endmacro %}
