{{ config(post_hook="{{ raise_on_config_errors(this, 'activation') }}") }}
-- The problem checks below are branches of one union; their columns are named by the first branch.
-- noqa: disable=AL03
-- Validation of the activation configuration (seeds/activation, with the scoring profiles and tiers they name): one
-- row per problem, naming the seed, the row and what is wrong; the post-hook then fails the build listing them all,
-- as int_scoring__config_errors does for the scoring seeds. Every audience model depends on it.
{%- set string = dbt.type_string() %}
{%- set channels = activation_channels() %}
{%- set consent_channels = activation_consent_channels() %}
{%- set allowed = activation_channel_allowed_columns() %}
{%- set operators = "('=', '!=', '<', '<=', '>', '>=')" %}
{%- set channel_list = "('" ~ (channels | join("', '")) ~ "')" %}
{%- set consent_channel_list = "('" ~ (consent_channels | join("', '")) ~ "')" %}
{%- set lead_profile = var('lead_primary_profile', 'lead') %}
{%- set account_profile = var('account_primary_profile', 'account') %}

with

audiences as (

    select
        *,
        'audience=' || coalesce(audience, 'NULL') as row_key
    from {{ ref('audiences') }}

),

channel_columns as (

    select
        *,
        'channel=' || coalesce(channel, 'NULL') || ', column_name=' || coalesce(column_name, 'NULL') as row_key
    from {{ ref('channel_columns') }}

),

consent_channels as (

    select
        *,
        'channel=' || coalesce(channel, 'NULL') as row_key
    from {{ ref('consent_channels') }}

),

profiles as (

    select * from {{ ref('scoring_profiles') }}

),

tiers as (

    select * from {{ ref('tier_thresholds') }}

),

-- the profiles whose scores the marts publish, per entity type (what score_history keeps)
published_profiles as (

    select
        profile,
        'customer' as entity_type
    from profiles
    where entity_type = 'customer'
    union all
    select
        '{{ lead_profile }}' as profile,
        'lead' as entity_type
    union all
    select
        'lead_fit' as profile,
        'lead' as entity_type
    union all
    select
        '{{ account_profile }}' as profile,
        'account' as entity_type

),

