{#- The satisfaction formulas of int_customer__satisfaction as CTEs (weighted ... final), shared by the production
    model (one as-of date) and the training examples (one row per cut-off and contact).
    - surveys: name of a CTE shaped like int_surveys, carrying the `keys` columns too;
    - keys: the columns that tell the as-of dates apart ([] in production, ['cutoff_date'] for the training
      examples); they lead every grouping and join and come first in `final`;
    - as_of: none (the build's as-of date) or the name of the key column holding the as-of date of each row.
    The caller ends with `select * from final`. -#}
{% macro customer_satisfaction_ctes(surveys, keys=[], as_of=none) -%}
    {%- set key_prefix = keys | join(', ') ~ ', ' if keys else '' -%}
weighted as (

    select
        {{ key_prefix }}contact_id,
        response_id,
        submitted_at,
        nps,
        csat,
        review_rating,
        -- rounded to 9 decimals so that weighted sums are exact whatever the order of addition
        cast(
            power(
                0.5,
                cast({{ days_between('submitted_at', as_of_expr(as_of)) }} as {{ type_double() }})
                / {{ var('satisfaction_half_life_days') }}
            ) as decimal(18, 9)
        ) as answer_weight,
        row_number() over (
            partition by {{ key_prefix }}contact_id, case when nps is null then 1 else 0 end
            order by submitted_at desc, response_id desc
        ) as nps_recency_rank
    from {{ surveys }}

),

latest_nps as (

    select
        {{ key_prefix }}contact_id,
        nps as latest_nps,
        submitted_at as latest_nps_at
    from weighted
    where nps is not null and nps_recency_rank = 1

),

averages as (

    select
        {{ key_prefix }}contact_id,
        count(*) as survey_responses,
        max(submitted_at) as last_survey_at,
        sum(case when csat is not null then answer_weight * csat end)
        / nullif(sum(case when csat is not null then answer_weight end), 0) as csat_weighted,
        sum(case when review_rating is not null then answer_weight * review_rating end)
        / nullif(sum(case when review_rating is not null then answer_weight end), 0) as review_rating_weighted
    from weighted
    group by {{ key_prefix }}contact_id

),

final as (

    select
        -- ids
        {%- for k in keys %}
            averages.{{ k }},
        {%- endfor %}
        averages.contact_id,

        -- NPS
        cast(latest_nps.latest_nps as {{ dbt.type_int() }}) as latest_nps,
        case
            when latest_nps.latest_nps >= 9 then 'promoter'
            when latest_nps.latest_nps >= 7 then 'passive'
            when latest_nps.latest_nps >= 0 then 'detractor'
        end as nps_class,
        latest_nps.latest_nps_at,

        -- CSAT and reviews (decay-weighted averages)
        cast({{ round_decimal('averages.csat_weighted', 4) }} as decimal(18, 4)) as csat_weighted,
        cast({{ round_decimal('averages.review_rating_weighted', 4) }} as decimal(18, 4)) as review_rating_weighted,

        -- history
        cast(averages.survey_responses as {{ dbt.type_int() }}) as survey_responses,
        averages.last_survey_at

    from averages
    left join latest_nps
        on averages.contact_id = latest_nps.contact_id{{ keys_match('averages', 'latest_nps', keys) }}

)
{%- endmacro %}
