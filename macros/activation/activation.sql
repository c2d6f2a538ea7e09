{#- Activation (issue 15): the fixed vocabulary the audiences, the suppressions and the exports share. -#}

{#- The channels an audience may go to. -#}
{% macro activation_channels() -%}
    {{ return(['email', 'phone', 'ads', 'crm']) }}
{%- endmacro %}

{#- The channels with a consent default (consent_channels): the audience channels and the objection to profiling. -#}
{% macro activation_consent_channels() -%}
    {{ return(activation_channels() + ['profiling']) }}
{%- endmacro %}

{#- Why an entity an audience selected is left out, in the order they are checked: an excluded row carries the first
    that applies. -#}
{% macro activation_reasons() -%}
    {{ return(['do_not_contact', 'unsubscribed', 'hard_bounce', 'no_consent', 'missing_address']) }}
{%- endmacro %}

{#- The rank of a reason in activation_reasons (1 first), as a SQL expression over a reason column. -#}
{% macro activation_reason_rank(reason) -%}
    case {{ reason }}
    {%- for r in activation_reasons() %}
        when '{{ r }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}

{#- The reason of a rank, as a SQL expression over a rank column (the inverse of activation_reason_rank). -#}
{% macro activation_reason_of_rank(rank) -%}
    case {{ rank }}
    {%- for r in activation_reasons() %}
        when {{ loop.index }} then '{{ r }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- What each channel's export may carry: the columns of audience_members and pii.contacts a channel needs, and no
    other (personal data minimised: an e-mail export never carries the phone or birth date, ads only the hashed
    e-mail, a CRM sync ids and scores only). channel_columns chooses among these. -#}
{% macro activation_channel_allowed_columns() -%}
    {{ return({
        'email': ['contact_id', 'email', 'first_name', 'last_name', 'score', 'tier', 'recommended_action'],
        'phone': ['contact_id', 'phone', 'first_name', 'last_name', 'score', 'tier', 'recommended_action'],
        'ads': ['email_sha256'],
        'crm': ['entity_type', 'entity_id', 'contact_id', 'profile', 'score', 'tier', 'recommended_action'],
    }) }}
{%- endmacro %}

{#- The score mart of each entity type an audience may select: its columns are what a condition may test. -#}
{% macro activation_score_marts() -%}
    {{ return({'customer': 'customer_scores', 'lead': 'lead_scores', 'account': 'account_scores'}) }}
{%- endmacro %}

{#- The columns of an entity type's score mart a condition may test, by kind: {'number': [...], 'text': [...],
    'boolean': [...]}: the scores, criteria, grades, segments and flags of customer_scores, lead_scores and
    account_scores (no ids, dates or personal data). A column named here must exist in its mart. -#}
{% macro activation_condition_fields(entity_type) -%}
    {%- set fields = {
        'customer': {
            'number': ['recency_days', 'frequency_orders', 'monetary_net', 'r_score', 'f_score', 'm_score',
                       'orders_per_year', 'avg_basket', 'mean_gap_days', 'gap_cv', 'spend_trend', 'tenure_days',
                       'category_breadth', 'completed_orders_total', 'refund_cancel_rate', 'overdue_ratio',
                       'discount_dependency', 'refunded_orders', 'cancelled_orders', 'latest_nps', 'csat_weighted',
                       'review_rating_weighted', 'survey_responses', 'p_purchase', 'expected_orders',
                       'expected_revenue', 'p_alive', 'churn_risk', 'p_campaign_response', 'primary_score'],
            'text': ['rfm_cell', 'rfm_segment', 'nps_class', 'country_code', 'primary_tier'],
            'boolean': [],
        },
        'lead': {
            'number': ['fit_score', 'engagement_points', 'engagement_score', 'engagement_level',
                       'high_intent_events_30d', 'days_since_last_positive_event', 'p_convert', 'p_campaign_response',
                       'lead_score'],
            'text': ['lead_stage', 'crm_lifecycle_stage', 'industry', 'employee_band', 'revenue_band', 'country_code',
                     'job_function', 'seniority', 'fit_grade', 'tier', 'matrix_cell', 'mql_rule'],
            'boolean': ['is_mql', 'is_b2b', 'has_open_opportunity'],
        },
        'account': {
            'number': ['industry_fit', 'employee_band_fit', 'revenue_band_fit', 'country_fit', 'contacts',
                       'engaged_contacts', 'functions_engaged', 'seniorities_engaged', 'best_lead_score',
                       'avg_lead_score', 'open_pipeline_amount', 'won_deal_amount', 'order_revenue', 'won_revenue',
                       'account_score'],
            'text': ['industry', 'employee_band', 'revenue_band', 'country_code', 'tier'],
            'boolean': [],
        },
    } -%}
    {{ return(fields[entity_type]) }}
{%- endmacro %}

{#- The value an audience's condition tests on an entity, as two columns condition_number and condition_text: a CASE
    over the condition fields of the entity type on audiences.condition_field (numbers as doubles; texts; yes/no
    columns as 'true' / 'false'); `alias` is the score mart's alias in the query. -#}
{% macro activation_condition_values(entity_type, alias) -%}
    {%- set fields = activation_condition_fields(entity_type) -%}
    {%- if fields['number'] %}
        case audiences.condition_field
        {%- for f in fields['number'] %}
            when '{{ f }}' then cast({{ alias }}.{{ f }} as {{ type_double() }})
        {%- endfor %}
        end
    {%- else %}
        cast(null as {{ type_double() }})
    {%- endif %} as condition_number,
    {%- if fields['text'] or fields['boolean'] %}
        case audiences.condition_field
        {%- for f in fields['text'] %}
            when '{{ f }}' then cast({{ alias }}.{{ f }} as {{ dbt.type_string() }})
        {%- endfor %}
        {%- for f in fields['boolean'] %}
            when '{{ f }}' then case when {{ alias }}.{{ f }} then 'true' when not {{ alias }}.{{ f }} then 'false' end
        {%- endfor %}
        end
    {%- else %}
        cast(null as {{ dbt.type_string() }})
    {%- endif %} as condition_text
{%- endmacro %}

{#- `column` is a ';'-separated list (audiences.tiers, audiences.columns) holding `item` as one of its elements:
    a plain text search, so that no character of a name acts as a wildcard. -#}
{% macro activation_list_has(list_column, item) -%}
    (position(';' || {{ item }} || ';' in ';' || {{ list_column }} || ';') > 0)
{%- endmacro %}

{#- The number of elements of a ';'-separated list (an empty element counts). -#}
{% macro activation_list_length(list_column) -%}
    (length({{ list_column }}) - length(replace({{ list_column }}, ';', '')) + 1)
{%- endmacro %}
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
