-- The entities offers are made to, at each cut-off: one row per cut-off and golden contact (int_contacts), customer
-- or lead. As of the as-of date the populations are int_contact__lifecycle's. At the evaluation cut-off a golden
-- contact is known when one of its records (stg_crm__contacts, valid) had been loaded and created by then, or when
-- it had a completed order then (int_offer__purchases); it is a customer when it had a completed order line then,
-- else a lead. Contacts resolve through today's contact map at both cut-offs.
-- Segment: 'b2b' when the contact has an account or int_lead__fit_inputs calls the lead B2B (company e-mail domain);
-- industry (lower case) and size band (employee band) come from the account (int_account__firmographics), else the
-- lead's enrichment by company domain (int_lead__fit_inputs). Firmographics are today's at both cut-offs (the CRM
-- and the enrichment feed keep no history of an account: D1's caveat).
-- Budget, first known of: the account's marketing budget ('marketing_budget'), its annual revenue x var
-- offer_budget_revenue_share ('annual_revenue'), a B2C customer's average completed basket (the sum of an order's
-- line amounts) over the var offer_co_purchase_days before the cut-off ('avg_basket'). marketing_budget and
-- annual_revenue have no currency column in the input contract and are read, like the revenue bands, as amounts in
-- the reporting currency.
-- The evaluation cut-off holds a sample when more than var offer_evaluation_max_contacts (50,000) contacts are known
-- then: the same md5 rule as the predictive training sample (macro in_training_sample), so offer_evaluation
-- judges at most that many contacts; the as-of date keeps everyone.
{%- set lookback_days = offer_int_var('offer_co_purchase_days', 730) %}
{%- set revenue_share = var('offer_budget_revenue_share', 0.01) %}
{%- set max_evaluation_contacts = offer_int_var('offer_evaluation_max_contacts', 50000) %}
{%- if revenue_share is none or (revenue_share | float(-1)) < 0 or (revenue_share | float(-1)) > 1 %}
    {{ exceptions.raise_compiler_error(
        "var offer_budget_revenue_share must be a number from 0 to 1, got '" ~ revenue_share ~ "'"
    ) }}
{%- endif %}

with

scoring_cutoff as (

    select * from {{ ref('int_offer__cutoffs') }}
    where is_scoring_row

),

lifecycle as (

    select * from {{ ref('int_contact__lifecycle') }}

),

contacts as (

    select * from {{ ref('int_contacts') }}

),

accounts as (

    select * from {{ ref('int_account__firmographics') }}

),

lead_fit as (

    select * from {{ ref('int_lead__fit_inputs') }}

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

staged_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

purchases as (

    select * from {{ ref('int_offer__purchases') }}

),

-- the first day each golden contact had a valid record loaded and created
known_contacts as (

    select
        identity.master_contact_id as contact_id,
        min(
            greatest(
                coalesce(cast(staged_contacts.loaded_at as date), cast('0001-01-01' as date)),
                coalesce(cast(staged_contacts.created_at as date), cast('0001-01-01' as date))
            )
        ) as known_on
    from staged_contacts
    inner join identity
        on staged_contacts.contact_id = identity.contact_id
    where staged_contacts.dq_reason_code is null
    group by identity.master_contact_id

),

orders as (

    select
        cutoff_date,
        contact_id,
        order_id,
        max(ordered_on) as ordered_on,
        max(days_before_cutoff) as days_before_cutoff,
        sum(line_amount) as basket_amount
    from purchases
    group by cutoff_date, contact_id, order_id

),

buyers as (

    select
        cutoff_date,
        contact_id,
        max(ordered_on) as last_order_on,
        {{ round_decimal(
            'cast(sum(case when days_before_cutoff < ' ~ lookback_days ~ ' then basket_amount end) as decimal(38, 10))'
            ~ ' / nullif(count(case when days_before_cutoff < ' ~ lookback_days ~ ' then 1 end), 0)', 2
        ) }} as avg_basket
    from orders
    group by cutoff_date, contact_id

),

as_of_entities as (

    select
        scoring_cutoff.cutoff_date,
        lifecycle.contact_id,
        lifecycle.population
    from lifecycle
    cross join scoring_cutoff

),

known_at_evaluation as (

    select
        {{ offer_evaluation_cutoff() }} as cutoff_date,
        lifecycle.contact_id,
        case when buyers.contact_id is not null then 'customer' else 'lead' end as population
    from lifecycle
    left join known_contacts
        on lifecycle.contact_id = known_contacts.contact_id
    left join buyers
        on
            buyers.cutoff_date = {{ offer_evaluation_cutoff() }}
            and lifecycle.contact_id = buyers.contact_id
    where known_contacts.known_on <= {{ offer_evaluation_cutoff() }} or buyers.contact_id is not null

),

evaluation_sample as (

    {{ training_sample_threshold('known_at_evaluation', max_evaluation_contacts) }}

),

-- the evaluation judges a sample: at most var offer_evaluation_max_contacts contacts, those with the lowest md5 of
-- their id (everyone while there are fewer)
evaluation_entities as (

    select known_at_evaluation.*
    from known_at_evaluation
    cross join evaluation_sample
    where {{ in_training_sample('known_at_evaluation.contact_id', 'evaluation_sample') }}

),

entities as (

    select * from as_of_entities
    union all
    select * from evaluation_entities

),

profiled as (

    select
        entities.cutoff_date,
        entities.contact_id,
        entities.population,
        contacts.account_id is not null or coalesce(lead_fit.is_b2b, false) as is_b2b,
        lower(trim(coalesce(accounts.industry, lead_fit.industry))) as industry,
        coalesce(accounts.employee_band, lead_fit.employee_band) as size_band,
        accounts.marketing_budget,
        accounts.annual_revenue,
        buyers.avg_basket,
        buyers.last_order_on
    from entities
    inner join contacts
        on entities.contact_id = contacts.contact_id
    left join accounts
        on contacts.account_id = accounts.account_id
    left join lead_fit
        on entities.contact_id = lead_fit.contact_id
    left join buyers
        on
            entities.cutoff_date = buyers.cutoff_date
            and entities.contact_id = buyers.contact_id

),

budgeted as (

    select
        *,
        case
            when marketing_budget is not null then 'marketing_budget'
            when annual_revenue is not null then 'annual_revenue'
            when not is_b2b and population = 'customer' and avg_basket is not null then 'avg_basket'
        end as budget_source
    from profiled

),

final as (

    select
        -- ids
        cutoff_date,
        contact_id,

        -- entity
        population,
        case when is_b2b then 'b2b' else 'b2c' end as segment,
        industry,
        size_band,

        -- budget (reporting currency)
        cast(
            case budget_source
                when 'marketing_budget' then marketing_budget
                when 'annual_revenue' then {{ round_decimal('annual_revenue * ' ~ revenue_share, 2) }}
                when 'avg_basket' then avg_basket
            end as decimal(18, 2)
        ) as budget,
        budget_source,

        -- history
        last_order_on

    from budgeted

)

select * from final
