-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Scoring engine step 1 for customers: one row per scoring profile, customer and weighted criterion, with the
-- normalised value and the contribution in points (macro scoring_contributions).
{{ scoring_contributions(ref('int_customer__criteria'), 'customer') }}
