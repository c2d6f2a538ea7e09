{#- Small, portable cleaning expressions used by the staging models. Each returns a SQL expression. -#}

{#- Text as people mean it, the same on every engine, NULL when empty. Every kind of Unicode white space
    (U+0009-000D, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000) becomes a plain space,
    zero-width characters (U+00AD soft hyphen, U+200B-200D, U+2060, U+FEFF) are removed, the text is put in Unicode
    NFC (a decomposed 'E' + U+0301 equals the precomposed 'É'), inner runs of spaces shrink to one and the ends are
    trimmed. lower_case=true also lower-cases it (lower_text). Cheap on the common case: text of printable ASCII only
    (no control character) skips the Unicode steps, which cannot change it. -#}
{% macro clean_text(expression, lower_case=false) -%}
    {%- set white_space = [[9, 13], 32, 133, 160, 5760, [8192, 8202], 8232, 8233, 8239, 8287, 12288] -%}
    {%- set zero_width = [173, [8203, 8205], 8288, 65279] -%}
    {%- set unicode_cleaned -%}
        trim({{ regex_replace_all(
            nfc_text(regex_replace_all(expression, regex_char_class(zero_width), '')),
            regex_char_class(white_space) ~ '+', ' '
        ) }})
    {%- endset -%}
    {%- set ascii_cleaned -%}
        trim(case when {{ expression }} like '%  %' then {{ regex_replace_all(expression, '  +', ' ') }} else {{ expression }} end)
    {%- endset -%}
    case
        when {{ regex_matches(expression, '[^ -~]') }}
            then nullif({{ lower_text(unicode_cleaned) if lower_case else unicode_cleaned }}, '')
        else nullif({{ lower_text(ascii_cleaned, ascii_only=true) if lower_case else ascii_cleaned }}, '')
    end
{%- endmacro %}

{#- E-mail address as clean_text makes it, lower-cased (NULL when empty). Validity is checked by is_valid_email. -#}
{% macro normalize_email(expression) -%}
    {{ clean_text(expression, lower_case=true) }}
{%- endmacro %}

{#- Unicode NFC of a text. -#}
{% macro nfc_text(expression) -%}
    {{ return(adapter.dispatch('nfc_text', 'customer_scoring')(expression)) }}
{%- endmacro %}

{#- PostgreSQL (UTF-8 databases) and the SQL standard. -#}
{% macro default__nfc_text(expression) -%}
    normalize({{ expression }}, nfc)
{%- endmacro %}

{% macro duckdb__nfc_text(expression) -%}
    nfc_normalize({{ expression }})
{%- endmacro %}

{#- Spark has no Unicode normalisation function: the text is left as it is. -#}
{% macro spark__nfc_text(expression) -%}
    {{ expression }}
{%- endmacro %}

{#- Lower case by Unicode's simple case mapping, one character at a time, whatever the database's locale.
    ascii_only=true when the text is known to hold ASCII only (a cheaper path on PostgreSQL). -#}
{% macro lower_text(expression, ascii_only=false) -%}
    {{ return(adapter.dispatch('lower_text', 'customer_scoring')(expression, ascii_only)) }}
{%- endmacro %}

{#- DuckDB's lower() is Unicode's simple case mapping. -#}
{% macro default__lower_text(expression, ascii_only=false) -%}
    lower({{ expression }})
{%- endmacro %}

{#- PostgreSQL's lower() follows the collation: under the C locale 'É' stays 'É', under a Turkish one 'I' becomes
    'ı'. ASCII text takes the C collation; other text the ICU root collation, whose lower-casing differs from the simple
    mapping only for 'İ' (U+0130 -> 'i' + U+0307) and a word-final 'Σ' (-> 'ς'), so those two are mapped first. The
    result gets the database's default collation back, so it compares and sorts like any other text. -#}
{% macro postgres__lower_text(expression, ascii_only=false) -%}
    {%- if ascii_only -%}
        lower({{ expression }} collate "C") collate "default"
    {%- else -%}
        lower(replace(replace({{ expression }}, chr(304), 'i'), chr(931), chr(963)) collate "und-x-icu") collate "default"
    {%- endif -%}
{%- endmacro %}

{#- True when an already normalised address can be delivered to (RFC 5322 dot-atom, RFC 6531 for non-ASCII): a local
    part of letters, digits, !#$%&'*+/=?^_`{|}~- and non-ASCII characters, with single inner dots; one @; a domain of
    two or more dot-separated labels of letters, digits, inner hyphens and non-ASCII characters, the last one starting
    with a letter and at least 2 characters long. Never NULL. Non-ASCII white space and zero-width characters never
    count as letters, so an address that skipped normalize_email is not let through by them. -#}
{% macro is_valid_email(normalized_expression) -%}
    {%- set non_ascii = regex_char_class(
        [[0, 160], 173, 5760, [8192, 8205], 8232, 8233, 8239, 8287, 8288, 12288, 65279], negate=true
    ) -%}
    {%- set atext = "([a-z0-9!#$%&''*+/=?^_`{|}~-]|" ~ non_ascii ~ ")" -%}
    {%- set alnum = "([a-z0-9]|" ~ non_ascii ~ ")" -%}
    {%- set alnum_hyphen = "([a-z0-9-]|" ~ non_ascii ~ ")" -%}
    {%- set letter = "([a-z]|" ~ non_ascii ~ ")" -%}
    {%- set label = alnum ~ "(" ~ alnum_hyphen ~ "*" ~ alnum ~ ")?" -%}
    {%- set pattern = "^" ~ atext ~ "+([.]" ~ atext ~ "+)*@(" ~ label ~ "[.])+" ~ letter ~ alnum_hyphen ~ "*" ~ alnum ~ "$" -%}
    coalesce({{ regex_matches(normalized_expression, pattern) }}, false)
{%- endmacro %}

{#- The part after the @ of a normalised address. -#}
{% macro email_domain(normalized_expression) -%}
    nullif(split_part({{ normalized_expression }}, '@', 2), '')
{%- endmacro %}

{#- Bare lower-case host name from a URL or domain: 'https://www.Acme.com/contact?x=1' -> 'acme.com'. -#}
{% macro domain_from_url(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ clean_text(expression, lower_case=true) }}, '^[a-z][a-z0-9+.-]*://', ''),
                '^www[0-9]*[.]', ''
            ),
            '[/:?#].*$', ''
        ),
        ''
    )
{%- endmacro %}

{#- Phone number reduced to digits with an optional leading '+'; NULL when fewer than 6 digits remain. -#}
{% macro normalize_phone(expression) -%}
    case
        when length({{ regex_replace_all(expression, '[^0-9]', '') }}) >= 6
            then
                case when trim({{ expression }}) like '+%' then '+' else '' end
                || {{ regex_replace_all(expression, '[^0-9]', '') }}
    end
{%- endmacro %}

{#- Key used to look a country up in the country_aliases seed: clean_text lower-cased, without dots. -#}
{% macro country_lookup_key(expression) -%}
    {{ clean_text("replace(" ~ expression ~ ", '.', '')", lower_case=true) }}
{%- endmacro %}

{#- round() that works on every engine whatever the argument's type: PostgreSQL has no round(double precision,
    integer), so the value goes through decimal(38, 10) first. -#}
{% macro round_decimal(expression, places) -%}
    round(cast({{ expression }} as decimal(38, 10)), {{ places }})
{%- endmacro %}

{#- An 8-byte float on every engine. dbt's type_float is `float`, a 4-byte float on DuckDB but 8 bytes on
    PostgreSQL, so engine results would differ in the last cents. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
