{#- Scoring engine, step 1: normalise every criterion and weight it, per scoring profile.

    criteria_relation: the long criteria table (entity_id, criterion, value_number, value_text) of one entity type.
    Returns a select with one row per profile, entity and weighted criterion:
    - a value whose absence is information: when an entity has neither value_number nor value_text and the
      criterion's scoring_criteria row has a value_when_missing, that value stands for the absence (in the
      criterion's unit, or a category; is_imputed) and is normalised and weighted like any value (e.g. a one-order
      customer has no purchase gap: overdue_ratio 4, the most overdue); value_number and value_text stay the
      entity's own (NULL). Without value_when_missing the value is unknown (is_missing);
    - normalized_value 0-1 from the criterion's normalisation (scoring_criteria seed):
      percent_rank   rank among the entities with a value, on the value rounded to 2 decimals (ties share a rank;
                     relative: it moves when other entities change, by design);
      linear         (value - lower_bound) / (upper_bound - lower_bound), clamped to 0-1 (absolute);
      bins           the normalized_value of the highest criterion_bins row whose lower_bound <= value;
      category       the normalized_value of the value's criterion_categories row (unknown category: 0);
      direction lower_is_better turns a linear or percent-rank position p into 1 - p;
    - a criterion with no variance (at least two entities of the entity type have a normalized value and they are
      all equal: refund rate 0 for everyone, or every value clamped to the same bound) says nothing about anyone:
      is_constant, 0 points for every entity and its weight left out of every denominator, so it cannot give a
      larger share to the entities that know fewer criteria;
    - contribution_points = 100 * weight * normalized_value / (sum of the profile's weights whose criterion has a
      value for this entity and is not constant), in cents: a missing value neither rewards nor punishes, its weight
      is shared among the criteria that are known. Cents are allocated by largest remainder (ties by criterion), so
      the contributions of one entity and profile add up to their exact total rounded to the cent: a perfect entity
      reaches 100.00, not 99.99 (three criteria of 44.444... + 33.333... + 22.222... give 44.45 + 33.33 + 22.22). -#}
{% macro scoring_contributions(criteria_relation, entity_type) -%}
    {{ return(adapter.dispatch('scoring_contributions', 'customer_scoring')(criteria_relation, entity_type)) }}
{%- endmacro %}

{% macro default__scoring_contributions(criteria_relation, entity_type) -%}
with

-- read where `defined` is (three times): a table or a cheap select is not held in memory on DuckDB
criteria as {{ inline_cte() }} (

    select * from {{ criteria_relation }}

),

definitions as (

    select * from {{ ref('scoring_criteria') }}
    where entity_type = '{{ entity_type }}'

),

profiles as (

    select * from {{ ref('scoring_profiles') }}
    where entity_type = '{{ entity_type }}'

),

weights as (

    select
        scoring_weights.profile,
        scoring_weights.criterion,
        cast(scoring_weights.weight as {{ type_double() }}) as weight
    from {{ ref('scoring_weights') }} as scoring_weights
    inner join profiles
        on scoring_weights.profile = profiles.profile

),

categories as (

    select * from {{ ref('criterion_categories') }}

),

bins as (

    select * from {{ ref('criterion_bins') }}

),

-- read three times (percent-rank counts, ranked, binned): computed where read, not held in memory on DuckDB
defined as {{ inline_cte() }} (

    select
        criteria.entity_id,
        criteria.criterion,
        criteria.value_number as given_number,
        criteria.value_text as given_text,
        case
            when
                criteria.value_number is null and criteria.value_text is null and definitions.value_type = 'number'
                then {{ safe_decimal('cast(definitions.value_when_missing as ' ~ dbt.type_string() ~ ')', 18, 6) }}
            else criteria.value_number
        end as value_number,
        case
            when criteria.value_number is null and criteria.value_text is null and definitions.value_type = 'text'
                then cast(definitions.value_when_missing as {{ dbt.type_string() }})
            else criteria.value_text
        end as value_text,
        coalesce(
            criteria.value_number is null
            and criteria.value_text is null
            and definitions.value_when_missing is not null,
            false
        ) as is_imputed,
        definitions.normalisation,
        definitions.direction,
        cast(definitions.lower_bound as {{ type_double() }}) as lower_bound,
        cast(definitions.upper_bound as {{ type_double() }}) as upper_bound
    from criteria
    inner join definitions
        on criteria.criterion = definitions.criterion
    where criteria.criterion in (select weights.criterion from weights)

),

-- percent_rank() over the criterion's values, from counts of its distinct rounded values: the same number (the share
-- of the other valued entities with a strictly lower rounded value; ties share it), without sorting every row
rank_counts as (

    select
        criterion,
        rounded_value,
        count(*) as value_count
    from (
        select
            criterion,
            round(cast(value_number as decimal(38, 6)), 2) as rounded_value
        from defined
        where normalisation = 'percent_rank' and value_number is not null
    ) as valued
    group by criterion, rounded_value

),

