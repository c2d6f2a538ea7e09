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

{#- Spark (session time zone UTC, pinned in profiles.yml): try_cast honours an offset (' UTC' is rewritten to 'Z');
    a wall-clock time is read as timestamp_ntz and converted from the dialect's time zone. Impossible dates give NULL
    through try_cast. -#}
{% macro spark__parse_timestamp(iso_text, timezone) -%}
    case
        when {{ regex_matches(iso_text, '[ T]24:') }} then null
        when {{ regex_matches(iso_text, _offset_pattern()) }}
            then try_cast({{ regex_replace_all(iso_text, '\\s*UTC$', 'Z') }} as timestamp)
        when {{ regex_matches(iso_text, _iso_pattern()) }}
            then to_utc_timestamp(try_cast({{ iso_text }} as timestamp_ntz), '{{ timezone }}')
    end
{%- endmacro %}
