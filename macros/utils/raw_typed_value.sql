{#- The value of a present column, read as its contract kind from its physical class. -#}
{% macro raw_typed_value(expr, cls, kind, dialect) -%}
    {%- set text = raw_text(expr) -%}
    {%- if kind == 'text' -%}
        {%- if cls == 'text' -%}{{ expr }}
        {%- elif cls == 'number' -%}
            {#- an identifier exported as a float (pandas writes ids with gaps as DOUBLE) is 123, not 123.0 -#}
            case
                when {{ expr }} = floor({{ expr }}) and abs({{ expr }}) < 1000000000000000000
                    then cast(cast({{ expr }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                else cast({{ expr }} as {{ dbt.type_string() }})
            end
        {%- else -%}cast({{ expr }} as {{ dbt.type_string() }}){%- endif -%}
    {%- elif kind == 'timestamp' -%}
        {%- if cls == 'timestamptz' -%}{{ utc_timestamp(expr, true) }}
        {%- elif cls == 'timestamp' -%}{{ utc_timestamp(expr, false, dialect.timezone) }}
        {%- elif cls == 'date' -%}cast({{ expr }} as timestamp)
        {%- else -%}{{ parse_timestamp(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'date' -%}
        {%- if cls == 'date' -%}{{ expr }}
        {%- elif cls == 'timestamp' -%}cast({{ expr }} as date)
        {%- elif cls == 'timestamptz' -%}cast({{ utc_timestamp(expr, true) }} as date)
        {%- else -%}{{ parse_date(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'integer' -%}
        {%- if cls == 'integer' -%}cast({{ expr }} as {{ dbt.type_bigint() }})
        {%- elif cls == 'number' -%}
            case
                when {{ expr }} = floor({{ expr }}) and abs({{ expr }}) < 1000000000000000000
                    then cast({{ expr }} as {{ dbt.type_bigint() }})
            end
        {%- else -%}{{ parse_integer(text, {'decimal_mark': '.', 'thousands_mark': ''} if cls == 'boolean' else dialect) }}
        {%- endif -%}
    {%- elif kind == 'decimal' -%}
        {%- if cls == 'integer' -%}cast({{ expr }} as decimal(18, 4))
        {%- elif cls == 'number' -%}
            case when abs({{ expr }}) < 100000000000000 then cast({{ expr }} as decimal(18, 4)) end
        {%- else -%}{{ parse_decimal(text, dialect) }}
        {%- endif -%}
    {%- elif kind == 'boolean' -%}
        {%- if cls == 'boolean' -%}{{ expr }}
        {%- elif cls in ('integer', 'number') -%}case when {{ expr }} = 1 then true when {{ expr }} = 0 then false end
        {%- else -%}{{ parse_boolean(text) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
