{{ config(post_hook="{{ raise_on_config_errors(this) }}") }}
-- The problem checks below are branches of one union; their columns are named by the first branch.
-- noqa: disable=AL03
-- Validation of the scoring configuration (seeds/scoring, primary-profile vars): one row per problem, naming the seed,
-- the row and what is wrong; the post-hook then fails the build listing them all (D11). The seeds carry no data tests
-- (a failing one would skip this model, naming no row). Settings that would load but do nothing are problems too.
{%- set known = entity_criteria() %}
{%- do known.update({'offer': offer_criteria()}) %}
{%- set text_values = known_text_values() %}
{%- set mql_number_list = "'" ~ (mql_fields()['number'] | join("', '")) ~ "'" %}
{%- set mql_text_list = "'" ~ (mql_fields()['text'] | join("', '")) ~ "'" %}
{%- set string = dbt.type_string() %}
{#- a number as text without trailing zeros (0.5, 30): replace @ with the expression -#}
{%- set number_text = "rtrim(rtrim(cast(cast(@ as decimal(18, 6)) as " ~ string ~ "), '0'), '.')" %}
{%- set operators = "('=', '!=', '<', '<=', '>', '>=', 'in', 'not_in')" %}
{%- set primary_vars = [
    ('customer_primary_profile', 'customer', var('customer_primary_profile', 'retain')),
    ('lead_primary_profile', 'lead', var('lead_primary_profile', 'lead')),
    ('account_primary_profile', 'account', var('account_primary_profile', 'account')),
    ('offer_profile', 'offer', var('offer_profile', 'offer')),
] %}
{#- generic checks: required columns, whole numbers, shares 0-1, identifiers, values that must differ between rows -#}
{%- set required = [
    ('profiles', 'objective'), ('criteria', 'unit'), ('weights', 'rationale'), ('point_rules', 'value'),
    ('bins', 'lower_bound'), ('categories', 'category'), ('mql_rules', 'value'), ('mql_rules', 'priority'),
    ('segments', 'segment'), ('segments', 'segment_order'), ('age_bands', 'age_band'),
    ('ideal_profiles', 'attribute_value'), ('activity_types', 'activity_type'),
] %}
{%- set whole_numbers = [
    ('point_rules', 'window_days', 1), ('mql_rules', 'priority', 1), ('segments', 'segment_order', 1),
] %}
{%- set shares = [('ideal_profiles', 'fit'), ('bins', 'normalized_value'), ('categories', 'normalized_value')] %}
{%- set identifiers = [
    ('profiles', 'profile', 'a profile name'),
    ('point_rules', 'rule_id', 'a rule_id (the factor name)'),
    ('mql_rules', 'rule_id', 'a rule_id (mql_rule)'),
] %}
{%- set distinct_values = [
    ('tiers', 'min_score', 'profile', 'tier', 'tier', 'a score reaching it can get only one of them'),
    ('mql_rules', 'priority', none, 'rule_id', 'rule', 'the rule named would be a tie'),
    ('segments', 'segment_order', none, 'segment', 'segment', 'segments are listed in that order'),
] %}
{%- set seeds = [
    ('profiles', 'scoring_profiles', ['profile']), ('criteria', 'scoring_criteria', ['criterion', 'entity_type']),
    ('weights', 'scoring_weights', ['profile', 'criterion']), ('point_rules', 'point_rules', ['rule_id']),
    ('tiers', 'tier_thresholds', ['profile', 'tier']), ('bins', 'criterion_bins', ['criterion', 'lower_bound']),
    ('categories', 'criterion_categories', ['criterion', 'category']), ('segments', 'rfm_segments', ['segment']),
    ('mql_rules', 'mql_rules', ['rule_id']), ('age_bands', 'age_bands', ['age_band']),
] %}
{%- set keyed = (seeds | map('first') | list) + ['ideal_profiles', 'activity_types'] %}

with

-- the seeds, each row with its seed name (config_table) and key (row_key)
{%- for cte, seed, columns in seeds %}
    {%- set parts = [] %}
    {%- for c in columns %}
        {%- set value = number_text | replace('@', c) if c == 'lower_bound' else c %}
        {%- do parts.append("'" ~ ('' if loop.first else ', ') ~ c ~ "=' || coalesce(" ~ value ~ ", 'NULL')") %}
    {%- endfor %}

    {{ cte }} as (

        select
            *,
            '{{ seed }}' as config_table,
            {{ parts | join(' || ') }} as row_key
        from {{ ref(seed) }}

    ),
{%- endfor %}

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

employee_bands as (

    select * from {{ ref('employee_bands') }}

),

revenue_bands as (

    select * from {{ ref('revenue_bands') }}

),

job_title_keywords as (

    select * from {{ ref('job_title_keywords') }}

),

country_aliases as (

    select * from {{ ref('country_aliases') }}

),

engagement_levels as (

    select * from {{ ref('engagement_levels') }}

),

-- the ideal-profile seeds, with the attributes the fit models look up
ideal_profiles as (

    select
        'ideal_customer_profile' as config_table,
        'attribute=' || coalesce(attribute, 'NULL') || ', value=' || coalesce(attribute_value, 'NULL') as row_key,
        attribute,
        attribute_value,
        fit,
        attribute in ('age_band', 'gender', 'country_code') as is_known_attribute
    from {{ ref('ideal_customer_profile') }}
    union all
    select
        'ideal_company_profile' as config_table,
        'attribute=' || coalesce(attribute, 'NULL') || ', value=' || coalesce(attribute_value, 'NULL') as row_key,
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
        'customer_activity_types' as config_table,
        'activity_type=' || coalesce(activity_type, 'NULL') as row_key,
        'customer' as entity_type,
        activity_type
    from {{ ref('customer_activity_types') }}
    union all
    select
        'lead_activity_types' as config_table,
        'activity_type=' || coalesce(activity_type, 'NULL') as row_key,
        'lead' as entity_type,
        activity_type
    from {{ ref('lead_activity_types') }}

),

-- the criteria the project computes (macro entity_criteria), with their kind: number or text
computed_criteria as (

    {%- set rows = [] %}
    {%- for entity_type, lists in known.items() %}
        {%- for kind in ['number', 'text'] %}
            {%- for c in lists[kind] %}
                {%- do rows.append("('" ~ entity_type ~ "', '" ~ c ~ "', '" ~ kind ~ "')") %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}

    select
        computed.entity_type,
        computed.criterion,
        computed.kind
    from (values {{ rows | join(', ') }}) as computed (entity_type, criterion, kind)

),

-- the values each text criterion or attribute can take (macro known_text_values), in their listed order
known_values as (

    {%- set rows = [] %}
    {%- for name, values in text_values.items() %}
        {%- for v in values %}
            {%- do rows.append("('" ~ name ~ "', '" ~ v ~ "', " ~ loop.index ~ ")") %}
        {%- endfor %}
    {%- endfor %}

    select
        known.value_name,
        known.known_value,
        known.value_order
    from (values {{ rows | join(', ') }}) as known (value_name, known_value, value_order)

),

known_lists as (

    select
        value_name,
        {{ dbt.listagg('known_value', "', '", 'order by value_order') }} as allowed_list
    from known_values
    group by value_name

),

wide_profiles as (

    {#- the customer profiles customer_scores publishes as columns (its contract) -#}
    {%- set wide = customer_wide_profiles() %}
    {%- if wide | length > 0 %}
        {%- set wide_rows = "('" ~ (wide | join("'), ('")) ~ "')" %}
        select wide.profile
        from (values {{ wide_rows }}) as wide (profile)
    {%- else %}
        select cast(null as {{ string }}) as profile
        where 1 = 0
    {%- endif %}

),

primary_profile_vars as (

    {%- set rows = [] %}
    {%- for name, entity_type, value in primary_vars %}
        {%- set quoted = value | string | replace("'", "''") %}
        {%- do rows.append("('" ~ name ~ "', '" ~ entity_type ~ "', '" ~ quoted ~ "')") %}
    {%- endfor %}

    select
        primary_vars.var_name,
        primary_vars.entity_type,
        primary_vars.profile
    from (values {{ rows | join(', ') }}) as primary_vars (var_name, entity_type, profile)

),

digits as (

    select numbers.n from (values (1), (2), (3), (4), (5)) as numbers (n)

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

-- positions 1-125 of the items of an 'a|b' list
positions as (

    select (a.n - 1) * 25 + (b.n - 1) * 5 + c.n as n
    from digits as a
    cross join digits as b
    cross join digits as c

),

weight_sums as (

    select
        profile,
        sum(weight) as total_weight
    from weights
    group by profile

),

-- the order tiers give: by min_score, highest first, whatever their names
ranked_tiers as (

    select
        *,
        row_number() over (partition by profile order by min_score desc, tier asc) as tier_position
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

-- what each rule compares: a number (activity counts and rates, numeric criteria and fields) or a text
rule_fields as (

    select
        point_rules.config_table,
        point_rules.row_key,
        profiles.profile,
        point_rules.field,
        point_rules.operator,
        cast(point_rules.value as {{ string }}) as rule_value,
        case when point_rules.window_days is not null then 'number' else computed_criteria.kind end as kind,
        case
            when point_rules.window_days is not null then 'an activity count'
            when computed_criteria.kind = 'number' then 'a number'
            else 'a text'
        end as kind_text
    from point_rules
    left join profiles
        on point_rules.profile = profiles.profile
    left join computed_criteria
        on
            point_rules.field = computed_criteria.criterion
            and profiles.entity_type = computed_criteria.entity_type
    union all
    select
        config_table,
        row_key,
        cast(null as {{ string }}) as profile,
        field,
        operator,
        cast(value as {{ string }}) as rule_value,
        case
            when field in ({{ mql_number_list }}) then 'number'
            when field in ({{ mql_text_list }}) then 'text'
        end as kind,
        case when field in ({{ mql_number_list }}) then 'a number' else 'a text' end as kind_text
    from mql_rules

),

-- the values a text field of a rule can take: a text criterion's, the lead stages, the tiers of lead_fit (fit_grade)
-- and of the primary lead profile (tier), a fit tier followed by an engagement level (matrix_cell)
rule_text_values as (

    select
        'point_rules' as config_table,
        profiles.profile,
        computed_criteria.criterion as field,
        known_values.known_value as allowed_value,
        known_values.value_order
    from profiles
    inner join computed_criteria
        on profiles.entity_type = computed_criteria.entity_type and computed_criteria.kind = 'text'
    inner join known_values
        on computed_criteria.criterion = known_values.value_name
    union all
    select
        'mql_rules' as config_table,
        cast(null as {{ string }}) as profile,
        'lead_stage' as field,
        known_value as allowed_value,
        value_order
    from known_values
    where value_name = 'lead_stage'
    union all
    select
        'mql_rules' as config_table,
        cast(null as {{ string }}) as profile,
        'fit_grade' as field,
        tier as allowed_value,
        tier_position as value_order
    from ranked_tiers
    where profile = 'lead_fit'
    union all
    select
        'mql_rules' as config_table,
        cast(null as {{ string }}) as profile,
        'tier' as field,
        ranked_tiers.tier as allowed_value,
        ranked_tiers.tier_position as value_order
    from ranked_tiers
    inner join primary_profile_vars
        on
            ranked_tiers.profile = primary_profile_vars.profile
            and primary_profile_vars.var_name = 'lead_primary_profile'
    union all
    select
        'mql_rules' as config_table,
        cast(null as {{ string }}) as profile,
        'matrix_cell' as field,
        ranked_tiers.tier || cast(cast(engagement_levels.engagement_level as {{ dbt.type_int() }}) as {{ string }})
            as allowed_value,
        ranked_tiers.tier_position * 100 - engagement_levels.engagement_level as value_order
    from ranked_tiers
    cross join engagement_levels
    where ranked_tiers.profile = 'lead_fit'

),

rule_text_lists as (

    select
        config_table,
        profile,
        field,
        {{ dbt.listagg('allowed_value', "', '", 'order by value_order') }} as allowed_list
    from rule_text_values
    group by config_table, profile, field

),

-- each value a text rule compares with: the value, or each item of an in / not_in list
rule_items as (

    select
        rule_fields.config_table,
        rule_fields.row_key,
        rule_fields.profile,
        rule_fields.field,
        case
            when rule_fields.operator in ('in', 'not_in')
                then split_part(rule_fields.rule_value, '|', positions.n)
            else rule_fields.rule_value
        end as item
    from rule_fields
    inner join positions
        on
            positions.n <= case
                when rule_fields.operator in ('in', 'not_in')
                    then length(rule_fields.rule_value) - length(replace(rule_fields.rule_value, '|', '')) + 1
                else 1
            end
    where rule_fields.kind = 'text' and rule_fields.rule_value is not null

),

-- the values an ideal-profile attribute can take besides '*' (industry is free text, not checked)
attribute_values as (

    select
        'ideal_customer_profile' as config_table,
        'age_band' as attribute_name,
        age_band as allowed_value,
        min_age as value_order
    from age_bands
    union all
    select
        'ideal_company_profile' as config_table,
        'employee_band' as attribute_name,
        employee_band as allowed_value,
        band_order as value_order
    from employee_bands
    union all
    select
        'ideal_company_profile' as config_table,
        'revenue_band' as attribute_name,
        revenue_band as allowed_value,
        band_order as value_order
    from revenue_bands
    union all
    select distinct
        'ideal_company_profile' as config_table,
        'job_function' as attribute_name,
        job_function as allowed_value,
        0 as value_order
    from job_title_keywords
    where job_function is not null
    union all
    select distinct
        'ideal_company_profile' as config_table,
        'seniority' as attribute_name,
        seniority as allowed_value,
        0 as value_order
    from job_title_keywords
    where seniority is not null
    union all
    select
        case when value_name = 'gender' then 'ideal_customer_profile' else 'ideal_company_profile' end as config_table,
        value_name as attribute_name,
        known_value as allowed_value,
        100 + value_order as value_order
    from known_values
    where value_name in ('gender', 'job_function', 'seniority')

),

attribute_lists as (

    select
        config_table,
        attribute_name,
        {{ dbt.listagg('allowed_value', "', '", 'order by value_order, allowed_value') }} as allowed_list
    from attribute_values
    group by config_table, attribute_name

),

problems as (

    {%- for cte, column in required %}
        {{ 'union all' if not loop.first }}
        select
            config_table,
            row_key,
            '{{ column }} is empty' as problem
        from {{ cte }}
        where {{ column }} is null
    {%- endfor %}
    {%- for cte in keyed %}
        union all
        select
            config_table,
            row_key,
            'defined ' || cast(count(*) as {{ string }}) || ' times'
        from {{ cte }}
        group by config_table, row_key
        having count(*) > 1
    {%- endfor %}
    {%- for cte, column, minimum in whole_numbers %}
        union all
        select
            config_table,
            row_key,
            '{{ column }} must be a whole number, {{ minimum }} or more, got '
            || {{ number_text | replace('@', column) }}
        from {{ cte }}
        where {{ column }} < {{ minimum }} or {{ column }} <> floor({{ column }})
    {%- endfor %}
    {%- for cte, column in shares %}
        union all
        select
            config_table,
            row_key,
            '{{ column }} must be a number from 0 to 1, got ' || coalesce(cast({{ column }} as {{ string }}), 'NULL')
        from {{ cte }}
        where not coalesce({{ column }} between 0 and 1, false)
    {%- endfor %}
    {%- for cte, column, what in identifiers %}
        union all
        select
            config_table,
            row_key,
            '{{ what }} is an identifier: a-z, then a-z, 0-9 or _, at most 63 characters'
        from {{ cte }}
        where not coalesce({{ regex_matches(column, '^[a-z][a-z0-9_]*$') }} and length({{ column }}) <= 63, false)
    {%- endfor %}
    {%- for cte, column, partition, name, label, why in distinct_values %}
        union all
        select
            {{ cte }}.config_table,
            {{ cte }}.row_key,
            '{{ column }} ' || {{ number_text | replace('@', cte ~ '.' ~ column) }} || ' is also that of {{ label }} '
            || twin.{{ name }} || ': {{ why }}'
        from {{ cte }}
        inner join {{ cte }} as twin
            on
                {{ cte }}.{{ column }} = twin.{{ column }}
                and {{ cte }}.{{ name }} <> twin.{{ name }}
                {%- if partition %}
                    and {{ cte }}.{{ partition }} = twin.{{ partition }}
                {%- endif %}
    {%- endfor %}

    -- scoring_criteria
    union all
    select
        criteria.config_table,
        criteria.row_key,
        'unknown criterion: the project computes no criterion of that name for entity type '
        || coalesce(criteria.entity_type, 'NULL')
    from criteria
    left join computed_criteria
        on
            criteria.criterion = computed_criteria.criterion
            and criteria.entity_type = computed_criteria.entity_type
    where computed_criteria.criterion is null

    union all
    select
        criteria.config_table,
        criteria.row_key,
        case
            when not coalesce(criteria.value_type = computed_criteria.kind, false)
                then
                    'value_type must be ' || computed_criteria.kind || ' (the project computes a '
                    || computed_criteria.kind || '), got ' || coalesce(criteria.value_type, 'NULL')
            when computed_criteria.kind = 'text'
                then 'a text criterion is normalised by category, got ' || criteria.normalisation
            else 'category normalisation is for text criteria: use percent_rank, linear or bins'
        end
    from criteria
    inner join computed_criteria
        on
            criteria.criterion = computed_criteria.criterion
            and criteria.entity_type = computed_criteria.entity_type
    where
        not coalesce(criteria.value_type = computed_criteria.kind, false)
        or (computed_criteria.kind = 'text') <> (criteria.normalisation = 'category')

    union all
    select
        config_table,
        row_key,
        'normalisation must be percent_rank, linear, bins or category, got ' || coalesce(normalisation, 'NULL')
    from criteria
    where normalisation is null or normalisation not in ('percent_rank', 'linear', 'bins', 'category')

    union all
    select
        config_table,
        row_key,
        'direction must be higher_is_better or lower_is_better, got ' || coalesce(direction, 'NULL')
    from criteria
    where direction is null or direction not in ('higher_is_better', 'lower_is_better')

    union all
    select
        config_table,
        row_key,
        'lower_is_better has no effect on ' || normalisation || ': set normalized_value (1 = best), higher_is_better'
    from criteria
    where direction = 'lower_is_better' and normalisation in ('bins', 'category')

    union all
    select
        config_table,
        row_key,
        case
            when normalisation = 'linear' then 'linear normalisation needs lower_bound < upper_bound'
            else 'lower_bound and upper_bound are read by linear normalisation only: leave them empty'
        end
    from criteria
    where
        (normalisation = 'linear' and not coalesce(lower_bound < upper_bound, false))
        or (normalisation <> 'linear' and (lower_bound is not null or upper_bound is not null))

    union all
    select
        criteria.config_table,
        criteria.row_key,
        criteria.normalisation || ' normalisation needs rows in criterion_' || criteria.normalisation
        || case when criteria.normalisation = 'bins' then '' else 'ies' end
    from criteria
    where
        (
            criteria.normalisation = 'bins'
            and not exists (
                select 1 from bins
                where bins.criterion = criteria.criterion
            )
        )
        or (
            criteria.normalisation = 'category'
            and not exists (
                select 1 from categories
                where categories.criterion = criteria.criterion
            )
        )

    union all
    select
        config_table,
        row_key,
        case
            when value_type = 'number' then 'value_when_missing must be a number for a number criterion, got '
            else 'value_when_missing must be a category of criterion_categories for a text criterion, got '
        end || value_when_missing
    from criteria
    where
        value_when_missing is not null
        and (
            (
                value_type = 'number'
                and {{ safe_decimal('cast(value_when_missing as ' ~ string ~ ')', 18, 6) }} is null
            )
            or (
                value_type = 'text'
                and not exists (
                    select 1 from categories
                    where
                        categories.criterion = criteria.criterion and categories.category = criteria.value_when_missing
                )
            )
        )

    -- criterion_bins, criterion_categories: rows of a criterion that does not read them, categories never produced
    {%- for cte, normalisation in [('bins', 'bins'), ('categories', 'category')] %}
        union all
        select
            config_table,
            row_key,
            'read only for a criterion normalised by {{ normalisation }}, not ' || coalesce(criterion, 'NULL')
        from {{ cte }}
        where
            not exists (
                select 1 from criteria
                where criteria.criterion = {{ cte }}.criterion and criteria.normalisation = '{{ normalisation }}'
            )
    {%- endfor %}

    union all
    select
        categories.config_table,
        categories.row_key,
        'category ' || categories.category || ' is never produced: ' || categories.criterion || ' takes '
        || known_lists.allowed_list
    from categories
    inner join known_lists
        on categories.criterion = known_lists.value_name
    where
        not exists (
            select 1 from known_values
            where known_values.value_name = categories.criterion and known_values.known_value = categories.category
        )

    -- scoring_profiles and the primary profiles named by vars
    union all
    select
        config_table,
        row_key,
        'entity_type must be customer, lead_fit, lead, account or offer, got ' || coalesce(entity_type, 'NULL')
    from profiles
    where entity_type is null or entity_type not in ('customer', 'lead_fit', 'lead', 'account', 'offer')

    union all
    select
        config_table,
        row_key,
        'the profile has no weights in scoring_weights'
    from profiles
    where
        not exists (
            select 1 from weights
            where weights.profile = profiles.profile
        )

    union all
    select
        'tier_thresholds',
        row_key,
        'the profile has no tiers'
    from profiles
    where
        not exists (
            select 1 from tiers
            where tiers.profile = profiles.profile
        )

    union all
    select
        'scoring_profiles',
        'profile=' || wide_profiles.profile,
        'customer_scores publishes score_' || wide_profiles.profile || ' and tier_' || wide_profiles.profile
        || ' (its contract, models/marts/customer/_customer__models.yml) but no customer profile has that name:'
        || ' restore the profile, or remove the two columns from the contract'
    from wide_profiles
    where
        not exists (
            select 1 from profiles
            where profiles.profile = wide_profiles.profile and profiles.entity_type = 'customer'
        )

    union all
    select
        'dbt_project',
        'var=' || var_name,
        'names no scoring profile of entity type ' || entity_type || ': got ' || profile
    from primary_profile_vars
    where
        exists (
            select 1 from profiles
            where profiles.entity_type = primary_profile_vars.entity_type
        )
        and not exists (
            select 1 from profiles
            where
                profiles.entity_type = primary_profile_vars.entity_type
                and profiles.profile = primary_profile_vars.profile
        )

    -- scoring_weights
    union all
    select
        weights.config_table,
        weights.row_key,
        case
            when profiles.profile is null then 'unknown profile (not in scoring_profiles)'
            else 'unknown criterion (not in scoring_criteria for the profile''s entity type)'
        end
    from weights
    left join profiles
        on weights.profile = profiles.profile
    where
        profiles.profile is null
        or not exists (
            select 1 from criteria
            where criteria.criterion = weights.criterion and criteria.entity_type = profiles.entity_type
        )

    union all
    select
        config_table,
        row_key,
        'weight must be a number >= 0'
    from weights
    where not coalesce(weight >= 0, false)

    union all
    select
        'scoring_weights',
        'profile=' || profile,
        'weights must sum to 100, they sum to ' || cast(total_weight as {{ string }})
    from weight_sums
    where total_weight <> 100

    -- tier_thresholds: free names, ordered by min_score
    union all
    select
        config_table,
        row_key,
        'unknown profile (not in scoring_profiles)'
    from tiers
    where
        not exists (
            select 1 from profiles
            where profiles.profile = tiers.profile
        )

    union all
    select
        config_table,
        row_key,
        'a tier name is a non-empty text without | (MQL rules list tiers as a|b)'
    from tiers
    where tier is null or trim(tier) = '' or tier like '%|%'

    union all
    select
        config_table,
        row_key,
        'tier has no action'
    from tiers
    where action is null or trim(action) = ''

    union all
    select
        config_table,
        row_key,
        'min_score must be between 0 and 100'
    from tiers
    where not coalesce(min_score between 0 and 100, false)

    union all
    select
        'tier_thresholds',
        'profile=' || coalesce(profile, 'NULL'),
        'the lowest tier must start at 0 so that every score gets a tier'
    from tiers
    group by profile
    having min(min_score) <> 0

    -- point_rules
    union all
    select
        point_rules.config_table,
        point_rules.row_key,
        case
            when profiles.profile is null then 'unknown profile ' || coalesce(point_rules.profile, 'NULL')
            else
                'unknown field ' || coalesce(point_rules.field, 'NULL') || ': name a criterion of the profile''s '
                || 'entity type (no window) or one of its activity types (with window_days)'
        end
    from point_rules
    left join profiles
        on point_rules.profile = profiles.profile
    where
        profiles.profile is null
        or (
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
        )

    union all
    select
        point_rules.config_table,
        point_rules.row_key,
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
        config_table,
        row_key,
        case
            when points is null or points = 0 then 'points must be a non-zero number'
            else 'cap must have the sign of points'
        end
    from point_rules
    where points is null or points = 0 or (cap is not null and cap * points <= 0)

    union all
    select
        config_table,
        row_key,
        case
            when window_days is null
                then 'per_occurrence gives points for each occurrence in a window: it needs window_days'
            else
                'a per_occurrence rule gives points for each occurrence whatever its condition: use operator > '
                || 'and value 0, got ' || coalesce(operator, 'NULL') || ' ' || coalesce(value, 'NULL')
        end
    from point_rules
    where
        per_occurrence
        and (
            window_days is null
            or not coalesce(operator = '>' and {{ safe_decimal('cast(value as ' ~ string ~ ')', 18, 6) }} = 0, false)
        )

    -- point_rules, mql_rules: operator and value must suit the field's kind; a text value must be one it takes
    union all
    select
        config_table,
        row_key,
        case
            when operator is null or operator not in {{ operators }}
                then 'operator must be one of =, !=, <, <=, >, >=, in, not_in; got ' || coalesce(operator, 'NULL')
            when kind = 'text'
                then
                    'operator ' || operator || ' compares numbers but ' || field || ' is a text: use =, !=, in or '
                    || 'not_in'
            else
                'operator ' || operator || ' matches texts but ' || field || ' is ' || kind_text
                || ': use =, !=, <, <=, > or >='
        end
    from rule_fields
    where
        operator is null
        or operator not in {{ operators }}
        or (kind = 'text' and operator in ('<', '<=', '>', '>='))
        or (kind = 'number' and operator in ('in', 'not_in'))

    union all
    select
        config_table,
        row_key,
        'value must be a number for the numeric field ' || field
    from rule_fields
    where
        kind = 'number'
        and operator not in ('in', 'not_in')
        and {{ safe_decimal('rule_value', 18, 6) }} is null
        and rule_value is not null

    union all
    select
        rule_items.config_table,
        rule_items.row_key,
        'value ' || rule_items.item || ' is never produced: ' || rule_items.field || ' takes '
        || coalesce(rule_text_lists.allowed_list, 'no value')
    from rule_items
    left join rule_text_lists
        on
            rule_items.config_table = rule_text_lists.config_table
            and coalesce(rule_items.profile, '') = coalesce(rule_text_lists.profile, '')
            and rule_items.field = rule_text_lists.field
    where
        (rule_text_lists.field is not null or rule_items.field in ('fit_grade', 'tier', 'matrix_cell'))
        and not exists (
            select 1 from rule_text_values
            where
                rule_text_values.config_table = rule_items.config_table
                and coalesce(rule_text_values.profile, '') = coalesce(rule_items.profile, '')
                and rule_text_values.field = rule_items.field
                and rule_text_values.allowed_value = rule_items.item
        )

    union all
    select
        config_table,
        row_key,
        'unknown field ' || coalesce(field, 'NULL') || ': use one of the lead fields of macro mql_fields'
    from rule_fields
    where config_table = 'mql_rules' and kind is null

    -- activity types, age_bands
    union all
    select
        age_bands.config_table,
        age_bands.row_key,
        case
            when twin.age_band is null
                then
                    'min_age and max_age must be whole numbers of years with 0 <= min_age <= max_age, got '
                    || coalesce({{ number_text | replace('@', 'age_bands.min_age') }}, 'NULL') || ' and '
                    || coalesce({{ number_text | replace('@', 'age_bands.max_age') }}, 'NULL')
            else 'overlaps age band ' || twin.age_band || ': an age gets one band'
        end
    from age_bands
    left join age_bands as twin
        on
            age_bands.age_band <> twin.age_band
            and age_bands.min_age <= twin.max_age
            and age_bands.max_age >= twin.min_age
    where
        twin.age_band is not null
        or not coalesce(
            age_bands.min_age >= 0 and age_bands.max_age >= age_bands.min_age
            and age_bands.min_age = floor(age_bands.min_age) and age_bands.max_age = floor(age_bands.max_age), false
        )

    -- ideal_customer_profile, ideal_company_profile
    union all
    select
        config_table,
        row_key,
        'unknown attribute: ' || case
            when config_table = 'ideal_customer_profile' then 'age_band, gender or country_code'
            else 'industry, employee_band, revenue_band, country_code, job_function or seniority'
        end || ' expected'
    from ideal_profiles
    where not coalesce(is_known_attribute, false)

    union all
    select
        ideal_profiles.config_table,
        ideal_profiles.row_key,
        'value ' || ideal_profiles.attribute_value || ' is never produced: ' || ideal_profiles.attribute || ' takes '
        || case
            when ideal_profiles.attribute = 'country_code' then 'the ISO 3166-1 alpha-2 codes of country_aliases'
            else attribute_lists.allowed_list
        end || ' or *'
    from ideal_profiles
    left join attribute_lists
        on
            ideal_profiles.config_table = attribute_lists.config_table
            and ideal_profiles.attribute = attribute_lists.attribute_name
    where
        (attribute_lists.attribute_name is not null or ideal_profiles.attribute = 'country_code')
        and ideal_profiles.attribute_value <> '*'
        and not exists (
            select 1 from attribute_values
            where
                attribute_values.config_table = ideal_profiles.config_table
                and attribute_values.attribute_name = ideal_profiles.attribute
                and attribute_values.allowed_value = ideal_profiles.attribute_value
        )
        and not exists (
            select 1 from country_aliases
            where
                ideal_profiles.attribute = 'country_code'
                and country_aliases.country_code = ideal_profiles.attribute_value
        )

    -- rfm_segment_map, rfm_segments: each map cell lies inside its segment's score ranges (D24)
    union all
    select
        'rfm_segment_map',
        'cell=' || cast(r_score as {{ string }}) || cast(f_score as {{ string }}) || cast(m_score as {{ string }}),
        case when mapped = 0 then 'no segment for this RFM cell' else 'this RFM cell maps to several segments' end
    from cell_counts
    where mapped <> 1

    union all
    select
        'rfm_segment_map',
        'r_score=' || coalesce({{ number_text | replace('@', 'segment_map.r_score') }}, 'NULL')
        || ', f_score=' || coalesce({{ number_text | replace('@', 'segment_map.f_score') }}, 'NULL')
        || ', m_score=' || coalesce({{ number_text | replace('@', 'segment_map.m_score') }}, 'NULL'),
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
        'segment=' || coalesce(segment_map.segment, 'NULL'),
        'unknown segment (not in rfm_segments)'
    from segment_map
    where
        not exists (
            select 1 from segments
            where segments.segment = segment_map.segment
        )

    union all
    select
        config_table,
        row_key,
        'score ranges must be whole numbers from 1 to 5 with r_min <= r_max, f_min <= f_max and m_min <= m_max'
    from segments
    where
        coalesce(not (
            r_min between 1 and 5 and r_max between r_min and 5
            and f_min between 1 and 5 and f_max between f_min and 5
            and m_min between 1 and 5 and m_max between m_min and 5
            and r_min + r_max + f_min + f_max + m_min + m_max
            = floor(r_min) + floor(r_max) + floor(f_min) + floor(f_max) + floor(m_min) + floor(m_max)
        ), true)

    union all
    select
        'rfm_segment_map',
        'cell=' || cast(cells.r_score as {{ string }}) || cast(cells.f_score as {{ string }})
        || cast(cells.m_score as {{ string }}),
        'the cell lies outside the score ranges of its segment ' || segments.segment
        || ' (R ' || {{ number_text | replace('@', 'segments.r_min') }}
        || '-' || {{ number_text | replace('@', 'segments.r_max') }}
        || ', F ' || {{ number_text | replace('@', 'segments.f_min') }}
        || '-' || {{ number_text | replace('@', 'segments.f_max') }}
        || ', M ' || {{ number_text | replace('@', 'segments.m_min') }}
        || '-' || {{ number_text | replace('@', 'segments.m_max') }}
        || '): ' || coalesce(segments.description, '')
    from segment_map
    inner join segments
        on segment_map.segment = segments.segment
    inner join cells
        on
            segment_map.r_score = cells.r_score
            and segment_map.f_score = cells.f_score
            and segment_map.m_score = cells.m_score
    where
        not segment_map.r_score between segments.r_min and segments.r_max
        or not segment_map.f_score between segments.f_min and segments.f_max
        or not segment_map.m_score between segments.m_min and segments.m_max

),

final as (

    select distinct
        cast(config_table as {{ string }}) as config_table,
        cast(row_key as {{ string }}) as row_key,
        cast(problem as {{ string }}) as problem
    from problems

)

select * from final
