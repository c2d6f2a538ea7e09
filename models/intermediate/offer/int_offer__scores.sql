-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Offer scores of every candidate at both cut-offs: one row per cut-off, entity, item and offer profile (entity type
-- 'offer' of the scoring seeds). The engine's contributions are int_offer__criteria (one engine run per cut-off,
-- entity_id = contact_id || '|' || item_id); its totals run here once per cut-off too (no points rules: an offer
-- profile's score is its weighted criteria). Then: the rank per cut-off,
-- contact and profile (ties by item_id), each criterion's points (they add up to offer_score), a reason from the top
-- contributing criterion with its evidence, and the top offers after the diversity rule (at most
-- var offer_max_per_category per category among the var offer_top_k best; no diversity rule at category grain).
{%- set names = offer_criteria() %}
{%- set top_k = offer_int_var('offer_top_k', 3) %}
{%- set max_per_category = offer_int_var('offer_max_per_category', 1) %}
{%- set is_category_grain = var('offer_grain', 'product') == 'category' %}
{%- set interest_days = offer_int_var('offer_interest_days', 30) %}
{%- set string = dbt.type_string() %}
{%- set evidence_order = [
    'offer_co_purchase_lift', 'offer_interest', 'offer_repurchase_due', 'offer_category_affinity', 'offer_popularity',
    'offer_segment_fit', 'offer_budget_fit',
] %}
{%- set criterion_names = names['number'] + names['text'] %}
{%- set tie_order = (evidence_order | select('in', criterion_names) | list)
    + (criterion_names | reject('in', evidence_order) | sort | list) %}

with

features as (

    select * from {{ ref('int_offer__features') }}

),

-- criteria is read three times and each cut-off's contributions feed a totals pass: read where used, never held in
-- memory (tens of millions of rows at a million contacts)
criteria as {{ inline_cte() }} (

    select * from {{ ref('int_offer__criteria') }}

),

scoring_contributions as {{ inline_cte() }} (

    select * from criteria
    where is_scoring_row

),

evaluation_contributions as {{ inline_cte() }} (

    select * from criteria
    where not is_scoring_row

),

no_points as (

    select
        cast(null as {{ dbt.type_string() }}) as profile,
        cast(null as {{ dbt.type_string() }}) as entity_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_int() }}) as occurrences,
        cast(null as decimal(18, 2)) as points_awarded
    where 1 = 0

),

scoring_totals as (

    {{ scoring_totals('scoring_contributions', 'no_points', 'offer', top_n=0) }}

),

evaluation_totals as (

    {{ scoring_totals('evaluation_contributions', 'no_points', 'offer', top_n=0) }}

),

totals as (

    select
        true as is_scoring_row,
        profile,
        entity_id,
        score,
        tier,
        recommended_action
    from scoring_totals
    union all
    select
        false as is_scoring_row,
        profile,
        entity_id,
        score,
        tier,
        recommended_action
    from evaluation_totals

),

-- one row per cut-off, profile and entity: the points of each criterion
points as (

    select
        is_scoring_row,
        profile,
        entity_id,
        {%- for c in criterion_names %}
            coalesce(sum(case when criterion = '{{ c }}' then contribution_points end), 0) as {{ c }}_points,
        {%- endfor %}
        count(*) as criteria_count
    from criteria
    group by is_scoring_row, profile, entity_id

),

