{#- Post-hook of the incremental history tables (score_history, score_factor_history): delete, at every as-of date,
    the rows of the customers and leads that privacy_excluded_contacts lists (a build's own date never has them: the
    marts leave them out). audit.erasure_log counts them before (it runs first). -#}
{% macro privacy_history_hooks() -%}
    {{ return(["{{ privacy_history_delete_sql(this) }}"]) }}
{%- endmacro %}
