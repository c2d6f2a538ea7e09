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
