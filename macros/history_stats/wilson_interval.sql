{#- One bound of the Wilson score interval of a proportion successes / trials (95 % by default: z = 1.959964), as
    an 8-byte float SQL expression: NULL when trials is 0 or NULL. With p = successes / trials and n = trials:
    (p + z^2 / 2n -/+ z * sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n), clamped to 0-1 (0 successes give a
    lower bound of exactly 0, n successes an upper bound of exactly 1, never float noise beyond them). Unlike the
    normal approximation it stays inside 0-1 and is not empty at 0 or n successes. -#}
{% macro wilson_interval(successes, trials, bound, z=1.959964) -%}
    {{ return(adapter.dispatch('wilson_interval', 'customer_scoring')(successes, trials, bound, z)) }}
{%- endmacro %}

{% macro default__wilson_interval(successes, trials, bound, z) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error("wilson_interval: bound must be 'low' or 'high', got '" ~ bound ~ "'") }}
    {%- endif -%}
    {%- set n = 'cast(nullif(' ~ trials ~ ', 0) as ' ~ type_double() ~ ')' -%}
    {%- set p = '(cast(' ~ successes ~ ' as ' ~ type_double() ~ ') / ' ~ n ~ ')' -%}
    {%- set zz = '(' ~ z ~ ' * ' ~ z ~ ')' -%}
    {%- set center = '(' ~ p ~ ' + ' ~ zz ~ ' / (2 * ' ~ n ~ '))' -%}
    {%- set half = z ~ ' * sqrt(' ~ p ~ ' * (1 - ' ~ p ~ ') / ' ~ n ~ ' + ' ~ zz ~ ' / (4 * ' ~ n ~ ' * ' ~ n ~ '))' -%}
    {%- set denominator = '(1 + ' ~ zz ~ ' / ' ~ n ~ ')' -%}
    {#- greatest and least skip NULLs: the case keeps the bound NULL when there are no trials -#}
    case when {{ trials }} > 0 then
    {%- if bound == 'low' %} greatest(cast(0 as {{ type_double() }}), ({{ center }} - {{ half }}) / {{ denominator }})
    {%- else %} least(cast(1 as {{ type_double() }}), ({{ center }} + {{ half }}) / {{ denominator }})
    {%- endif %} end
{%- endmacro %}
