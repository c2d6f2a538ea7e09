{#- The salt of the erasure log's key hashes, as a SQL text expression: env var CS_ERASURE_SALT when set (keep it in
    your secret store: the same salt must serve every build of one work folder, or the hashes of a person no longer
    match), else var erasure_salt, else the random salt drawn once and kept in pii.erasure_salt. -#}
{% macro privacy_salt() -%}
    {%- set from_env = env_var('CS_ERASURE_SALT', '') | trim -%}
    {%- set from_var = (var('erasure_salt', none) or '') | string | trim -%}
    {%- if from_env -%}
        '{{ from_env | replace("'", "''") }}'
    {%- elif from_var and from_var | lower not in ('none', 'null') -%}
        '{{ from_var | replace("'", "''") }}'
    {%- else -%}
        (select stored_salt.salt from {{ ref('erasure_salt') }} as stored_salt)
    {%- endif -%}
{%- endmacro %}
