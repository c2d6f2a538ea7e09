{#- The raw tables and the models that account for their rows, for the quarantine, reconciliation and repairs
    marts. Per raw table:
    - staging: the staging model (one row per raw row, with dq_status);
    - key: the business-key expression shown as record_id (never personal data: the do-not-contact list shows its
      contact id only, not an entry's e-mail or phone);
    - contact: the contact_id column, when the table has one;
    - validated: the intermediate model that adds relational checks (relational_reason_code), if any;
    - identity: the identity model whose is_merged rows were merged into another golden record, if any;
    - kept: the model holding the kept rows (NULL: the staging rows whose dq_status is 'current');
    - switch: the var that turns an optional table off;
    - repairs: staging flag column -> repair reason code (counted on current rows); the contract's domains add one
      per reason code of a nulled column (customer_scoring/contract.py: a discount outside 0-1, an NPS of 7.5);
    - model_repairs (optional): flag column of an intermediate model -> repair reason code, for repairs only known
      after staging (fx_rate_extrapolated needs the dated rates). The model is the validated one, else the kept one;
      it must carry raw_row_key. A flagged row counts when it is kept (no relational_reason_code). Each entry becomes
      a repairs entry whose "flag" is `raw_row_key in (select raw_row_key from <model> where <flag> ...)`, so
      dq_repairs counts it on the current staging rows like any other repair. -#}
{% macro dq_tables() %}
    {%- set tables = [
        {'table': 'crm.accounts', 'staging': 'stg_crm__accounts', 'key': 'account_id', 'contact': none,
         'validated': none, 'identity': 'int_accounts__identity', 'kept': 'int_accounts', 'switch': none,
         'repairs': {'is_website_normalised': 'website_normalised', 'is_country_normalised': 'country_normalised',
                     'is_country_unknown': 'unknown_country'}},
        {'table': 'crm.contacts', 'staging': 'stg_crm__contacts', 'key': 'contact_id', 'contact': 'contact_id',
         'validated': none, 'identity': 'int_contacts__identity', 'kept': 'int_contacts', 'switch': none,
         'repairs': {'is_email_invalid': 'invalid_email', 'is_country_normalised': 'country_normalised',
                     'is_country_unknown': 'unknown_country'}},
        {'table': 'crm.opportunities', 'staging': 'stg_crm__opportunities', 'key': 'opportunity_id',
         'contact': 'contact_id', 'validated': none, 'identity': none, 'kept': 'int_opportunities',
         'switch': 'enable_opportunities', 'repairs': {},
         'model_repairs': {'is_fx_rate_extrapolated': 'fx_rate_extrapolated'}},
        {'table': 'crm.consents', 'staging': 'stg_crm__consents', 'key': "contact_id || '|' || channel",
         'contact': 'contact_id', 'validated': 'int_consents__validated', 'identity': none, 'kept': 'int_consents',
         'switch': 'enable_consents', 'repairs': {'is_channel_unused': 'unused_consent_channel'}},
        {'table': 'crm.erasure_requests', 'staging': 'stg_crm__erasure_requests', 'key': 'request_id',
         'contact': 'contact_id', 'validated': none, 'identity': none, 'kept': none,
         'switch': 'enable_erasure_requests', 'repairs': {}},
        {'table': 'crm.do_not_contact', 'staging': 'stg_crm__do_not_contact', 'key': 'contact_id',
         'contact': 'contact_id', 'validated': none, 'identity': none, 'kept': none,
         'switch': 'enable_do_not_contact', 'repairs': {}},
        {'table': 'shop.products', 'staging': 'stg_shop__products', 'key': 'product_id', 'contact': none,
         'validated': none, 'identity': none, 'kept': none, 'switch': none, 'repairs': {}},
        {'table': 'shop.orders', 'staging': 'stg_shop__orders', 'key': 'order_id', 'contact': 'contact_id',
         'validated': 'int_orders__validated', 'identity': none, 'kept': 'int_orders', 'switch': none,
         'repairs': {'is_status_normalised': 'status_normalised'},
         'model_repairs': {'is_fx_rate_extrapolated': 'fx_rate_extrapolated'}},
        {'table': 'shop.order_items', 'staging': 'stg_shop__order_items',
         'key': "order_id || '#' || cast(line_number as " ~ dbt.type_string() ~ ")", 'contact': none,
         'validated': 'int_order_items__validated', 'identity': none, 'kept': 'int_order_items', 'switch': none,
         'repairs': {}},
        {'table': 'marketing.events', 'staging': 'stg_marketing__events', 'key': 'event_id', 'contact': 'contact_id',
         'validated': 'int_events__validated', 'identity': none, 'kept': 'int_events', 'switch': none,
         'repairs': {}},
        {'table': 'marketing.campaigns', 'staging': 'stg_marketing__campaigns', 'key': 'campaign_id',
         'contact': none, 'validated': none, 'identity': none, 'kept': none, 'switch': 'enable_campaigns',
         'repairs': {}},
        {'table': 'marketing.campaign_members', 'staging': 'stg_marketing__campaign_members',
         'key': "campaign_id || '|' || contact_id", 'contact': 'contact_id',
         'validated': 'int_campaign_members__validated', 'identity': none, 'kept': 'int_campaign_members',
         'switch': 'enable_campaigns', 'repairs': {}},
        {'table': 'feedback.surveys', 'staging': 'stg_feedback__surveys', 'key': 'response_id',
         'contact': 'contact_id', 'validated': 'int_surveys__validated', 'identity': none, 'kept': 'int_surveys',
         'switch': 'enable_surveys', 'repairs': {}},
        {'table': 'enrichment.firmographics', 'staging': 'stg_enrichment__firmographics', 'key': 'domain',
         'contact': none, 'validated': none, 'identity': none, 'kept': none, 'switch': 'enable_enrichment',
         'repairs': {'is_domain_normalised': 'domain_normalised'}},
    ] -%}
    {%- set enabled = [] -%}
    {%- set contract = raw_contract() -%}
    {%- for t in tables -%}
        {%- if t.switch is none or var(t.switch, true) -%}
            {#- values outside their contract domain that were set to NULL (staging's out_of_domain_nulled lists
                their columns), one repair per reason code of a column's own (nps_out_of_range...); the others are
                counted as unreadable_value_nulled, with every unreadable value -#}
            {%- set by_code = {} -%}
            {%- for c in contract[t.table].columns
                if c.domain is not none and c.on_unreadable == 'null' and c.domain.code != 'unreadable_value_nulled' -%}
                {%- do by_code.update({c.domain.code: by_code.get(c.domain.code, []) + [
                    "',' || out_of_domain_nulled || ',' like '%," ~ c.name ~ ",%'"]}) -%}
            {%- endfor -%}
            {%- for code, tests in by_code.items() -%}
                {%- do t.repairs.update({'(' ~ tests | join(' or ') ~ ')': code}) -%}
            {%- endfor -%}
            {%- set model = t.validated or t.kept -%}
            {%- set kept_only = " and relational_reason_code is null" if t.validated else "" -%}
            {%- for flag, code in t.get('model_repairs', {}).items() -%}
                {%- do t.repairs.update({
                    "raw_row_key in (select raw_row_key from " ~ ref(model) ~ " where " ~ flag ~ kept_only ~ ")": code
                }) -%}
            {%- endfor -%}
            {%- do enabled.append(t) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(enabled) }}
{% endmacro %}
