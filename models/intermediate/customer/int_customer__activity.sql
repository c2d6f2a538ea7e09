-- Dated customer activity for windowed points rules, as of the as-of date: one row per activity (a completed,
-- refunded or cancelled order by status; each of them again as order_placed, the base of per-order rates; a survey
-- answer), with its age in days on the as-of date. Types are listed in customer_activity_types.
with

orders as (

    select * from {{ ref('int_orders') }}

),

{% if var('enable_surveys', true) %}
    surveys as (

        select * from {{ ref('int_surveys') }}

    ),
{% endif %}

activity as (

    select
        contact_id,
        order_id as activity_id,
        case
            when is_completed then 'order_completed'
            when is_refunded then 'order_refunded'
            when is_cancelled then 'order_cancelled'
        end as activity_type,
        ordered_on as activity_on
    from orders
    where is_completed or is_refunded or is_cancelled
    union all
    select
        contact_id,
        order_id as activity_id,
        'order_placed' as activity_type,
        ordered_on as activity_on
    from orders
    where is_completed or is_refunded or is_cancelled
    {% if var('enable_surveys', true) %}
        union all
        select
            contact_id,
            response_id as activity_id,
            'survey_answered' as activity_type,
            cast(submitted_at as date) as activity_on
        from surveys
    {% endif %}

),

final as (

    select
        contact_id as entity_id,
        activity_type || ':' || activity_id as activity_key,
        activity_type,
        activity_on,
        cast({{ days_between('activity_on', as_of_date()) }} as {{ dbt.type_int() }}) as days_before_as_of,
        cast(1 as {{ dbt.type_int() }}) as activity_count
    from activity

)

select * from final
