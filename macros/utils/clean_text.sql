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
