{#- What each channel's export may carry: the columns of audience_members and pii.contacts a channel needs, and no
    other (personal data minimised: an e-mail export never carries the phone or birth date, ads only the hashed
    e-mail, a CRM sync ids and scores only). channel_columns chooses among these. -#}
{% macro activation_channel_allowed_columns() -%}
    {{ return({
        'email': ['contact_id', 'email', 'first_name', 'last_name', 'score', 'tier', 'recommended_action'],
        'phone': ['contact_id', 'phone', 'first_name', 'last_name', 'score', 'tier', 'recommended_action'],
        'ads': ['email_sha256'],
        'crm': ['entity_type', 'entity_id', 'contact_id', 'profile', 'score', 'tier', 'recommended_action'],
    }) }}
{%- endmacro %}
