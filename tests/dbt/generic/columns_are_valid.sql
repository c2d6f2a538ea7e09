{#- The column checks of one model in a single pass over it (the per-column not_null, accepted_range and
    accepted_values tests would read it once each). Returns one row per check that fails: column_name, check_name
    ('not_null', 'accepted_range', 'accepted_values'), rule (the bounds or the accepted values) and failing_rows (how
    many rows break it); no row when every check passes. NULLs pass accepted_range and accepted_values (list the
    column under not_null when it is required). Range bounds are inclusive, each optional. -#}
{% test columns_are_valid(model, not_null=none, ranges=none, accepted_values=none) %}
{%- set checks = [] -%}
{%- for col in (not_null or []) -%}
    {%- do checks.append({'column': col, 'check': 'not_null', 'rule': '', 'fails': col ~ ' is null'}) -%}
{%- endfor -%}
{%- for col, bounds in (ranges or {}).items() | sort -%}
    {%- set low = bounds.get('min_value') -%}
    {%- set high = bounds.get('max_value') -%}
    {%- if low is none and high is none -%}
        {{ exceptions.raise_compiler_error("columns_are_valid on " ~ model ~ ": range of " ~ col ~ " has neither min_value nor max_value") }}
    {%- endif -%}
    {%- set outside = [] -%}
    {%- if low is not none %}{% do outside.append(col ~ ' < ' ~ low) %}{% endif -%}
    {%- if high is not none %}{% do outside.append(col ~ ' > ' ~ high) %}{% endif -%}
    {%- do checks.append({'column': col, 'check': 'accepted_range',
        'rule': '[' ~ (low if low is not none else '') ~ ', ' ~ (high if high is not none else '') ~ ']',
        'fails': col ~ ' is not null and (' ~ outside | join(' or ') ~ ')'}) -%}
{%- endfor -%}
{%- for col, values in (accepted_values or {}).items() | sort -%}
    {%- if values | length == 0 -%}
        {{ exceptions.raise_compiler_error("columns_are_valid on " ~ model ~ ": accepted_values of " ~ col ~ " is empty") }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for v in values -%}
        {%- do literals.append(v if v is number else "'" ~ (v | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- do checks.append({'column': col, 'check': 'accepted_values', 'rule': values | join(', '),
        'fails': col ~ ' is not null and ' ~ col ~ ' not in (' ~ literals | join(', ') ~ ')'}) -%}
{%- endfor -%}
{%- if checks | length == 0 -%}
    {{ exceptions.raise_compiler_error("columns_are_valid on " ~ model ~ ": no check given (not_null, ranges or accepted_values)") }}
{%- endif %}

with failing_counts as (
    select
        {%- for c in checks %}
        count(case when {{ c.fails }} then 1 end) as check_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for c in checks -%}
select
    '{{ c.column }}' as column_name,
    '{{ c.check }}' as check_name,
    '{{ c.rule | replace("'", "''") }}' as rule,
    check_{{ loop.index }} as failing_rows
from failing_counts
where check_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
