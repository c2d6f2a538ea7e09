{#- Checks the output of dq_classify on a staging model: dq_status must follow from is_visible, dq_reason_code and
    valid_version_rank, is_visible must follow from loaded_at and the as-of date, and valid_version_rank must be a
    rank (>= 1); none of them may be NULL. `erased_column`: the staging model's flag of the rows of erased people
    (dq_status 'erased'), on the tables with a contact. Returns every inconsistent row with the status it should have had. -#}
{% test dq_status_is_consistent(model, erased_column=none) %}

with

expected as (

    select
        *,
        case
            {%- if erased_column %}
                when {{ erased_column }} then 'erased'
            {%- endif %}
            when not is_visible then 'after_as_of'
            when dq_reason_code is not null then 'quarantined'
            when valid_version_rank = 1 then 'current'
            else 'superseded'
        end as expected_dq_status,
        coalesce(loaded_at < {{ as_of_cutoff() }}, true) as expected_is_visible
    from {{ model }}

)

select *
from expected
where
    not coalesce(dq_status = expected_dq_status, false)
    or not coalesce(is_visible = expected_is_visible, false)
    or not coalesce(valid_version_rank >= 1, false)

{% endtest %}
