"""The raw input data contract, in one place: tables, columns, types, what is required and what each column is for.

Everything else reads it: the demo generator writes these tables, the PostgreSQL loader loads them, the pre-flight
check (`rawcheck.py`) compares a user's files with it before dbt runs, the dbt macro `raw_contract()` (generated from
this module into `macros/utils/raw_contract.sql`) lets staging turn a missing optional column into a typed NULL, and
`docs/INPUT_CONTRACT.md` (generated too) documents it. `python -m customer_scoring.contract` rewrites both generated
files; a test fails when they are out of date.

Each column has
- a raw type (`raw_type`): what the demo generator writes (amounts as text, so that the mess it injects can hold
  non-numeric values);
- a logical type (`kind`): what staging reads it as, whatever the physical type of the user's file (text is parsed
  under the table's dialect; a typed Parquet or warehouse column is converted): text, timestamp, date, integer,
  decimal or boolean;
- `required`: a file or table without it cannot be used (the build stops before dbt runs, naming table and column);
  every other column may be absent and is then a typed NULL (or its `default`);
- `default`: the text value of a missing optional column (`$name` reads the dbt var `name`) when NULL would be wrong (an order export without a status
  column is a list of completed orders);
- `on_unreadable`: what happens to a row whose value cannot be read (`quarantine` the row, or `null` the value and
  count the repair);
- `domain`: the values a number may take, `(low, high)` inclusive, `None` for an open end (a discount rate 0-1, a
  score 0-10, a count or a price that cannot be negative). An integer column's domain holds whole numbers only. A
  value outside it is never rounded or clipped: like an unreadable one it quarantines its row or is set to NULL, as
  `on_unreadable` says, with reason code `out_of_domain` when the column has its own (`nps_out_of_range`,
  `invalid_quantity`, `negative_amount`), else as an unreadable value (`unreadable_value` / `unreadable_value_nulled`,
  the detail naming the domain);
- `purpose`: what the column is used for, quoted in error messages.

Every raw table may carry `_loaded_at`, the time the row was extracted into the raw layer (Fivetran's
`_fivetran_synced`, Airbyte's `_airbyte_extracted_at`); without it, staging falls back to the row's business
timestamp.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("text", "timestamp", "date", "integer", "decimal", "boolean")
# Raw (generator / loader) type of each logical kind when the generator does not say otherwise.
_RAW_TYPE = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "integer": "INTEGER", "decimal": "DOUBLE",
             "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    purpose: str
    required: bool = False
    raw_type: str = ""  # empty: the kind's default raw type
    default: str | None = None  # text value of an absent column ("$var" reads that dbt var); None: a typed NULL
    on_unreadable: str = "null"  # 'quarantine' or 'null'
    domain: tuple[float | None, float | None] | None = None  # inclusive (low, high) of a number; None: any number
    out_of_domain: str | None = None  # reason code of a value outside the domain (None: the default code)

    @property
    def out_of_domain_code(self) -> str | None:
        """Reason code of a value outside the domain (or with a fraction in an integer column); None for text and
        the other kinds without a domain."""
        if self.kind not in ("integer", "decimal") or (self.domain is None and self.kind != "integer"):
            return None
        if self.out_of_domain:
            return self.out_of_domain
        return "unreadable_value" if self.on_unreadable == "quarantine" else "unreadable_value_nulled"

    def domain_text(self) -> str:
        """The domain in words: 'whole number 0-10', '0-1', '>= 0', 'whole number'."""
        low, high = self.domain or (None, None)
        num = lambda v: f"{v:g}"  # noqa: E731
        if low is not None and high is not None:
            rng = f"{num(low)}-{num(high)}"
        elif low is not None:
            rng = f">= {num(low)}"
        elif high is not None:
            rng = f"<= {num(high)}"
        else:
            rng = ""
        if self.kind == "integer":
            return f"whole number {rng}".strip()
        return rng

    @property
    def type(self) -> str:
        return self.raw_type or _RAW_TYPE[self.kind]


@dataclass(frozen=True)
class RawTable:
    schema: str  # source name: crm, shop, marketing, feedback, enrichment
    name: str
    specs: tuple[Column, ...]  # `_loaded_at` last
    key: tuple[str, ...]  # the business key (not unique in raw: duplicates are part of the mess)
    purpose: str
    required: bool = False  # a build needs this table
    optional_switch: str | None = None  # dbt var that turns an optional table off explicitly

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """(column, raw SQL type) pairs, `_loaded_at` last: what the generator writes."""
        return tuple((c.name, c.type) for c in self.specs)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.specs]

    @property
    def required_columns(self) -> list[Column]:
        return [c for c in self.specs if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.specs if c.name == name)


LOADED_AT = Column("_loaded_at", "timestamp", "when the row was extracted into the raw layer (point-in-time "
                   "visibility and freshness); without it the business timestamp is used")

Q = "quarantine"
POSITIVE = (0, None)  # a count, an amount or a price that cannot be negative


def _t(schema, name, cols, key, purpose, required=False, switch=None) -> RawTable:
    return RawTable(schema, name, tuple(cols) + (LOADED_AT,), tuple(key), purpose, required, switch)


C = Column
TABLES: tuple[RawTable, ...] = (
    _t("crm", "accounts", [
        C("account_id", "text", "identifies the company (contacts and deals point to it)", required=True),
        C("name", "text", "company name, shown in account scores"),
        C("website", "text", "company domain: de-duplication of companies and enrichment join"),
        C("industry", "text", "firmographic fit (ideal company profile)"),
        C("employee_count", "integer", "firmographic fit (company size band)", raw_type="VARCHAR", domain=POSITIVE),
        C("annual_revenue", "decimal", "firmographic fit (revenue band)", raw_type="VARCHAR", domain=POSITIVE),
        C("country", "text", "firmographic fit (country)"),
        C("created_at", "timestamp", "point in time: an account created after the as-of date is not visible"),
        C("updated_at", "timestamp", "newest version of a company wins"),
    ], ["account_id"], "B2B companies: account roll-up and firmographic fit of leads"),
    _t("crm", "contacts", [
        C("contact_id", "text", "identifies the person (orders, events, surveys point to it)", required=True),
        C("account_id", "text", "the contact's company (B2B); empty for consumers"),
        C("email", "text", "de-duplication of people, company domain of B2B leads"),
        C("first_name", "text", "shown in exports"),
        C("last_name", "text", "shown in exports"),
        C("job_title", "text", "job function and seniority (lead fit)"),
        C("phone", "text", "shown in exports"),
        C("country", "text", "demographic fit (country)"),
        C("city", "text", "shown in exports"),
        C("birth_date", "date", "demographic fit (age band)"),
        C("gender", "text", "profile criteria"),
        C("lifecycle_stage", "text", "lead stage (subscriber, lead, MQL, SQL, opportunity)"),
        C("lead_source", "text", "lead source, shown in lead scores"),
        C("created_at", "timestamp", "point in time and survival rule (the oldest record is the master)"),
        C("updated_at", "timestamp", "newest version of a person wins"),
    ], ["contact_id"], "people, leads and customers alike: every score is about one of them", required=True),
    _t("crm", "opportunities", [
        C("opportunity_id", "text", "identifies the deal", required=True),
        C("contact_id", "text", "the deal's contact (lead stage, conversion)"),
        C("account_id", "text", "the deal's company (open pipeline, won revenue)"),
        C("created_at", "timestamp", "point in time of the deal", on_unreadable=Q),
        C("closed_at", "timestamp", "when a deal was won or lost"),
        C("stage", "text", "open stage of the deal"),
        C("is_won", "boolean", "won deals count as conversions and revenue"),
        C("amount", "decimal", "open pipeline and won revenue", raw_type="VARCHAR", on_unreadable=Q, domain=POSITIVE,
          out_of_domain="negative_amount"),
        C("currency", "text", "currency of the amount (default: the reporting currency)",
          default="$reporting_currency"),
    ], ["opportunity_id"], "deals: lead stage, open pipeline and won revenue of accounts",
       switch="enable_opportunities"),
    _t("crm", "consents", [
        C("contact_id", "text", "whose consent", required=True),
        C("channel", "text", "email, phone, ...", required=True),
        C("granted", "boolean", "consent given (true) or withdrawn (false)", required=True, on_unreadable=Q),
        C("recorded_at", "timestamp", "the latest consent per channel wins", on_unreadable=Q),
    ], ["contact_id", "channel", "recorded_at"], "marketing consents per channel (activation)",
       switch="enable_consents"),
    _t("crm", "erasure_requests", [
        C("request_id", "text", "identifies the request", required=True),
        C("email", "text", "whose data to erase (by e-mail)"),
        C("contact_id", "text", "whose data to erase (by id)"),
        C("requested_at", "timestamp", "when the request was made", on_unreadable=Q),
    ], ["request_id"], "GDPR erasure requests", switch="enable_erasure_requests"),
    _t("crm", "do_not_contact", [
        C("contact_id", "text", "who must not be contacted (by id: every record merged into the same person)"),
        C("email", "text", "who must not be contacted (by e-mail, compared trimmed and in lower case)"),
        C("phone", "text", "who must not be contacted (by phone, compared as staged: digits and a leading +)"),
        C("reason", "text", "why (shown nowhere but staging: the exports count the exclusion as do_not_contact)"),
        C("added_at", "timestamp", "when the entry was added: it applies from then on (empty: always)",
          on_unreadable=Q),
    ], ["contact_id", "email", "phone"], "a do-not-contact list: each entry (a contact id, an e-mail and/or a phone) "
       "keeps the person out of every activation audience (activation)", switch="enable_do_not_contact"),
    _t("shop", "products", [
        C("product_id", "text", "identifies the product (order lines point to it)", required=True),
        C("name", "text", "product name"),
        C("category", "text", "category breadth of customers"),
        C("list_price", "decimal", "list price (offer scoring)", raw_type="VARCHAR", domain=POSITIVE),
        C("currency", "text", "currency of the list price (default: the reporting currency)",
          default="$reporting_currency"),
        C("target_industries", "text", "offer fit"),
        C("target_segments", "text", "offer fit"),
        C("min_budget", "decimal", "offer fit", raw_type="VARCHAR", domain=POSITIVE),
        C("repurchase_days", "integer", "offers: days after which a bought product (a consumable) may be offered "
          "again; empty: never offered again to who owns it", domain=(1, None)),
        C("updated_at", "timestamp", "newest version of a product wins"),
    ], ["product_id"], "the catalogue: category breadth and offer scoring"),
    _t("shop", "orders", [
        C("order_id", "text", "identifies the order (order lines point to it)", required=True),
        C("contact_id", "text", "who bought: every customer score is built from it", required=True),
        C("ordered_at", "timestamp", "recency, frequency, purchase gaps, point in time", required=True,
          on_unreadable=Q),
        C("status", "text", "completed orders count; cancelled and refunded ones are risk signals "
          "(default: completed)", default="completed"),
        C("currency", "text", "currency of the amount (default: the reporting currency)",
          default="$reporting_currency"),
        C("total_amount", "decimal", "monetary value, average basket, spend trend", required=True,
          raw_type="VARCHAR", on_unreadable=Q),
        C("channel", "text", "sales channel"),
        C("refunded_amount", "decimal", "the part of this order refunded, in its currency (a partial refund): "
          "monetary value, average basket and spend trend are net of it", raw_type="VARCHAR"),
        C("credited_order_id", "text", "this row is a credit note for that order: its amount, negative or positive, "
          "is credited to that order (net monetary value, average basket, spend trend)"),
        C("updated_at", "timestamp", "newest version of an order wins"),
    ], ["order_id"], "orders: RFM and every customer value criterion", required=True),
    _t("shop", "order_items", [
        C("order_id", "text", "the line's order", required=True),
        C("line_number", "integer", "the line's place in its order (default: numbered by product)",
          on_unreadable=Q),
        C("product_id", "text", "the product bought (category breadth, offers)"),
        C("quantity", "integer", "units bought", required=True, on_unreadable=Q, domain=(1, None),
          out_of_domain="invalid_quantity"),
        C("unit_price", "decimal", "price per unit", required=True, raw_type="VARCHAR", on_unreadable=Q,
          domain=POSITIVE, out_of_domain="negative_amount"),
        C("discount", "decimal", "discount rate 0-1 (discount dependency)", domain=(0, 1)),
    ], ["order_id", "line_number"], "order lines: category breadth and discount dependency"),
    _t("marketing", "events", [
        C("event_id", "text", "identifies the event", required=True),
        C("contact_id", "text", "who did it", required=True),
        C("event_type", "text", "page_view, email_open, ...: points per type", required=True),
        C("occurred_at", "timestamp", "time decay of engagement points", required=True, on_unreadable=Q),
        C("url", "text", "page of a web event"),
        C("properties", "text", "free-form event properties"),
    ], ["event_id"], "web and e-mail behaviour: engagement score"),
    _t("marketing", "campaigns", [
        C("campaign_id", "text", "identifies the campaign", required=True),
        C("name", "text", "campaign name"),
        C("channel", "text", "campaign channel"),
        C("objective", "text", "campaign objective"),
        C("started_at", "timestamp", "campaign start"),
    ], ["campaign_id"], "campaigns (with their members: responses count as engagement)",
       switch="enable_campaigns"),
    _t("marketing", "campaign_members", [
        C("campaign_id", "text", "the campaign", required=True),
        C("contact_id", "text", "the member", required=True),
        C("sent_at", "timestamp", "when the campaign reached the member", on_unreadable=Q),
        C("responded_at", "timestamp", "a response counts as engagement"),
        C("converted", "boolean", "the member converted"),
    ], ["campaign_id", "contact_id"], "campaign members: responses count as engagement",
       switch="enable_campaigns"),
    _t("feedback", "surveys", [
        C("response_id", "text", "identifies the answer", required=True),
        C("contact_id", "text", "who answered", required=True),
        C("submitted_at", "timestamp", "satisfaction decays with age", required=True, on_unreadable=Q),
        C("nps", "integer", "NPS 0-10 (satisfaction criteria)", domain=(0, 10), out_of_domain="nps_out_of_range"),
        C("csat", "integer", "CSAT 1-5 (satisfaction criteria)", domain=(1, 5), out_of_domain="csat_out_of_range"),
        C("review_rating", "decimal", "review rating 1-5 (satisfaction criteria)", domain=(1, 5),
          out_of_domain="rating_out_of_range"),
        C("comment", "text", "free text"),
    ], ["response_id"], "survey answers: NPS, CSAT and review criteria", switch="enable_surveys"),
    _t("enrichment", "firmographics", [
        C("domain", "text", "company domain the enrichment joins on", required=True),
        C("industry", "text", "firmographic fit"),
        C("employee_range", "text", "firmographic fit"),
        C("revenue_range", "text", "firmographic fit"),
        C("marketing_budget", "decimal", "marketing budget (account enrichment)", raw_type="VARCHAR",
          domain=POSITIVE),
        C("technologies", "text", "firmographic fit"),
    ], ["domain"], "a provider's firmographics, joined by company domain", switch="enable_enrichment"),
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


# ----------------------------------------------------------------------------------------------- generated files
def render_macro() -> str:
    """The dbt macro `raw_contract()`: the same contract as a Jinja dictionary staging reads at compile time."""
    lines = [
        "{#- GENERATED by `python -m customer_scoring.contract` from customer_scoring/contract.py: do not edit.",
        "    raw_contract() returns, per raw table 'source.table': its columns (name, kind, required, default,",
        "    on_unreadable, domain, purpose), whether the table is required, the var that switches it off, its",
        "    purpose.",
        "    domain: none, or {low, high (none: open), code (reason code of a value outside it), text}; an integer",
        "    column always has one (whole numbers). -#}",
        "{% macro raw_contract() %}",
        "    {%- set contract = {",
    ]
    for t in TABLES:
        switch = "none" if t.optional_switch is None else f"'{t.optional_switch}'"
        lines.append(f"        '{t.qualified}': {{'required': {str(t.required).lower()}, 'switch': {switch}, "
                     f"'purpose': {_jinja_str(t.purpose)}, 'columns': [")
        for c in t.specs:
            default = "none" if c.default is None else _jinja_str(c.default)
            code = c.out_of_domain_code
            low, high = c.domain or (None, None)
            domain = ("none" if code is None else
                      f"{{'low': {_jinja_num(low)}, 'high': {_jinja_num(high)}, 'code': '{code}', "
                      f"'text': {_jinja_str(c.domain_text())}}}")
            lines.append(
                f"            {{'name': '{c.name}', 'kind': '{c.kind}', 'required': {str(c.required).lower()}, "
                f"'default': {default}, 'on_unreadable': '{c.on_unreadable}', 'domain': {domain}, "
                f"'purpose': {_jinja_str(c.purpose)}}},"
            )
        lines.append("        ]},")
    lines += ["    } -%}", "    {{ return(contract) }}", "{% endmacro %}", ""]
    return "\n".join(lines)


def _jinja_num(v) -> str:
    return "none" if v is None else f"{v:g}"


def _jinja_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_docs() -> str:
    """docs/INPUT_CONTRACT.md: the tables and columns a user's export must (or may) have."""
    out = [
        "# Input contract",
        "",
        "GENERATED by `python -m customer_scoring.contract` from `customer_scoring/contract.py`: do not edit.",
        "",
        "One file (DuckDB: `<raw>/<source>/<table>.parquet`, `.csv`, `.csv.gz` or `.tsv`) or one warehouse table",
        "(`raw_<source>.<table>`) per raw table. Only the tables marked *required* must exist; an absent optional",
        "table is an empty one (the criteria it feeds are not computed, and `audit.dq_inputs` says so). Within a",
        "table, only the *required* columns must exist: a missing optional column is a typed NULL (or the default",
        "shown), extra columns are ignored and listed once in the run log. Column names are matched without regard",
        "to case and surrounding spaces. Types are logical: a text file's values are parsed under the table's",
        "dialect (README, \"Your own data\"); a typed Parquet or warehouse column is converted (a time-zone-aware",
        "timestamp to UTC). A value that cannot be read either quarantines its row (*quarantine*) or is set to NULL",
        "and counted in `audit.dq_repairs` (*null*). A number outside its column's *domain* (a discount rate above 1,",
        "a negative price, a fraction in a whole-number column such as an NPS of 7.5) is never rounded or clipped: it",
        "is treated the same way, under the reason code shown.",
        "",
        "A CSV line that cannot be split into the header's columns (too few or too many fields, an unterminated",
        "quote, bytes that are not in the file's encoding, a line longer than the dialect's `max_line_size`) is",
        "quarantined on its own as `malformed_line`, with the file and line number; the other lines are read. Two",
        "columns whose names are the same (ignoring case and surrounding spaces) stop the build before dbt runs.",
        "",
        "Every table may also carry `_loaded_at`: when the row was extracted into the raw layer (Fivetran's",
        "`_fivetran_synced`, Airbyte's `_airbyte_extracted_at`). A build as of D only sees rows loaded by D; without",
        "the column, the row's business timestamp stands in for it.",
        "",
    ]
    for t in TABLES:
        need = "**required**" if t.required else "optional"
        switch = f"; switch it off explicitly with var `{t.optional_switch}: false`" if t.optional_switch else ""
        out += [f"## `{t.qualified}` ({need})", "", f"{t.purpose[0].upper()}{t.purpose[1:]}{switch}. "
                f"Key: {', '.join(t.key)}.", "",
                "| column | type | required | if absent | if unreadable | domain | used for |",
                "|---|---|---|---|---|---|---|"]
        for c in t.specs:
            if c.required:
                absent = "-"
            elif c.default is None:
                absent = "NULL"
            elif c.default.startswith("$"):
                absent = f"var `{c.default[1:]}`"
            else:
                absent = f"`{c.default}`"
            unread = "quarantine row" if c.on_unreadable == Q else ("-" if c.kind == "text" else "NULL, counted")
            code = c.out_of_domain_code
            outside = "quarantine row" if c.on_unreadable == Q else "NULL"
            domain = "-" if code is None else f"{c.domain_text()}, else {outside} (`{code}`)"
            out.append(f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | {absent} | {unread} | "
                       f"{domain} | {c.purpose} |")
        out.append("")
    return "\n".join(out)


def write_generated(root) -> list[str]:
    """Rewrite the generated macro and docs under the project root; returns the paths written."""
    from pathlib import Path

    root = Path(root)
    files = {root / "macros" / "utils" / "raw_contract.sql": render_macro(),
             root / "docs" / "INPUT_CONTRACT.md": render_docs()}
    for path, text in files.items():
        path.write_text(text)
    return [str(p) for p in files]


if __name__ == "__main__":
    from pathlib import Path

    for p in write_generated(Path(__file__).resolve().parents[1]):
        print("wrote", p)