-- the columns a condition may test, per entity type and kind (the score marts' contracts)
condition_fields as (

    {%- set branches = [] %}
    {%- for entity_type in activation_score_marts() %}
        {%- set fields = activation_condition_fields(entity_type) %}
        {%- for kind in ['number', 'text', 'boolean'] %}
            {%- for f in fields[kind] %}
                {%- do branches.append(
                    "select '" ~ entity_type ~ "' as entity_type, '" ~ f ~ "' as field, '" ~ kind ~ "' as kind"
                ) %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}
    {%- if branches %}
        {{ branches | join('\n        union all\n        ') }}
    {%- else %}
        select
            cast(null as {{ string }}) as entity_type,
            cast(null as {{ string }}) as field,
            cast(null as {{ string }}) as kind
        where 1 = 0
    {%- endif %}

),

-- the score mart of each entity type: what a condition tests
score_marts as (

    {%- for entity_type, mart in activation_score_marts().items() %}
        select
            '{{ entity_type }}' as entity_type,
            '{{ mart }}' as score_mart
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

-- what each channel may carry (macro activation_channel_allowed_columns)
allowed_columns as (

    {%- set branches = [] %}
    {%- for channel, columns in allowed.items() %}
        {%- for c in columns %}
            {%- do branches.append(
                "select '" ~ channel ~ "' as channel, '" ~ c ~ "' as column_name, " ~ loop.index ~ " as column_order"
            ) %}
        {%- endfor %}
    {%- endfor %}
    {{ branches | join('\n    union all\n    ') }}

),

allowed_lists as (

    select
        channel,
        {{ dbt.listagg('column_name', "', '", 'order by column_order') }} as allowed_list
    from allowed_columns
    group by channel

),

known_channels as (

    {%- for c in consent_channels %}
        select
            '{{ c }}' as channel,
            {{ 'true' if c in channels else 'false' }} as is_audience_channel
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

tier_lists as (

    select
        profile,
        {{ dbt.listagg('tier', "', '", 'order by min_score desc') }} as tier_list
    from tiers
    group by profile

),

-- the listed tiers of each audience that its profile has
audience_tiers as (

    select
        audiences.audience,
        count(distinct tiers.tier) as known_tiers
    from audiences
    inner join tiers
        on
            audiences.profile = tiers.profile
            and {{ activation_list_has('audiences.tiers', 'tiers.tier') }}
    group by audiences.audience

),

-- the listed columns of each audience that channel_columns has for its channel
audience_columns as (

    select
        audiences.audience,
        count(distinct channel_columns.column_name) as known_columns
    from audiences
    inner join channel_columns
        on
            audiences.channel = channel_columns.channel
            and {{ activation_list_has('audiences.columns', 'channel_columns.column_name') }}
    group by audiences.audience

),

distinct_channel_columns as (

    select distinct
        channel,
        column_name
    from channel_columns

),

channel_column_lists as (

    select
        channel,
        {{ dbt.listagg('column_name', "', '", 'order by column_name') }} as column_list
    from distinct_channel_columns
    group by channel

),

audience_checks as (

    select
        audiences.*,
        published_profiles.profile is not null as is_published,
        profiles.entity_type as profile_entity_type,
        condition_fields.kind as condition_kind,
        score_marts.score_mart,
        {{ safe_decimal('audiences.condition_value', 18, 6) }} as condition_number,
        coalesce(audience_tiers.known_tiers, 0) as known_tiers,
        coalesce(audience_columns.known_columns, 0) as known_columns,
        tier_lists.tier_list,
        channel_column_lists.column_list,
        count(*) over (partition by audiences.audience) as definitions
    from audiences
    left join published_profiles
        on
            audiences.profile = published_profiles.profile
            and audiences.entity_type = published_profiles.entity_type
    left join profiles
        on audiences.profile = profiles.profile
    left join condition_fields
        on
            audiences.entity_type = condition_fields.entity_type
            and audiences.condition_field = condition_fields.field
    left join score_marts
        on audiences.entity_type = score_marts.entity_type
    left join audience_tiers
        on audiences.audience = audience_tiers.audience
    left join audience_columns
        on audiences.audience = audience_columns.audience
    left join tier_lists
        on audiences.profile = tier_lists.profile
    left join channel_column_lists
        on audiences.channel = channel_column_lists.channel

),

channel_column_checks as (

    select
        channel_columns.*,
        allowed_columns.column_name is not null as is_allowed,
        allowed_lists.allowed_list,
        count(*) over (partition by channel_columns.channel, channel_columns.column_name) as definitions
    from channel_columns
    left join allowed_columns
        on
            channel_columns.channel = allowed_columns.channel
            and channel_columns.column_name = allowed_columns.column_name
    left join allowed_lists
        on channel_columns.channel = allowed_lists.channel

),

channel_defaults as (

    select
        known_channels.channel,
        count(channel_columns.channel) as column_rows,
        sum(case when channel_columns.is_default then 1 else 0 end) as default_columns
    from known_channels
    left join channel_columns
        on known_channels.channel = channel_columns.channel
    where known_channels.is_audience_channel
    group by known_channels.channel

),

consent_counts as (

    select
        known_channels.channel,
        count(consent_channels.channel) as consent_rows
    from known_channels
    left join consent_channels
        on known_channels.channel = consent_channels.channel
    group by known_channels.channel

),

problems as (

    -- audiences
    select
        'audiences' as config_table,
        row_key,
        'audience is empty' as problem
    from audience_checks
    where audience is null
    union all
    select
        'audiences',
        row_key,
        'audience must be a lower-case snake_case identifier (letters, digits, _; it names the export files)'
    from audience_checks
    where audience is not null and not {{ regex_matches('audience', '^[a-z][a-z0-9_]*$') }}
    union all
    select
        'audiences',
        row_key,
        'audience name ''' || audience || ''' is reserved (the export set''s triggers.csv, triggers.parquet and '
        || 'manifest.json): choose another name'
    from audience_checks
    where audience in ('triggers', 'manifest')
    union all
    select
        'audiences',
        row_key,
        'audience defined ' || cast(definitions as {{ string }}) || ' times'
    from audience_checks
    where audience is not null and definitions > 1
    union all
    select
        'audiences',
        row_key,
        'unknown entity_type ' || coalesce('''' || entity_type || '''', 'NULL') || ' (customer, lead or account)'
    from audience_checks
    where coalesce(entity_type, '') not in ('customer', 'lead', 'account')
    union all
    select
        'audiences',
        row_key,
        case
            when profile is null then 'profile is empty'
            when profile_entity_type is null then 'unknown profile ''' || profile || ''' (not in scoring_profiles)'
            else
                'profile ''' || profile || ''' is not published for ' || entity_type || 's (customers: a customer '
                || 'profile; leads: {{ lead_profile }} or lead_fit; accounts: {{ account_profile }})'
        end
    from audience_checks
    where entity_type in ('customer', 'lead', 'account') and not is_published
    union all
    select
        'audiences',
        row_key,
        'tiers ''' || tiers || ''' lists a tier profile ' || profile || ' does not have, or one twice (its tiers: '
        || tier_list || ')'
    from audience_checks
    where
        is_published
        and tiers is not null
        and {{ activation_list_length('tiers') }} <> known_tiers
    union all
    select
        'audiences',
        row_key,
        'condition_field, condition_operator and condition_value go together: give all three or none'
    from audience_checks
    where
        not (
            (condition_field is null and condition_operator is null and condition_value is null)
            or (condition_field is not null and condition_operator is not null and condition_value is not null)
        )
    union all
    select
        'audiences',
        row_key,
        'condition_field ''' || condition_field || ''' is not a numeric, text or yes/no column of ' || score_mart
    from audience_checks
    where
        condition_field is not null
        and entity_type in ('customer', 'lead', 'account')
        and condition_kind is null
    union all
    select
        'audiences',
        row_key,
        'unknown condition_operator ''' || condition_operator || ''' (=, !=, >, >=, <, <=)'
    from audience_checks
    where condition_operator is not null and condition_operator not in {{ operators }}
    union all
    select
        'audiences',
        row_key,
        'condition_value ''' || condition_value || ''' is not a number (' || condition_field || ' is numeric)'
    from audience_checks
    where condition_kind = 'number' and condition_value is not null and condition_number is null
    union all
    select
        'audiences',
        row_key,
        'order operator ' || condition_operator || ' on text column ' || condition_field || ' (= or != only)'
    from audience_checks
    where condition_kind = 'text' and condition_operator in ('<', '<=', '>', '>=')
    union all
    select
        'audiences',
        row_key,
        condition_field || ' is yes/no: use = or != with true or false'
    from audience_checks
    where
        condition_kind = 'boolean'
        and (
            condition_operator not in ('=', '!=')
            or lower(condition_value) not in ('true', 'false')
        )
    union all
    select
        'audiences',
        row_key,
        'unknown channel ' || coalesce('''' || channel || '''', 'NULL') || ' ({{ channels | join(", ") }})'
    from audience_checks
    where coalesce(channel, '') not in {{ channel_list }}
    union all
    select
        'audiences',
        row_key,
        'an account has no address: account audiences go to channel crm only'
    from audience_checks
    where entity_type = 'account' and channel in ('email', 'phone', 'ads')
    union all
    select
        'audiences',
        row_key,
        'columns ''' || columns || ''' lists a column channel_columns does not give channel ' || channel
        || ', or one twice (channel ' || channel || ': ' || coalesce(column_list, 'no column') || ')'
    from audience_checks
    where
        columns is not null
        and channel in {{ channel_list }}
        and {{ activation_list_length('columns') }} <> known_columns
    union all

    -- channel_columns
    select
        'channel_columns',
        row_key,
        'unknown channel ' || coalesce('''' || channel || '''', 'NULL') || ' ({{ channels | join(", ") }})'
    from channel_column_checks
    where coalesce(channel, '') not in {{ channel_list }}
    union all
    select
        'channel_columns',
        row_key,
        'column ' || coalesce('''' || column_name || '''', 'NULL') || ' may not leave on channel ' || channel
        || ' (it carries only: ' || allowed_list || ')'
    from channel_column_checks
    where channel in {{ channel_list }} and not is_allowed
    union all
    select
        'channel_columns',
        row_key,
        'column defined ' || cast(definitions as {{ string }}) || ' times for its channel'
    from channel_column_checks
    where definitions > 1
    union all
    select
        'channel_columns',
        row_key,
        'is_default is empty (true or false)'
    from channel_column_checks
    where is_default is null
    union all
    select
        'channel_columns',
        'channel=' || channel,
        case
            when column_rows = 0 then 'channel ' || channel || ' has no row: give its columns'
            else
                'channel ' || channel || ' has no default column (is_default true): an audience without columns '
                || 'would export nothing'
        end
    from channel_defaults
    where coalesce(default_columns, 0) = 0
    union all

    -- consent_channels
    select
        'consent_channels',
        row_key,
        'unknown channel ' || coalesce('''' || channel || '''', 'NULL') || ' ({{ consent_channels | join(", ") }})'
    from consent_channels
    where coalesce(channel, '') not in {{ consent_channel_list }}
    union all
    select
        'consent_channels',
        'channel=' || channel,
        case
            when consent_rows = 0 then 'missing: every channel needs its consent default'
            else 'channel defined ' || cast(consent_rows as {{ string }}) || ' times'
        end
    from consent_counts
    where consent_rows <> 1
    union all
    select
        'consent_channels',
        row_key,
        'consent_channel is empty (the crm.consents channel value this channel reads)'
    from consent_channels
    where consent_channel is null
    union all
    select
        'consent_channels',
        row_key,
        'default_granted is empty (true or false: what no consent record means)'
    from consent_channels
    where default_granted is null

),

final as (

    select distinct
        cast(config_table as {{ string }}) as config_table,
        cast(row_key as {{ string }}) as row_key,
        cast(problem as {{ string }}) as problem
    from problems

)

select * from final
