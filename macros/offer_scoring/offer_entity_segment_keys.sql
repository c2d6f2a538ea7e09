{#- A select of the segment key whose popularity speaks for each entity at each cut-off: its industry when at least
    var offer_min_segment_buyers contacts of that industry bought within the look-back (a share of 1 buyer out of 2 is
    not popularity), else its segment (b2b / b2c) under the same condition, else 'all'. Columns: the entity
    relation's (one row per cut-off and entity, with industry and segment) and segment_key. -#}
{% macro offer_entity_segment_keys(entities_relation, popularity_relation) -%}
    {%- set min_buyers = offer_int_var('offer_min_segment_buyers', 20) -%}
select
    entities.*,
    coalesce(industry_keys.segment_key, segment_keys.segment_key, 'all') as segment_key
from {{ entities_relation }} as entities
left join (
    select distinct
        cutoff_date,
        segment_key
    from {{ popularity_relation }}
    where segment_buyers >= {{ min_buyers }}
) as industry_keys
    on
        entities.cutoff_date = industry_keys.cutoff_date
        and entities.industry = industry_keys.segment_key
left join (
    select distinct
        cutoff_date,
        segment_key
    from {{ popularity_relation }}
    where segment_buyers >= {{ min_buyers }}
) as segment_keys
    on
        entities.cutoff_date = segment_keys.cutoff_date
        and entities.segment = segment_keys.segment_key
{%- endmacro %}
