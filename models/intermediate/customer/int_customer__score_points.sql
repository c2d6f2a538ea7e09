-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Scoring engine step 2 for customers: one row per scoring profile, customer and points rule that awarded
-- points (macro scoring_points).
{{ scoring_points(ref('int_customer__criteria'), ref('int_customer__activity'), 'customer') }}
