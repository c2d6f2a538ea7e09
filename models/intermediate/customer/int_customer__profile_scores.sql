-- depends_on: {{ ref('int_scoring__config_errors') }}
-- Scoring engine step 3 for customers: one row per scoring profile and customer, with the score 0-100, tier,
-- recommended action and top factors (macro scoring_totals).
{{ scoring_totals(ref('int_customer__score_contributions'), ref('int_customer__score_points'), 'customer') }}
