{#- The training sample of the past cut-offs, one rule for customers, leads and campaign contacts: a golden contact of
    a past cut-off is in it when the md5 of its id is at most the sample threshold, the md5 of the N-th customer of
    the as-of date in md5 order (N = var prediction_max_training_customers). The threshold is null (everyone is in
    the sample) when there are N customers or fewer. The rule reads no fact of a past cut-off, so
    int_predict__identity applies it to the contact map before any fact is joined to the spine; the scoring cut-off
    keeps everyone. `customers`: a relation or CTE with one row (contact_id) per customer of the as-of date
    (int_customer__order_facts). `max_customers`: N when not the var's (the offer evaluation's sample, var
    offer_evaluation_max_contacts). -#}
{% macro training_sample_threshold(customers, max_customers=none) -%}
    {%- if max_customers is none %}
        {%- set max_customers = var('prediction_max_training_customers', 20000) | int %}
    {%- endif %}
    select
        case
            when count(*) > {{ max_customers }}
                then max(case when hash_rank <= {{ max_customers }} then contact_hash end)
        end as sample_threshold
    from (
        select
            md5(contact_id) as contact_hash,
            row_number() over (order by md5(contact_id), contact_id) as hash_rank
        from {{ customers }}
    ) as ranked
{%- endmacro %}
