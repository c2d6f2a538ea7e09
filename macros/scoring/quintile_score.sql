{#- Quintile score 1-5 of `value` among all rows of the relation (5 = best), reproducible across runs, threads
    and engines: the value is rounded to `decimals` places before ranking, so float noise cannot reorder rows.
    - higher_is_better: true when a larger value deserves a higher score (frequency, monetary), false otherwise
      (recency in days).
    - tie_breaker: a unique column. Ties rule (var rfm_tie_rule):
      'split' (default): tied values are ordered by tie_breaker, so quintiles hold equal numbers of rows and a tie
        at a boundary is split the same way every time;
      'share': tied values share the score of the first of them (rank()), so equal values always score equally.
    - Few peers: with n rows the score is 1 + floor(5 * (position - 1) / n), which spreads even 2 or 3 rows
      over the range (lowest 1, highest 4 or 5) instead of failing or piling them into one quintile. -#}
{% macro quintile_score(value, higher_is_better, tie_breaker, decimals=2) -%}
    {{ return(adapter.dispatch('quintile_score', 'customer_scoring')(value, higher_is_better, tie_breaker, decimals)) }}
{%- endmacro %}

{% macro default__quintile_score(value, higher_is_better, tie_breaker, decimals) -%}
    {%- set direction = 'asc' if higher_is_better else 'desc' -%}
    {%- set rule = var('rfm_tie_rule', 'split') -%}
    {%- if rule not in ('split', 'share') -%}
        {{ exceptions.raise_compiler_error("var rfm_tie_rule must be 'split' or 'share', got '" ~ rule ~ "'") }}
    {%- endif -%}
    {%- set position = 'row_number()' if rule == 'split' else 'rank()' -%}
    cast(
        1 + floor(
            5.0 * (
                {{ position }} over (
                    order by round(cast({{ value }} as decimal(38, 6)), {{ decimals }}) {{ direction }}
                    {%- if rule == 'split' %}, {{ tie_breaker }} asc{% endif %}
                ) - 1
            ) / count(*) over ()
        ) as {{ dbt.type_int() }}
    )
{%- endmacro %}
