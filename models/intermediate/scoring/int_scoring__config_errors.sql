{{ config(post_hook="{{ raise_on_config_errors(this) }}") }}
-- The problem checks below are branches of one union; their columns are named by the first branch.
-- noqa: disable=AL03
-- Validation of the scoring configuration (seeds), at build time: one row per problem found, naming the seed, the
-- offending row and what is wrong. Empty when the configuration is valid; otherwise its post-hook fails the build
-- with every problem listed, and every scoring model (which depends on this one) is skipped.
{%- set known = entity_criteria() %}
{%- set mql_field_names = mql_fields()['number'] + mql_fields()['text'] %}
{%- set mql_field_list = "'" ~ (mql_field_names | join("', '")) ~ "'" %}
{%- set mql_number_list = "'" ~ (mql_fields()['number'] | join("', '")) ~ "'" %}

with

profiles as (

    select * from {{ ref('scoring_profiles') }}

),

criteria as (

    select * from {{ ref('scoring_criteria') }}

),

weights as (

    select * from {{ ref('scoring_weights') }}

),

point_rules as (

    select * from {{ ref('point_rules') }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

bins as (

    select * from {{ ref('criterion_bins') }}

),

categories as (

    select * from {{ ref('criterion_categories') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

mql_rules as (

    select * from {{ ref('mql_rules') }}

),

-- attributes each ideal-profile seed can hold: the ones the fit models look up
ideal_profiles as (

    select
        'ideal_customer_profile' as config_table,
        attribute,
        attribute_value,
        fit,
        attribute in ('age_band', 'gender', 'country_code') as is_known_attribute
    from {{ ref('ideal_customer_profile') }}
    union all
    select
        'ideal_company_profile' as config_table,
        attribute,
        attribute_value,
        fit,
        attribute in (
            'industry', 'employee_band', 'revenue_band', 'country_code', 'job_function', 'seniority'
        ) as is_known_attribute
    from {{ ref('ideal_company_profile') }}

),

activity_types as (

    select
        'customer' as entity_type,
        activity_type
    from {{ ref('customer_activity_types') }}
    union all
    select
        'lead' as entity_type,
        activity_type
    from {{ ref('lead_activity_types') }}

),

computed_criteria as (

    {% set rows = [] %}
    {% for entity_type, lists in known.items() %}
        {% for c in lists['number'] + lists['text'] %}
            {% do rows.append("select '" ~ entity_type ~ "' as entity_type, '" ~ c ~ "' as criterion") %}
        {% endfor %}
    {% endfor %}
    {{ rows | join('\n    union all\n    ') }}

),

digits as (

    select 1 as n
    union all
    select 2 as n
    union all
    select 3 as n
    union all
    select 4 as n
    union all
    select 5 as n

),

cells as (

    select
        r.n as r_score,
        f.n as f_score,
        m.n as m_score
    from digits as r
    cross join digits as f
    cross join digits as m

),

weight_sums as (

    select
        profile,
        sum(weight) as total_weight
    from weights
    group by profile

),

ordered_tiers as (

    select
        tiers.*,
        lag(tiers.min_score) over (partition by tiers.profile order by tiers.tier) as better_tier_min_score,
        count(*) over (partition by tiers.profile, tiers.tier) as same_tier_rows,
        min(tiers.min_score) over (partition by tiers.profile) as lowest_min_score
    from tiers

),

cell_counts as (

    select
        cells.r_score,
        cells.f_score,
        cells.m_score,
        count(segment_map.segment) as mapped
    from cells
    left join segment_map
        on
            cells.r_score = segment_map.r_score
            and cells.f_score = segment_map.f_score
            and cells.m_score = segment_map.m_score
    group by cells.r_score, cells.f_score, cells.m_score

),

problems as (

    -- scoring_criteria
    select
        'scoring_criteria' as config_table,
        'criterion=' || criteria.criterion as row_key,
        'unknown criterion: the project computes no criterion of that name for entity type '
        || criteria.entity_type as problem
    from criteria
    left join computed_criteria
        on
            criteria.criterion = computed_criteria.criterion
            and criteria.entity_type = computed_criteria.entity_type
    where computed_criteria.criterion is null

    union all
    select
        'scoring_criteria',
        'criterion=' || criterion,
        'normalisation must be percent_rank, linear, bins or category, got ' || coalesce(normalisation, 'NULL')
    from criteria
    where normalisation is null or normalisation not in ('percent_rank', 'linear', 'bins', 'category')

    union all
    select
        'scoring_criteria',
        'criterion=' || criterion,
        'direction must be higher_is_better or lower_is_better, got ' || coalesce(direction, 'NULL')
    from criteria
    where direction is null or direction not in ('higher_is_better', 'lower_is_better')

    union all
    select
        'scoring_criteria',
        'criterion=' || criterion,
        'linear normalisation needs lower_bound < upper_bound'
    from criteria
    where
        normalisation = 'linear'
        and (lower_bound is null or upper_bound is null or not lower_bound < upper_bound)

    union all
    select
        'scoring_criteria',
        'criterion=' || criteria.criterion,
        'bins normalisation needs rows in criterion_bins'
    from criteria
    where
        criteria.normalisation = 'bins'
        and not exists (
            select 1 from bins
            where bins.criterion = criteria.criterion
        )

    union all
    select
        'scoring_criteria',
        'criterion=' || criteria.criterion,
        'category normalisation needs rows in criterion_categories'
    from criteria
    where
        criteria.normalisation = 'category'
        and not exists (
            select 1 from categories
            where categories.criterion = criteria.criterion
        )

    union all
    select
        'scoring_criteria',
        'criterion=' || criterion,
        'defined ' || cast(count(*) as {{ dbt.type_string() }}) || ' times for one entity type'
    from criteria
    group by criterion, entity_type
    having count(*) > 1

    union all
    select
        'scoring_criteria',
        'criterion=' || criterion,
        'value_when_missing must be a number for a number criterion, got ' || value_when_missing
    from criteria
    where
        value_type = 'number'
        and value_when_missing is not null
        and {{ safe_decimal('cast(value_when_missing as ' ~ dbt.type_string() ~ ')', 18, 6) }} is null

    union all
    select
        'scoring_criteria',
        'criterion=' || criteria.criterion,
        'value_when_missing must be a category of criterion_categories for a text criterion, got '
        || criteria.value_when_missing
    from criteria
    where
        criteria.value_type = 'text'
        and criteria.value_when_missing is not null
        and not exists (
            select 1 from categories
            where
                categories.criterion = criteria.criterion
                and categories.category = criteria.value_when_missing
        )

    -- scoring_profiles
    union all
    select
        'scoring_profiles',
        'profile=' || profile,
        'defined ' || cast(count(*) as {{ dbt.type_string() }}) || ' times'
    from profiles
    group by profile
    having count(*) > 1

    -- scoring_weights
    union all
    select
        'scoring_weights',
        'profile=' || weights.profile || ', criterion=' || weights.criterion,
        'unknown profile (not in scoring_profiles)'
    from weights
    left join profiles
        on weights.profile = profiles.profile
    where profiles.profile is null

    union all
    select
        'scoring_weights',
        'profile=' || weights.profile || ', criterion=' || weights.criterion,
        'unknown criterion (not in scoring_criteria for the profile''s entity type)'
    from weights
    inner join profiles
        on weights.profile = profiles.profile
    left join criteria
        on
            weights.criterion = criteria.criterion
            and profiles.entity_type = criteria.entity_type
    where criteria.criterion is null

    union all
    select
        'scoring_weights',
        'profile=' || profile || ', criterion=' || criterion,
        'weight must be a number >= 0'
    from weights
    where weight is null or weight < 0

    union all
    select
        'scoring_weights',
        'profile=' || profile,
        'weights must sum to 100, they sum to ' || cast(total_weight as {{ dbt.type_string() }})
    from weight_sums
    where total_weight <> 100

    union all
    select
        'scoring_profiles',
        'profile=' || profiles.profile,
        'the profile has no weights in scoring_weights'
    from profiles
    left join weight_sums
        on profiles.profile = weight_sums.profile
    where weight_sums.profile is null

    -- tier_thresholds
    union all
    select
        'tier_thresholds',
        'profile=' || profiles.profile,
        'the profile has no tiers'
    from profiles
    where
        not exists (
            select 1 from tiers
            where tiers.profile = profiles.profile
        )

    union all
    select
        'tier_thresholds',
        'profile=' || profile || ', tier=' || tier,
        'unknown profile (not in scoring_profiles)'
    from tiers
    where profile not in (select profiles.profile from profiles)

    union all
    select
        'tier_thresholds',
        'profile=' || profile || ', tier=' || tier,
        'tier has no action'
    from tiers
    where action is null or trim(action) = ''

    union all
    select
        'tier_thresholds',
        'profile=' || profile || ', tier=' || tier,
        'min_score must be between 0 and 100'
    from tiers
    where min_score is null or min_score < 0 or min_score > 100

    union all
    select
        'tier_thresholds',
        'profile=' || profile || ', tier=' || tier,
        'tier defined more than once'
    from ordered_tiers
    where same_tier_rows > 1

    union all
    select
        'tier_thresholds',
        'profile=' || profile || ', tier=' || tier,
        'thresholds overlap or are out of order: each tier (A, B, C...) needs a lower min_score than the one '
        || 'before it'
    from ordered_tiers
    where better_tier_min_score is not null and not min_score < better_tier_min_score

    union all
    select distinct
        'tier_thresholds',
        'profile=' || profile,
        'the lowest tier must start at 0 so that every score gets a tier'
    from ordered_tiers
    where lowest_min_score <> 0

    -- point_rules
    union all
    select
        'point_rules',
        'rule_id=' || point_rules.rule_id,
        'unknown profile ' || point_rules.profile
    from point_rules
    left join profiles
        on point_rules.profile = profiles.profile
    where profiles.profile is null

    union all
    select
        'point_rules',
        'rule_id=' || point_rules.rule_id,
        'unknown field ' || point_rules.field || ': name a criterion of the profile''s entity type (no window) or '
        || 'one of its activity types (with window_days)'
    from point_rules
    left join profiles
        on point_rules.profile = profiles.profile
    where
        not (
            point_rules.window_days is null
            and exists (
                select 1 from criteria
                where criteria.criterion = point_rules.field and criteria.entity_type = profiles.entity_type
            )
        )
        and not (
            point_rules.window_days is not null
            and exists (
                select 1 from activity_types
                where
                    activity_types.activity_type = point_rules.field
                    and activity_types.entity_type = profiles.entity_type
            )
        )

    union all
    select
        'point_rules',
        'rule_id=' || point_rules.rule_id,
        'unknown per ' || point_rules.per || ': the base of a rate is an activity type of the profile''s entity '
        || 'type, counted in the same window (window_days needed)'
    from point_rules
    left join profiles
        on point_rules.profile = profiles.profile
    where
        point_rules.per is not null
        and not (
            point_rules.window_days is not null
            and exists (
                select 1 from activity_types
                where
                    activity_types.activity_type = point_rules.per
                    and activity_types.entity_type = profiles.entity_type
            )
        )

    union all
    select
        'point_rules',
        'rule_id=' || rule_id,
        'operator must be one of =, !=, <, <=, >, >=, in, not_in; got ' || coalesce(operator, 'NULL')
    from point_rules
    where operator is null or operator not in ('=', '!=', '<', '<=', '>', '>=', 'in', 'not_in')

    union all
    select
        'point_rules',
        'rule_id=' || point_rules.rule_id,
        'value must be a number for a numeric field or an activity count'
    from point_rules
    left join criteria
        on point_rules.field = criteria.criterion
    where
        (point_rules.window_days is not null or criteria.value_type = 'number')
        and {{ safe_decimal('cast(point_rules.value as ' ~ dbt.type_string() ~ ')', 18, 6) }} is null

    union all
    select
        'point_rules',
        'rule_id=' || rule_id,
        'points must be a non-zero number'
    from point_rules
    where points is null or points = 0

    union all
    select
        'point_rules',
        'rule_id=' || rule_id,
        'cap must have the sign of points'
    from point_rules
    where cap is not null and ((points > 0 and cap <= 0) or (points < 0 and cap >= 0))

    union all
    select
        'point_rules',
        'rule_id=' || rule_id,
        'window_days must be a positive number of days'
    from point_rules
    where window_days is not null and window_days <= 0

    union all
    select
        'point_rules',
        'rule_id=' || rule_id,
        'rule_id defined more than once'
    from point_rules
    group by rule_id
    having count(*) > 1

    -- mql_rules
    union all
    select
        'mql_rules',
        'rule_id=' || rule_id,
        'unknown field ' || coalesce(field, 'NULL') || ': use one of the lead fields of macro mql_fields'
    from mql_rules
    where field is null or field not in ({{ mql_field_list }})

    union all
    select
        'mql_rules',
        'rule_id=' || rule_id,
        'operator must be one of =, !=, <, <=, >, >=, in, not_in; got ' || coalesce(operator, 'NULL')
    from mql_rules
    where operator is null or operator not in ('=', '!=', '<', '<=', '>', '>=', 'in', 'not_in')

    union all
    select
        'mql_rules',
        'rule_id=' || rule_id,
        'value must be a number for the numeric field ' || field
    from mql_rules
    where
        field in ({{ mql_number_list }})
        and {{ safe_decimal('cast(value as ' ~ dbt.type_string() ~ ')', 18, 6) }} is null

    union all
    select
        'mql_rules',
        'rule_id=' || rule_id,
        'rule_id defined more than once'
    from mql_rules
    group by rule_id
    having count(*) > 1

    -- ideal_customer_profile, ideal_company_profile
    union all
    select
        config_table,
        'attribute=' || coalesce(attribute, 'NULL') || ', value=' || coalesce(attribute_value, 'NULL'),
        'unknown attribute: ' || case
            when config_table = 'ideal_customer_profile' then 'age_band, gender or country_code'
            else 'industry, employee_band, revenue_band, country_code, job_function or seniority'
        end || ' expected'
    from ideal_profiles
    where not coalesce(is_known_attribute, false)

    union all
    select
        config_table,
        'attribute=' || coalesce(attribute, 'NULL') || ', value=' || coalesce(attribute_value, 'NULL'),
        'fit must be a number from 0 to 1, got ' || coalesce(cast(fit as {{ dbt.type_string() }}), 'NULL')
    from ideal_profiles
    where fit is null or fit < 0 or fit > 1

    union all
    select
        config_table,
        'attribute=' || attribute || ', value=' || attribute_value,
        'defined ' || cast(count(*) as {{ dbt.type_string() }}) || ' times'
    from ideal_profiles
    group by config_table, attribute, attribute_value
    having count(*) > 1

    -- rfm_segment_map
    union all
    select
        'rfm_segment_map',
        'cell=' || cast(r_score as {{ dbt.type_string() }}) || cast(f_score as {{ dbt.type_string() }})
        || cast(m_score as {{ dbt.type_string() }}),
        case when mapped = 0 then 'no segment for this RFM cell' else 'this RFM cell maps to several segments' end
    from cell_counts
    where mapped <> 1

    union all
    select
        'rfm_segment_map',
        'cell=' || cast(segment_map.r_score as {{ dbt.type_string() }})
        || cast(segment_map.f_score as {{ dbt.type_string() }}) || cast(segment_map.m_score as {{ dbt.type_string() }}),
        'scores must be whole numbers from 1 to 5'
    from segment_map
    left join cells
        on
            segment_map.r_score = cells.r_score
            and segment_map.f_score = cells.f_score
            and segment_map.m_score = cells.m_score
    where cells.r_score is null

    union all
    select
        'rfm_segment_map',
        'segment=' || segment_map.segment,
        'unknown segment (not in rfm_segments)'
    from segment_map
    left join segments
        on segment_map.segment = segments.segment
    where segments.segment is null

    -- rfm_segments: the score ranges each description implies; the map's cells must lie inside them
    union all
    select
        'rfm_segments',
        'segment=' || segment,
        'score ranges must be whole numbers from 1 to 5 with r_min <= r_max, f_min <= f_max and m_min <= m_max'
    from segments
    where
        coalesce(not (
            r_min between 1 and 5 and r_max between r_min and 5
            and f_min between 1 and 5 and f_max between f_min and 5
            and m_min between 1 and 5 and m_max between m_min and 5
        ), true)

    union all
    select
        'rfm_segment_map',
        'cell=' || cast(segment_map.r_score as {{ dbt.type_string() }})
        || cast(segment_map.f_score as {{ dbt.type_string() }}) || cast(segment_map.m_score as {{ dbt.type_string() }}),
        'the cell lies outside the score ranges of its segment ' || segments.segment || ' (R '
        || cast(segments.r_min as {{ dbt.type_string() }}) || '-' || cast(segments.r_max as {{ dbt.type_string() }})
        || ', F ' || cast(segments.f_min as {{ dbt.type_string() }}) || '-'
        || cast(segments.f_max as {{ dbt.type_string() }})
        || ', M ' || cast(segments.m_min as {{ dbt.type_string() }}) || '-'
        || cast(segments.m_max as {{ dbt.type_string() }})
        || '): ' || coalesce(segments.description, '')
    from segment_map
    inner join segments
        on segment_map.segment = segments.segment
    where
        not segment_map.r_score between segments.r_min and segments.r_max
        or not segment_map.f_score between segments.f_min and segments.f_max
        or not segment_map.m_score between segments.m_min and segments.m_max

),

final as (

    select
        cast(config_table as {{ dbt.type_string() }}) as config_table,
        cast(row_key as {{ dbt.type_string() }}) as row_key,
        cast(problem as {{ dbt.type_string() }}) as problem
    from problems

)

select * from final