rank_positions as (

    select
        criterion,
        rounded_value,
        case
            when sum(value_count) over (partition by criterion) <= 1 then 0.0
            else
                cast(
                    coalesce(
                        sum(value_count) over (
                            partition by criterion order by rounded_value
                            rows between unbounded preceding and 1 preceding
                        ),
                        0
                    ) as {{ type_double() }}
                )
                / (sum(value_count) over (partition by criterion) - 1)
        end as percentile
    from rank_counts

),

ranked as (

    select
        defined.*,
        rank_positions.percentile
    from defined
    left join rank_positions
        on
            defined.criterion = rank_positions.criterion
            and defined.normalisation = 'percent_rank'
            and round(cast(defined.value_number as decimal(38, 6)), 2) = rank_positions.rounded_value

),

binned as (

    select
        defined.entity_id,
        defined.criterion,
        cast(bins.normalized_value as {{ type_double() }}) as bin_value,
        row_number() over (
            partition by defined.entity_id, defined.criterion order by bins.lower_bound desc
        ) as bin_rank
    from defined
    inner join bins
        on
            defined.criterion = bins.criterion
            and defined.value_number >= bins.lower_bound
    where defined.normalisation = 'bins'

),

positioned as (

    select
        ranked.entity_id,
        ranked.criterion,
        ranked.given_number,
        ranked.given_text,
        ranked.is_imputed,
        ranked.normalisation,
        ranked.direction,
        case
            when ranked.normalisation = 'linear' and ranked.value_number is not null
                then
                    case
                        when ranked.value_number <= ranked.lower_bound then 0.0
                        when ranked.value_number >= ranked.upper_bound then 1.0
                        else (ranked.value_number - ranked.lower_bound) / (ranked.upper_bound - ranked.lower_bound)
                    end
            when ranked.normalisation = 'percent_rank' then ranked.percentile
            when ranked.normalisation = 'bins' then binned.bin_value
            when ranked.normalisation = 'category' and ranked.value_text is not null
                then coalesce(cast(categories.normalized_value as {{ type_double() }}), 0.0)
        end as position
    from ranked
    left join binned
        on
            ranked.entity_id = binned.entity_id
            and ranked.criterion = binned.criterion
            and binned.bin_rank = 1
    left join categories
        on
            ranked.criterion = categories.criterion
            and ranked.value_text = categories.category

),

-- read twice (the criterion's spread, spread): computed where read, not held in memory on DuckDB
oriented as {{ inline_cte() }} (

    select
        entity_id,
        criterion,
        given_number,
        given_text,
        is_imputed,
        round(
            cast(
                case
                    when normalisation in ('linear', 'percent_rank') and direction = 'lower_is_better'
                        then 1.0 - position
                    else position
                end as decimal(38, 10)
            ),
            6
        ) as normalized_value
    from positioned

),

-- a criterion whose normalized values are all equal (among at least two entities) does not tell entities apart
criterion_spread as (

    select
        criterion,
        coalesce(
            count(normalized_value) >= 2 and min(normalized_value) = max(normalized_value),
            false
        ) as is_constant
    from oriented
    group by criterion

),

spread as (

    select
        oriented.*,
        criterion_spread.is_constant
    from oriented
    inner join criterion_spread
        on oriented.criterion = criterion_spread.criterion

),

weighted as (

    select
        weights.profile,
        spread.entity_id,
        spread.criterion,
        spread.given_number as value_number,
        spread.given_text as value_text,
        spread.normalized_value,
        spread.is_imputed,
        spread.is_constant,
        weights.weight,
        sum(
            case when spread.normalized_value is not null and not spread.is_constant then weights.weight else 0 end
        )
            over (partition by weights.profile, spread.entity_id)
        as available_weight
    from spread
    inner join weights
        on spread.criterion = weights.criterion

),

cents as (

    select
        weighted.*,
        case
            when is_constant then 0
            else coalesce(
                round(cast(10000 * weight * normalized_value / nullif(available_weight, 0) as decimal(38, 10)), 6), 0
            )
        end as exact_cents
    from weighted

),

floored as (

    select
        cents.*,
        floor(exact_cents) as floor_cents,
        round(sum(exact_cents) over (partition by profile, entity_id), 0)
        - sum(floor(exact_cents)) over (partition by profile, entity_id) as cents_to_allocate,
        row_number() over (
            partition by profile, entity_id
            order by exact_cents - floor(exact_cents) desc, criterion asc
        ) as remainder_rank
    from cents

),

final as (

    select
        profile,
        entity_id,
        criterion,
        value_number,
        value_text,
        cast(normalized_value as decimal(18, 6)) as normalized_value,
        cast(weight as decimal(18, 4)) as weight,
        normalized_value is null as is_missing,
        is_imputed,
        is_constant,
        cast(
            (floor_cents + case when remainder_rank <= cents_to_allocate then 1 else 0 end) / 100.0
            as decimal(18, 2)
        ) as contribution_points
    from floored

)

select * from final
{%- endmacro %}
