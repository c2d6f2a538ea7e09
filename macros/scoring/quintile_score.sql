{#- Quintile score 1-5 of `value` among all rows of the relation (5 = best), reproducible across runs, threads
    and engines: the value is rounded to `decimals` places before ranking, so float noise cannot reorder rows.
    - higher_is_better: true when a larger value deserves a higher score (frequency, monetary), false otherwise
      (recency in days).
    - Position: with n rows ordered worst to best, a row at position p (1..n) sits at q = (p - 1) / (n - 1) of the
      range, and scores 1 for q < 0.2, 2 below 0.4, 3 below 0.6, 4 below 0.8 and 5 up to 1: equal fifths for a large
      n, and with few peers the worst always scores 1 and the best 5 (2 rows: 1 and 5; 3 rows: 1, 3, 5; 4 rows:
      1, 2, 4, 5). A q exactly on a boundary takes the score nearer the middle (6 rows: 1, 2, 3, 3, 4, 5), so that
      reversing the order mirrors the scores (s becomes 6 - s). A single row scores 3, the middle.
    - tie_breaker: a unique column. Ties rule (var rfm_tie_rule):
      'share' (default): a tie spread over positions p1..p2 gets the score of its middle position (p1 + p2) / 2, so
        equal values always score equally and a tie that covers most rows scores the middle of the range it covers
        (all rows equal: 3; the lowest tie never above 3);
      'split': tied values are ordered by tie_breaker, so quintiles hold equal numbers of rows and a tie at a
        boundary is split the same way every time (equal values can score differently).
    - Exact on every engine: the score is computed with integer comparisons, no division. With d = 2p - (n + 1)
      (twice the offset of the position from the centre of the ranking; p the middle position of the tie), the
      distance from the middle score is 2 when 5|d| - (n - 1) > 2(n - 1), 1 when it is > 0, else 0.
    - partition_by: optional list of columns; the quintiles are then computed within each of their groups (the
      training examples score each cut-off's customers among themselves). None: among all rows. -#}
{% macro quintile_score(value, higher_is_better, tie_breaker, decimals=2, partition_by=none) -%}
    {{ return(adapter.dispatch('quintile_score', 'customer_scoring')(
        value, higher_is_better, tie_breaker, decimals, partition_by
    )) }}
{%- endmacro %}

{% macro default__quintile_score(value, higher_is_better, tie_breaker, decimals, partition_by=none) -%}
    {%- set direction = 'asc' if higher_is_better else 'desc' -%}
    {%- set rule = var('rfm_tie_rule', 'share') -%}
    {%- if rule not in ('split', 'share') -%}
        {{ exceptions.raise_compiler_error("var rfm_tie_rule must be 'share' or 'split', got '" ~ rule ~ "'") }}
    {%- endif -%}
    {%- set rounded = 'round(cast(' ~ value ~ ' as decimal(38, 6)), ' ~ decimals ~ ')' -%}
    {%- set groups = (partition_by or []) | join(', ') -%}
    {%- set over_groups = 'partition by ' ~ groups ~ ' ' if groups else '' -%}
    {%- set n = 'count(*) over (' ~ over_groups | trim ~ ')' -%}
    {%- if rule == 'share' -%}
        {#- twice the middle position of the tie: first position (rank) + last position (rank + tie size - 1) -#}
        {%- set twice_position = '(2 * rank() over (' ~ over_groups ~ 'order by ' ~ rounded ~ ' ' ~ direction
            ~ ') + count(*) over (partition by ' ~ (groups ~ ', ' if groups else '') ~ rounded ~ ') - 1)' -%}
    {%- else -%}
        {%- set twice_position = '(2 * row_number() over (' ~ over_groups ~ 'order by ' ~ rounded ~ ' '
            ~ direction ~ ', ' ~ tie_breaker ~ ' asc))' -%}
    {%- endif -%}
    {%- set d = '(' ~ twice_position ~ ' - ' ~ n ~ ' - 1)' -%}
    {%- set above_middle = '(5 * abs(' ~ d ~ ') - (' ~ n ~ ' - 1))' -%}
    {%- set steps = 'case when ' ~ above_middle ~ ' > 2 * (' ~ n ~ ' - 1) then 2 when ' ~ above_middle
        ~ ' > 0 then 1 else 0 end' -%}
    cast(
        case
            when {{ d }} < 0 then 3 - {{ steps }}
            when {{ d }} > 0 then 3 + {{ steps }}
            else 3
        end as {{ dbt.type_int() }}
    )
{%- endmacro %}