-- the criterion that gave the most points (none when no criterion gave any): the reason quotes its evidence; ties go
-- to the most specific evidence (the contact's own behaviour before its profile, targeting and budget), then to the
-- name
top_points as (

    select
        points.*,
        greatest(
            {%- for c in criterion_names %}
                points.{{ c }}_points{{ "," if not loop.last }}
            {%- endfor %}
        ) as best_points
    from points

),

explained_points as (

    select
        top_points.*,
        case
            when top_points.best_points > 0 then case
                {%- for c in tie_order %}
                    when top_points.{{ c }}_points = top_points.best_points then '{{ c }}'
                {%- endfor %}
            end
        end as top_criterion
    from top_points

),

scored as (

    select
        features.*,
        totals.profile,
        cast(totals.score as decimal(5, 2)) as offer_score,
        totals.tier,
        totals.recommended_action,
        {%- for c in criterion_names %}
            points.{{ c }}_points,
        {%- endfor %}
        points.top_criterion
    from features
    inner join totals
        on
            features.is_scoring_row = totals.is_scoring_row
            and features.entity_id = totals.entity_id
    inner join explained_points as points
        on
            totals.is_scoring_row = points.is_scoring_row
            and totals.profile = points.profile
            and totals.entity_id = points.entity_id

),

explained as (

    select
        scored.*,
        case scored.top_criterion
            when 'offer_co_purchase_lift'
                then
                    'bought ' || scored.antecedent_name || '; '
                    || cast(cast(round(100 * scored.co_purchase_confidence, 0) as {{ dbt.type_int() }}) as {{ string }})
                    || '% of its buyers also bought this'
            when 'offer_interest'
                then
                    'viewed this '
                    || case
                        when scored.has_product_view {{ "and false" if is_category_grain }} then 'product' else
                            'category'
                    end
                    || ' ' || cast(scored.view_count as {{ string }})
                    || case when scored.view_count = 1 then ' time' else ' times' end
                    || ' in the last {{ interest_days }} days'
            when 'offer_category_affinity'
                then
                    cast(cast(round(100 * scored.offer_category_affinity, 0) as {{ dbt.type_int() }}) as {{ string }})
                    || '% of their purchases are in ' || scored.category
            when 'offer_segment_fit'
                then case scored.segment_match
                    when 'industry' then 'made for ' || scored.industry || ' companies'
                    when 'segment' then 'made for ' || scored.segment || ' customers'
                    when 'size_band' then 'made for companies of ' || scored.size_band || ' employees'
                    else 'made for every customer'
                end
            when 'offer_popularity'
                then
                    'popular with ' || scored.segment_key || ' customers: '
                    || cast(cast(round(100 * scored.offer_popularity, 0) as {{ dbt.type_int() }}) as {{ string }})
                    || '% bought it'
            when 'offer_repurchase_due'
                then
                    'last bought '
                    || cast(scored.days_since_purchase as {{ string }})
                    || ' days ago; usually bought again every '
                    || cast(scored.repurchase_days as {{ string }}) || ' days'
            when 'offer_budget_fit'
                then
                    'needs a budget of ' || cast(scored.price_needed as {{ string }})
                    || case
                        when scored.offer_budget_fit >= 1 then ', within the contact''s ' else ', above the contact''s '
                    end
                    || cast(scored.budget as {{ string }})
            else 'suggested from ' || replace(scored.sources, ',', ', ')
        end as reason
    from scored

),

ranked as (

    select
        explained.*,
        row_number() over (
            partition by explained.cutoff_date, explained.contact_id, explained.profile
            order by explained.offer_score desc, explained.item_id asc
        ) as offer_rank
    from explained

),

-- diversity: an item stays in the top list only while its category has fewer than max_per_category better items
category_ranked as (

    select
        ranked.*,
        {%- if is_category_grain %}
        1 as category_position
        {%- else %}
            row_number() over (
                partition by
                    ranked.cutoff_date, ranked.contact_id, ranked.profile, coalesce(ranked.category, ranked.item_id)
                order by ranked.offer_rank
            ) as category_position
        {%- endif %}
    from ranked

),

diversified as (

    select
        category_ranked.*,
        case
            when category_ranked.category_position <= {{ max_per_category }}
                then row_number() over (
                    partition by
                        category_ranked.cutoff_date,
                        category_ranked.contact_id,
                        category_ranked.profile,
                        case when category_ranked.category_position <= {{ max_per_category }} then 1 else 0 end
                    order by category_ranked.offer_rank
                )
        end as eligible_rank
    from category_ranked

),

final as (

    select
        -- keys
        cutoff_date,
        is_scoring_row,
        contact_id,
        item_id,
        profile,
        product_id,
        category,
        population,

        -- score
        offer_score,
        cast(offer_rank as {{ dbt.type_int() }}) as offer_rank,
        tier,
        recommended_action,
        {%- for c in names['number'] + names['text'] %}
            cast({{ c }}_points as decimal(18, 2)) as {{ c }}_points,
        {%- endfor %}

        -- explanation
        top_criterion,
        reason,
        sources,

        -- next best offers
        coalesce(eligible_rank <= {{ top_k }}, false) as is_top_offer,
        cast(case when eligible_rank <= {{ top_k }} then eligible_rank end as {{ dbt.type_int() }}) as top_offer_rank
    from diversified

)

select * from final
