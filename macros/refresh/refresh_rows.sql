{#- In an incremental build of a staging model (D104): the pre-hook that deletes the rows of the keys its refresh
    model lists (every row when it says 'all'), and the filter that keeps the raw rows of those keys. In a
    full build (a new table, --full-refresh, or Spark's table materialisation) both are no-ops. -#}
{% macro refresh_delete(refresh_model, key_columns) -%}
    {%- if model.resource_type != 'unit_test' and is_incremental() -%}
        delete from {{ this }}
        where
            exists (select 1 from {{ ref(refresh_model) }} as r where r.row_kind = 'all')
            or {{ refresh_key(key_columns) }} in (
                select r.refresh_key from {{ ref(refresh_model) }} as r where r.row_kind = 'key'
            )
    {%- endif -%}
{%- endmacro %}

{% macro refresh_filter(refresh_model, key_expression) -%}
    {%- if model.resource_type != 'unit_test' and is_incremental() -%}
        where
            exists (select 1 from {{ ref(refresh_model) }} as r where r.row_kind = 'all')
            or {{ key_expression }} in (
                select r.refresh_key from {{ ref(refresh_model) }} as r where r.row_kind = 'key'
            )
    {%- endif -%}
{%- endmacro %}
