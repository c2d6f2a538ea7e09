{#- Age in whole years on the as-of date, one more on each birthday; null without a birth date or for a birth date
    after the as-of date. `as_of`: none (the build's as-of date, as constants) or a date column. -#}
{% macro age_years_expr(birth_date, as_of=none) -%}
    {%- if as_of is none -%}
        {%- set value = as_of_date_value() -%}
        {%- set as_of_sql = as_of_date() -%}
        {%- set as_of_year = value[0:4] | int -%}
        {%- set as_of_month_day = (value[5:7] ~ value[8:10]) | int -%}
    {%- else -%}
        {%- set as_of_sql = as_of -%}
        {%- set as_of_year = 'extract(year from ' ~ as_of ~ ')' -%}
        {%- set as_of_month_day = 'extract(month from ' ~ as_of ~ ') * 100 + extract(day from ' ~ as_of ~ ')' -%}
    {%- endif -%}
    case
        when {{ birth_date }} is not null and {{ birth_date }} <= {{ as_of_sql }}
            then cast(
                {{ as_of_year }} - extract(year from {{ birth_date }})
                - case
                    when
                        extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                        > {{ as_of_month_day }}
                        then 1
                    else 0
                end
                as {{ dbt.type_int() }}
            )
    end
{%- endmacro %}
