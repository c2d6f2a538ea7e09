{#- Parsing of raw values (numbers, dates, timestamps) under a declared dialect. Each returns a SQL expression
    that is NULL, never an error, when the text cannot be read. -#}

{#- Decimal from text, NULL (never an error) when the text is not a plain number or has more integer digits than
    the type holds (precision - scale). A decimal point and a leading sign only: for configuration values written in
    the seeds; raw data goes through parse_decimal and the table's dialect. -#}
{% macro safe_decimal(expression, precision=18, scale=2) -%}
    case
        when {{ regex_matches(
            "trim(" ~ expression ~ ")",
            '^[-+]?[0-9]{1,' ~ (precision - scale) ~ '}([.][0-9]+)?$'
        ) }}
            then cast(trim({{ expression }}) as decimal({{ precision }}, {{ scale }}))
    end
{%- endmacro %}

{#- Integer from text, NULL (never an error) when the text is not a whole number or has more than 18 digits (bigint
    holds 18 digits safely). -#}
{% macro safe_integer(expression) -%}
    case
        when {{ regex_matches("trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))", '^[-+]?[0-9]{1,18}$') }}
            then cast(trim(cast({{ expression }} as {{ dbt.type_string() }})) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}


{#- ------------------------------------------------------------------------------------------------------------
    Dialect-aware parsing of raw text. Every macro takes a SQL expression of text that is already trimmed and NULL
    when empty (see raw_text) and a dialect (see raw_dialect), and returns a typed value or NULL: never an error,
    whatever the text holds.
    ------------------------------------------------------------------------------------------------------------ -#}

{#- Trimmed text of any value, NULL when empty. -#}
{% macro raw_text(expression) -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- Decimal from text under a dialect: decimal mark '.' or ',', thousands mark '' (none), ',', '.', ' ' or "'".
    A thousands mark is only accepted in its right places ('1,234,567.5' with marks ',' / '.'); a currency sign before
    or after the number and a leading sign are allowed. Anything else, or more integer digits than the type holds
    (precision - scale), gives NULL. Never guesses: with the default dialect ('.' and no thousands mark) '1,234' is
    not a number. -#}
{% macro parse_decimal(text, dialect, precision=18, scale=4) -%}
    {%- set d = dialect.decimal_mark -%}
    {%- set t = dialect.thousands_mark -%}
    {%- set int_digits = precision - scale -%}
    {%- set re_d = '[.]' if d == '.' else d -%}
    {%- set re_t = '[.]' if t == '.' else ("''" if t == "'" else t) -%}
    {%- set stripped = regex_replace_all(text, "^[$€£¥]\\s*|\\s*[$€£¥]$", "") -%}
    {%- set plain = '^[-+]?([0-9]+(' ~ re_d ~ '[0-9]*)?|' ~ re_d ~ '[0-9]+)$' -%}
    {%- set grouped = '^[-+]?[0-9]{1,3}(' ~ re_t ~ '[0-9]{3})+(' ~ re_d ~ '[0-9]*)?$' -%}
    {%- set no_marks = "replace(" ~ stripped ~ ", '" ~ (t | replace("'", "''")) ~ "', '')" if t else stripped -%}
    {%- set dotted = "replace(" ~ no_marks ~ ", ',', '.')" if d == ',' else no_marks -%}
    case
        when (
            {{ regex_matches(stripped, plain) }}
            {%- if t %} or {{ regex_matches(stripped, grouped) }}{% endif %}
        )
        and {{ regex_matches(dotted, '^[-+]?[0-9]{0,' ~ int_digits ~ '}([.][0-9]*)?$') }}
            then cast(
                case when {{ dotted }} like '%.' then {{ dotted }} || '0' else {{ dotted }} end
                as decimal({{ precision }}, {{ scale }})
            )
    end
{%- endmacro %}

{#- Whole number from text under a dialect: a decimal whose fraction is zero ('2', '2.0', '1,234' with thousands
    mark ','); '2.5' gives NULL (never rounded). -#}
{% macro parse_integer(text, dialect) -%}
    {%- set value = parse_decimal(text, dialect, 22, 4) -%}
    case
        when {{ value }} = floor({{ value }}) and abs({{ value }}) < 1000000000000000000
            then cast({{ value }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{#- Boolean from text: true/false, t/f, yes/no, y/n, 1/0 and their French and German words; anything else NULL. -#}
{% macro parse_boolean(text) -%}
    case
        when lower({{ text }}) in ('true', 't', 'yes', 'y', '1', 'oui', 'vrai', 'ja', 'si', 'on') then true
        when lower({{ text }}) in ('false', 'f', 'no', 'n', '0', 'non', 'faux', 'nein', 'off') then false
    end
{%- endmacro %}

{#- Text rewritten to year-first order under the dialect's date order: with 'dmy', '28/06/2026 14:05' becomes
    '2026-06-28 14:05'; with 'mdy', '06/28/2026' becomes '2026-06-28'. Separators '/', '.' and '-'; one or two digits
    for day and month. Year-first text is left as it is (ISO 8601 is read under every date order). -#}
{% macro year_first(text, date_order) -%}
    {%- if date_order == 'dmy' -%}
        regexp_replace({{ text }}, '^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})', '\3-\2-\1')
    {%- elif date_order == 'mdy' -%}
        regexp_replace({{ text }}, '^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})', '\3-\1-\2')
    {%- elif date_order == 'ymd' -%}
        regexp_replace({{ text }}, '^([0-9]{4})[./]([0-9]{1,2})[./]([0-9]{1,2})', '\1-\2-\3')
    {%- else -%}
        {{ exceptions.raise_compiler_error("date_order must be ymd, dmy or mdy, got '" ~ date_order ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- A UTC timestamp (without time zone) from text under a dialect. An offset in the text ('+02:00', 'Z', 'UTC') is
    honoured: '2026-07-01T00:30:00+02:00' is 2026-06-30 22:30 UTC. Text without an offset is a wall-clock time in the
    dialect's time zone (default UTC). Impossible dates ('2026-02-30') and other dialects' orders give NULL. The result
    never depends on the session's or the machine's time zone. -#}
{% macro parse_timestamp(text, dialect) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'customer_scoring')(year_first(text, dialect.date_order),
                                                                      dialect.timezone)) }}
{%- endmacro %}

{#- The offset of an ISO timestamp: a time, then Z, UTC or +hh[:mm] / -hh[:mm] at the end. -#}
{% macro _offset_pattern() -%}
    [0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\s*(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$
{%- endmacro %}

{#- The shape of an ISO date or timestamp this project reads: year-first date, optional time, optional offset. -#}
{% macro _iso_pattern() -%}
    ^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?\s*(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$
{%- endmacro %}

{% macro default__parse_timestamp(iso_text, timezone) -%}
    {#- No try_cast: the text is checked field by field (month 1-12, day within its month, leap years, hour 0-23,
        minutes and seconds 0-59) before it is cast, so the cast never fails. -#}
    {%- set y = "cast(substring(" ~ iso_text ~ " from '^([0-9]{4})') as integer)" -%}
    {%- set m = "cast(substring(" ~ iso_text ~ " from '^[0-9]{4}-([0-9]{1,2})') as integer)" -%}
    {%- set d = "cast(substring(" ~ iso_text ~ " from '^[0-9]{4}-[0-9]{1,2}-([0-9]{1,2})') as integer)" -%}
    {%- set hh = "coalesce(cast(substring(" ~ iso_text ~ " from '^[0-9-]+[ T]([0-9]{1,2}):') as integer), 0)" -%}
    {%- set mi = "coalesce(cast(substring(" ~ iso_text ~ " from '^[0-9-]+[ T][0-9]{1,2}:([0-9]{2})') as integer), 0)" -%}
    {%- set ss = "coalesce(cast(substring(" ~ iso_text ~ " from '^[0-9-]+[ T][0-9]{1,2}:[0-9]{2}:([0-9]{2})') as integer), 0)" -%}
    {%- set days_in_month -%}
        case
            when {{ m }} = 2 then
                case when mod({{ y }}, 4) = 0 and (mod({{ y }}, 100) <> 0 or mod({{ y }}, 400) = 0) then 29 else 28 end
            else 30 + mod({{ m }} + cast(floor({{ m }} / 8.0) as integer), 2)
        end
    {%- endset -%}
    case
        when
            {{ regex_matches(iso_text, _iso_pattern()) }}
            and {{ m }} between 1 and 12
            and {{ d }} between 1 and {{ days_in_month }}
            and {{ hh }} < 24 and {{ mi }} < 60 and {{ ss }} < 60
            then
                case
                    when {{ regex_matches(iso_text, _offset_pattern()) }}
                        then cast(cast({{ iso_text }} as timestamp with time zone) at time zone 'UTC' as timestamp)
                    {%- if timezone | upper == 'UTC' %}
                    else cast({{ iso_text }} as timestamp)
                    {%- else %}
                    else cast(
                        (cast({{ iso_text }} as timestamp) at time zone '{{ timezone }}') at time zone 'UTC'
                        as timestamp
                    )
                    {%- endif %}
                end
    end
{%- endmacro %}

{% macro duckdb__parse_timestamp(iso_text, timezone) -%}
    case
        -- hour 24 is not a time of day (DuckDB would roll it over to the next day; other engines refuse it)
        when {{ regex_matches(iso_text, '[ T]24:') }} then null
        when {{ regex_matches(iso_text, _offset_pattern()) }}
            then timezone('UTC', try_cast({{ iso_text }} as timestamp with time zone))
        {%- if timezone | upper == 'UTC' %}
        when {{ regex_matches(iso_text, _iso_pattern()) }}
            then try_cast({{ iso_text }} as timestamp)
        {%- else %}
        when {{ regex_matches(iso_text, _iso_pattern()) }}
            then timezone('UTC', timezone('{{ timezone }}', try_cast({{ iso_text }} as timestamp)))
        {%- endif %}
    end
{%- endmacro %}

{#- A calendar date from text under the dialect's date order (no time-zone conversion: a birth date is a date). -#}
{% macro parse_date(text, dialect) -%}
    cast({{ adapter.dispatch('parse_timestamp', 'customer_scoring')(year_first(text, dialect.date_order), 'UTC') }}
        as date)
{%- endmacro %}

{#- A timestamp column that already has a timestamp type, as UTC without time zone. `with_zone`: the column carries
    its time zone (converted to UTC); otherwise it is a wall-clock time in the dialect's time zone. -#}
{% macro utc_timestamp(expression, with_zone, timezone='UTC') -%}
    {%- if with_zone -%}
        cast({{ expression }} at time zone 'UTC' as timestamp)
    {%- elif timezone | upper == 'UTC' -%}
        cast({{ expression }} as timestamp)
    {%- else -%}
        cast((cast({{ expression }} as timestamp) at time zone '{{ timezone }}') at time zone 'UTC' as timestamp)
    {%- endif -%}
{%- endmacro %}
