"""The raw input data contract (PRODUCT.md, "Input data contract"), in one place.

The demo generator writes these tables, the PostgreSQL loader creates them, and the dbt sources declare them. Every raw
table also carries `_loaded_at`, the time the row was extracted into the raw layer (what Fivetran calls
`_fivetran_synced` and Airbyte `_airbyte_extracted_at`): freshness and point-in-time visibility read it.

Types are the raw types: amounts and counts that real exports deliver as text are VARCHAR here, and staging casts them
safely.
"""
from __future__ import annotations

from dataclasses import dataclass

LOADED_AT = ("_loaded_at", "TIMESTAMP")


@dataclass(frozen=True)
class RawTable:
    schema: str  # source name: crm, shop, marketing, feedback, enrichment
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, raw SQL type), `_loaded_at` last
    key: tuple[str, ...]  # the business key (not unique in raw: duplicates are part of the mess)
    optional_switch: str | None = None  # dbt var that turns an optional table off

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]


def _t(schema, name, cols, key, switch=None) -> RawTable:
    return RawTable(schema, name, tuple(cols) + (LOADED_AT,), tuple(key), switch)


TABLES: tuple[RawTable, ...] = (
    _t("crm", "accounts", [
        ("account_id", "VARCHAR"), ("name", "VARCHAR"), ("website", "VARCHAR"), ("industry", "VARCHAR"),
        ("employee_count", "VARCHAR"), ("annual_revenue", "VARCHAR"), ("country", "VARCHAR"),
        ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
    ], ["account_id"]),
    _t("crm", "contacts", [
        ("contact_id", "VARCHAR"), ("account_id", "VARCHAR"), ("email", "VARCHAR"), ("first_name", "VARCHAR"),
        ("last_name", "VARCHAR"), ("job_title", "VARCHAR"), ("phone", "VARCHAR"), ("country", "VARCHAR"),
        ("city", "VARCHAR"), ("birth_date", "DATE"), ("gender", "VARCHAR"), ("lifecycle_stage", "VARCHAR"),
        ("lead_source", "VARCHAR"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
    ], ["contact_id"]),
    _t("crm", "opportunities", [
        ("opportunity_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"), ("closed_at", "TIMESTAMP"), ("stage", "VARCHAR"), ("is_won", "BOOLEAN"),
        ("amount", "VARCHAR"), ("currency", "VARCHAR"),
    ], ["opportunity_id"], "enable_opportunities"),
    _t("crm", "consents", [
        ("contact_id", "VARCHAR"), ("channel", "VARCHAR"), ("granted", "BOOLEAN"), ("recorded_at", "TIMESTAMP"),
    ], ["contact_id", "channel", "recorded_at"], "enable_consents"),
    _t("crm", "erasure_requests", [
        ("request_id", "VARCHAR"), ("email", "VARCHAR"), ("contact_id", "VARCHAR"), ("requested_at", "TIMESTAMP"),
    ], ["request_id"], "enable_erasure_requests"),
    _t("shop", "products", [
        ("product_id", "VARCHAR"), ("name", "VARCHAR"), ("category", "VARCHAR"), ("list_price", "VARCHAR"),
        ("currency", "VARCHAR"), ("target_industries", "VARCHAR"), ("target_segments", "VARCHAR"),
        ("min_budget", "VARCHAR"), ("updated_at", "TIMESTAMP"),
    ], ["product_id"]),
    _t("shop", "orders", [
        ("order_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("ordered_at", "TIMESTAMP"), ("status", "VARCHAR"),
        ("currency", "VARCHAR"), ("total_amount", "VARCHAR"), ("channel", "VARCHAR"), ("updated_at", "TIMESTAMP"),
    ], ["order_id"]),
    _t("shop", "order_items", [
        ("order_id", "VARCHAR"), ("line_number", "INTEGER"), ("product_id", "VARCHAR"), ("quantity", "INTEGER"),
        ("unit_price", "VARCHAR"), ("discount", "DOUBLE"),
    ], ["order_id", "line_number"]),
    _t("marketing", "events", [
        ("event_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("event_type", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"), ("url", "VARCHAR"), ("properties", "VARCHAR"),
    ], ["event_id"]),
    _t("marketing", "campaigns", [
        ("campaign_id", "VARCHAR"), ("name", "VARCHAR"), ("channel", "VARCHAR"), ("objective", "VARCHAR"),
        ("started_at", "TIMESTAMP"),
    ], ["campaign_id"], "enable_campaigns"),
    _t("marketing", "campaign_members", [
        ("campaign_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("sent_at", "TIMESTAMP"),
        ("responded_at", "TIMESTAMP"), ("converted", "BOOLEAN"),
    ], ["campaign_id", "contact_id"], "enable_campaigns"),
    _t("feedback", "surveys", [
        ("response_id", "VARCHAR"), ("contact_id", "VARCHAR"), ("submitted_at", "TIMESTAMP"), ("nps", "INTEGER"),
        ("csat", "INTEGER"), ("review_rating", "DOUBLE"), ("comment", "VARCHAR"),
    ], ["response_id"], "enable_surveys"),
    _t("enrichment", "firmographics", [
        ("domain", "VARCHAR"), ("industry", "VARCHAR"), ("employee_range", "VARCHAR"),
        ("revenue_range", "VARCHAR"), ("marketing_budget", "VARCHAR"), ("technologies", "VARCHAR"),
    ], ["domain"], "enable_enrichment"),
)

BY_NAME = {t.qualified: t for t in TABLES}

# Reference values the generator draws from and staging recognises (staging reads its own seeds; these must agree).
EVENT_TYPES = (
    "page_view", "pricing_page_view", "email_open", "email_click", "form_submit", "download", "demo_request",
    "event_attended", "unsubscribe", "bounce",
)
ORDER_STATUSES = ("completed", "cancelled", "refunded", "pending")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD")
LIFECYCLE_STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "other")
