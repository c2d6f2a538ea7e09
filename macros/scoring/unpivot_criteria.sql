{#- Turns a wide relation (one row per entity, one column per criterion) into the long criteria table of the
    scoring engine: one row per entity and criterion, with the value in value_number (numeric criteria) or
    value_text (categorical criteria). A missing value stays as a row with NULLs, so the engine sees it and
    re-weights instead of scoring it as zero.
    value_number is type_double() (dbt's type_float is a 4-byte float on DuckDB: 4716.57 would become 4716.569824).
    - relation: the wide CTE or relation; entity_id: its id column;
    - number_columns / text_columns: the criterion columns, named as in the scoring_criteria seed. -#}
{% macro unpivot_criteria(relation, entity_id, number_columns, text_columns=[]) -%}
    {%- set selects = [] -%}
    {%- for c in number_columns -%}
        {%- do selects.append(
            "select " ~ entity_id ~ " as entity_id, '" ~ c ~ "' as criterion, "
            ~ "cast(" ~ c ~ " as " ~ type_double() ~ ") as value_number, "
            ~ "cast(null as " ~ dbt.type_string() ~ ") as value_text from " ~ relation
        ) -%}
    {%- endfor -%}
    {%- for c in text_columns -%}
        {%- do selects.append(
            "select " ~ entity_id ~ " as entity_id, '" ~ c ~ "' as criterion, "
            ~ "cast(null as " ~ type_double() ~ ") as value_number, "
            ~ "cast(" ~ c ~ " as " ~ dbt.type_string() ~ ") as value_text from " ~ relation
        ) -%}
    {%- endfor -%}
    {{ selects | join('\nunion all\n') }}
{%- endmacro %}
