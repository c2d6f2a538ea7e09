{#- Data test: per audience, members + exclusions = the rows the audience selected (int_activation__audience_rows).
    Returns each audience whose counts differ. -#}
{% test audience_rows_add_up(model, exclusions, selected) %}

with

counts as (

    select
        audience,
        count(*) as member_rows,
        0 as excluded_rows,
        0 as selected_rows
    from {{ model }}
    group by audience
    union all
    select
        audience,
        0 as member_rows,
        count(*) as excluded_rows,
        0 as selected_rows
    from {{ exclusions }}
    group by audience
    union all
    select
        audience,
        0 as member_rows,
        0 as excluded_rows,
        count(*) as selected_rows
    from {{ selected }}
    group by audience

),

final as (

    select
        audience,
        sum(selected_rows) as selected_rows,
        sum(member_rows) as member_rows,
        sum(excluded_rows) as excluded_rows
    from counts
    group by audience
    having sum(selected_rows) <> sum(member_rows) + sum(excluded_rows)

)

select * from final

{% endtest %}
