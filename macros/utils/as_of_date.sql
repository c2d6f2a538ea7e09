{#- The one as-of date of a build. Every time-dependent model reads it through these macros, never the clock. -#}

{% macro as_of_date_value() -%}
    {%- set raw = var('as_of_date', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d') -%}
        {%- if execute and flags.WHICH in ('run', 'build', 'test') -%}
            {{ log("as_of_date is not set: using the run's start date " ~ value ~ " (pass --vars '{as_of_date: YYYY-MM-DD}' for a reproducible build)", info=false) }}
        {%- endif -%}
    {%- else -%}
        {%- set value = raw | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("var as_of_date must be a date written YYYY-MM-DD, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- set parsed = modules.datetime.datetime.strptime(value, '%Y-%m-%d') -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- SQL date literal of the as-of date. -#}
{% macro as_of_date() -%}
    cast('{{ as_of_date_value() }}' as date)
{%- endmacro %}

{#- Exclusive upper bound of what a build as of D may read: D + 1 day at 00:00. A row is visible when its
    timestamp is strictly before it, i.e. dated on or before D. -#}
{% macro as_of_cutoff() -%}
    {%- set d = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    cast('{{ d.strftime("%Y-%m-%d") }} 00:00:00' as timestamp)
{%- endmacro %}

{#- SQL date literal of the as-of date minus `days` days: the exclusive start of a look-back window ending on the
    as-of date (a row dated d is inside the window of n days when d > as_of_date_minus(n)). -#}
{% macro as_of_date_minus(days) -%}
    {%- set d = modules.datetime.datetime.strptime(as_of_date_value(), '%Y-%m-%d')
        - modules.datetime.timedelta(days=days | int) -%}
    cast('{{ d.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}

{#- Whole days from start to end (end - start), both read as dates: compact and portable. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'customer_scoring')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}

{#- The date `days` days before the date expression `date_expr` (a column or any date expression): the exclusive
    start of a look-back window ending on that date, for models that read many as-of dates at once (one per row).
    With the build's one as-of date, as_of_date_minus(n) gives the same date as a literal. -#}
{% macro date_minus_days(date_expr, days) -%}
    {{ return(adapter.dispatch('date_minus_days', 'customer_scoring')(date_expr, days)) }}
{%- endmacro %}

{% macro default__date_minus_days(date_expr, days) -%}
    (cast({{ date_expr }} as date) - {{ days | int }})
{%- endmacro %}

{% macro spark__date_minus_days(date_expr, days) -%}
    date_sub(cast({{ date_expr }} as date), {{ days | int }})
{%- endmacro %}

{#- The as-of date of a formula shared by the production models (one as-of date: `as_of` is none, and the constant
    literals of as_of_date() and as_of_date_minus() keep their plan cheap) and the training examples (`as_of` names
    the column holding each row's cut-off date). window_start(as_of, n) is the exclusive start of the n-day window
    ending on it. -#}
{% macro as_of_expr(as_of=none) -%}
    {%- if as_of is none -%}{{ as_of_date() }}{%- else -%}{{ as_of }}{%- endif -%}
{%- endmacro %}

{% macro window_start(as_of, days) -%}
    {%- if as_of is none -%}{{ as_of_date_minus(days) }}{%- else -%}{{ date_minus_days(as_of, days) }}{%- endif -%}
{%- endmacro %}
