-- Recent interest: one row per cut-off, contact and item viewed in the var offer_interest_days up to the cut-off
-- (days_before_cutoff < N). A view is an event whose url matches var offer_product_url_pattern (group 1: a product_id,
-- matched case-insensitively to the catalogue of the cut-off) or var offer_category_url_pattern (group 1: a category,
-- matched case-insensitively to the staged category or to it with spaces written '-'); a category page counts for
-- every item of the category at product grain. Each view weighs 0.5 ^ (days_before_cutoff / var
-- offer_interest_half_life_days). The as-of events are int_events (with their url from the current staged row); the
-- evaluation cut-off takes the event versions current at it (pit_versions, stg_marketing__events' key and version
-- order, dated by occurred_at: occurred and loaded by the cut-off), through today's contact map.
{%- set interest_days = offer_int_var('offer_interest_days', 30) %}
{%- set half_life = offer_int_var('offer_interest_half_life_days', 7) %}
{%- set product_pattern = var('offer_product_url_pattern', '/products?/([A-Za-z0-9_-]+)') %}
{%- set category_pattern = var('offer_category_url_pattern', '/categor(?:y|ies)/([A-Za-z0-9_-]+)') %}
{%- set earliest_start = offer_int_var('offer_evaluation_window_days', 90) + interest_days %}

with

scoring_cutoff as (

    select * from {{ ref('int_offer__cutoffs') }}
    where is_scoring_row

),

as_of_events as (

    select * from {{ ref('int_events') }}
    where occurred_on > {{ as_of_date_minus(interest_days) }}

),

as_of_urls as (

    select
        event_id,
        url
    from {{ ref('stg_marketing__events') }}
    where dq_status = 'current' and occurred_at >= {{ as_of_date_minus(interest_days) }}

),

-- every version of the events one of whose versions falls in the evaluation cut-off's window (whole keys keep the
-- validity intervals exact)
staged_events as (

    select * from {{ ref('stg_marketing__events') }}
    where event_id in (
        select windowed.event_id
        from {{ ref('stg_marketing__events') }} as windowed
        where windowed.occurred_at >= {{ as_of_date_minus(earliest_start) }}
    )

),

identity as (

    select * from {{ ref('int_contacts__identity') }}

),

products as (

    select * from {{ ref('int_offer__products') }}

),

event_versions as (

    {{ pit_versions(
        'staged_events', ['event_id'], 'loaded_at desc, occurred_at, contact_id, event_type', dated_by='occurred_at'
    ) }}

),

events as (

    select
        scoring_cutoff.cutoff_date,
        as_of_events.contact_id,
        as_of_events.occurred_on,
        as_of_urls.url
    from as_of_events
    inner join as_of_urls
        on as_of_events.event_id = as_of_urls.event_id
    cross join scoring_cutoff

    union all

    select
        {{ offer_evaluation_cutoff() }} as cutoff_date,
        identity.master_contact_id as contact_id,
        cast(event_versions.occurred_at as date) as occurred_on,
        event_versions.url
    from event_versions
    inner join identity
        on event_versions.contact_id = identity.contact_id
    where {{ pit_is_current_on('event_versions', offer_evaluation_cutoff()) }}

),

parsed as (

    select
        cutoff_date,
        contact_id,
        occurred_on,
        cast({{ days_between('occurred_on', 'cutoff_date') }} as {{ dbt.type_int() }}) as days_before_cutoff,
        lower({{ regex_extract_group('url', product_pattern) }}) as product_key,
        lower({{ regex_extract_group('url', category_pattern) }}) as category_key
    from events
    where url is not null

),

windowed as (

    select *
    from parsed
    where days_before_cutoff < {{ interest_days }} and (product_key is not null or category_key is not null)

),

-- the items of each category: every product at product grain, the category itself at category grain
category_items as (

    select distinct
        cutoff_date,
        category,
        item_id
    from products
    where category is not null

),

-- a url matching both patterns is a product page
viewed as (

    select
        windowed.cutoff_date,
        windowed.contact_id,
        windowed.occurred_on,
        windowed.days_before_cutoff,
        {{ offer_item_id('products.product_id', 'products.category') }} as item_id,
        'product' as via
    from windowed
    inner join products
        on
            windowed.cutoff_date = products.cutoff_date
            and windowed.product_key = lower(products.product_id)
    where windowed.product_key is not null

    union all

    select
        windowed.cutoff_date,
        windowed.contact_id,
        windowed.occurred_on,
        windowed.days_before_cutoff,
        category_items.item_id,
        'category' as via
    from windowed
    inner join category_items
        on
            windowed.cutoff_date = category_items.cutoff_date
            and (
                windowed.category_key = category_items.category
                or windowed.category_key = replace(category_items.category, ' ', '-')
            )
    where windowed.product_key is null and windowed.category_key is not null

),

final as (

    select
        -- ids
        cutoff_date,
        contact_id,
        item_id,

        -- interest
        count(*) as view_count,
        sum(case when via = 'product' then 1 else 0 end) as product_view_count,
        {{ offer_decimal6(
            'sum(power(cast(0.5 as ' ~ type_double() ~ '), cast(days_before_cutoff as ' ~ type_double() ~ ') / '
            ~ half_life ~ '))'
        ) }} as decayed_views,
        max(occurred_on) as last_viewed_on,
        case when max(case when via = 'product' then 1 else 0 end) = 1 then 'product' else 'category' end as via

    from viewed
    group by cutoff_date, contact_id, item_id

)

select * from final
