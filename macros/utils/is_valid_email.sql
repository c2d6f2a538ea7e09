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
