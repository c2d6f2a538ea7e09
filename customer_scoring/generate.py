"""Demo raw data: every table of `contract.TABLES`, with a signal worth scoring and a known amount of mess.

`generate_demo_data(out_dir, contacts=2000, ...)` writes `<out_dir>/<schema>/<table>.parquet` (and `.csv` on request)
plus `<out_dir>/_manifest.json`, and returns the manifest. The same arguments give byte-identical files: every random
draw comes from numpy's PCG64 generator seeded with (seed, table stream, chunk), never from hashes or the clock, and
the large tables are written in chunks of a fixed number of people.

Latent model (one draw per person, all independent standard normals unless said otherwise)
-------------------------------------------------------------------------------------------
- `engagement`: drives how many web/email events a person makes, the share of high-intent events (pricing page,
  demo request, form submit), the chance to become a customer, and their order rate and basket.
- `fit`: for B2B people (40%, each belongs to an account) from the account's industry (a target list), its size and
  the person's seniority (job title); for B2C people from their age band and country. Standardised per segment.
  Raises the chance to convert, the order rate and the basket.
- `satisfaction`: the survey answers (NPS, CSAT, rating) reflect it, and a customer's purchasing stops (churn) after
  an exponential lifetime whose mean grows with it: unhappy customers stop buying earlier.
A person converts with probability sigmoid(-0.7 + 1.1 engagement + 0.8 fit), some weeks after being created; a
customer orders as a Poisson process from the first order until churn or the end date (orders ~ 10 x contacts), with
1 + Poisson items. Events (~ 20 x contacts, plus ~ 5 x contacts product page views: see Offers) spread over the
person's life, a third of a customer's in the 60 days before the first order. History covers `years` years ending
on `end_date`, and activity runs until `end_date`.

Offers (issue 14): what a buyer buys, and the product pages they view
---------------------------------------------------------------------
shop.products carries targeting (segments, industries), minimum budgets that a company's size decides and, for
consumables ('Supplies', and the 'Services' that are renewals), `repurchase_days`. Each product has 2-3 complements.
Each person has a preferred category (half of them a second one). An order line's product (`_basket_products`, in
each buyer's time order) is a due consumable bought again (around its gap), else often a complement of a product the
buyer bought before (the same order or earlier), else the next product of the buyer's own list (drawn once by
popularity x preferred categories x, for businesses, industry targeting and budget): repeat buyers seldom buy a
product again unless it is a consumable. Page views of the product (sometimes of its category) come 1-21 days before
many purchases; customers also view products of their preferred category they do not buy, and non-customers view
products that suit them (`_product_views`). These page views are clean rows appended to marketing.events with ids of
their own range (manifest "info.product_page_views"); they take no part in the events' mess.

`_loaded_at` is each row's business timestamp (updated_at, occurred_at, submitted_at...) plus a lag of 2 minutes to 2
days, capped at end_date 23:59:59. Business dates of clean rows are never after end_date nor before the contact's
created_at.

crm.contacts is an export with history: every customer with a clean record also has its earlier version, written before
their first order with their lead-time lifecycle stage (manifest "info.contact_prior_versions"; not a defect), so a
build as of a date before a customer's first order sees them as a lead.
crm.opportunities likewise keeps the earlier open version of each closed deal (manifest
"info.opportunity_prior_versions"), so a build as of a date before the close sees the deal in the open pipeline.

Mess (manifest "mess": exact row counts; each defective raw row carries exactly one kind)
-----------------------------------------------------------------------------------------
crm.accounts      duplicate_id (older version rows of an id), same_domain (an extra id for a company, website the
                  same domain written as a URL), website_url, country_variant ('France', 'U.S.A.', 'fr'...)
crm.contacts      duplicate_id, email_case_duplicate (an extra id for a person: same email, other case / spaces),
                  invalid_email, country_variant, orphan_account (account_id in no accounts row)
shop.orders       duplicate_id (older 'completed' version of an order now 'refunded'), null_date, future_date,
                  negative_amount, non_numeric_amount, unknown_currency, orphan_contact, unknown_status, status_case,
                  unknown_credited_order (an extra credit-note row for an order_id in no orders row)
                  Not defects (manifest "info.order_refunds"): partial refunds both ways, on clean orders after a
                  customer's first: `refunded_amount` on some completed orders (part of the total) and on some refunded
                  ones (the whole total), and credit-note rows (`credited_order_id`, status 'refunded', an amount of
                  part of the order, mostly written negative, some positive, dated after the order).
shop.order_items  orphan_order (lines of an order_id in no orders row)
marketing.events  duplicate_id (exact copies), unknown_event_type, null_date, future_date, orphan_contact
feedback.surveys  nps_out_of_range, csat_out_of_range, null_date, orphan_contact
enrichment.firmographics  domain_case (upper / mixed case / 'www.')
Other tables are clean. Rates are the `*_MESS` constants below.

Activation (issue 15): crm.consents also holds 'ads' records (custom audiences) for a third of the people, from a
stream of their own; crm.do_not_contact lists 1.5% of the people (at least 6) by contact id, by e-mail (other case or
spaces) or by phone (written without separators), some without a date (manifest "info.do_not_contact"). With the
'unsubscribe' and 'bounce' events, every suppression reason of the audiences occurs on the demo.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from customer_scoring import contract

log = logging.getLogger("customer_scoring.generate")

# ---------------------------------------------------------------------------------------------------------------
# Scale and mess rates
# ---------------------------------------------------------------------------------------------------------------
B2B_SHARE = 0.40
CONTACTS_PER_ACCOUNT = 8  # accounts ~= contacts / 8
ORDERS_PER_CONTACT = 10
EVENTS_PER_CONTACT = 20
SURVEYS_PER_CONTACT = 0.5
CAMPAIGN_MEMBERS_PER_CONTACT = 2
N_CAMPAIGNS = 50
N_PRODUCTS = 60
ERASURE_SHARE = 0.002
DO_NOT_CONTACT_SHARE = 0.015  # of the people: entries of crm.do_not_contact (at least 6: every form at least once)
DO_NOT_CONTACT_REASONS = ("asked not to be contacted", "complaint", "legal request", "deceased", None)
ADS_CONSENT_SHARE = 0.35  # of the people: a consent record on channel 'ads' (custom audiences)
FIRMOGRAPHICS_COVERAGE = 0.70
FIRMOGRAPHICS_EXTRA = 0.10  # extra domains (companies not in the CRM), as a share of accounts
CHUNK_PEOPLE = 100_000  # people per chunk of orders, items and events (fixed: the output must not depend on memory)



@dataclass(frozen=True)
class Shape:
    """How a generated business buys: the volume of orders and activity, and which optional sources it has."""
    name: str
    description: str
    orders_per_contact: float  # orders ~= this x contacts
    rate_spread: float  # standard deviation of the log order rate's own noise: larger = more one-order customers
    events: bool  # marketing.events (and the campaigns that drive them)
    surveys: bool  # feedback.surveys


SHAPES = {
    "demo": Shape("demo", "a shop with a CRM, web/email tracking and surveys; most customers order again",
                  orders_per_contact=ORDERS_PER_CONTACT, rate_spread=0.7, events=True, surveys=True),
    "retail": Shape("retail", "an online shop's order export: most customers order once, a few order often; "
                    "no web/email events, no campaigns, no surveys",
                    orders_per_contact=0.9, rate_spread=1.6, events=False, surveys=False),
}
SHAPE_TABLES = {"events": ("marketing.events", "marketing.campaigns", "marketing.campaign_members"),
                "surveys": ("feedback.surveys",)}

ACCOUNTS_MESS = {"duplicate_id": 0.02, "same_domain": 0.015, "website_url": 0.03, "country_variant": 0.03}
CONTACTS_MESS = {"duplicate_id": 0.02, "email_case_duplicate": 0.02, "invalid_email": 0.015,
                 "country_variant": 0.03, "orphan_account": 0.02}  # orphan_account: rate among B2B contacts
ORDERS_MESS = {"duplicate_id": 0.015, "null_date": 0.01, "future_date": 0.01, "negative_amount": 0.01,
               "non_numeric_amount": 0.01, "unknown_currency": 0.01, "orphan_contact": 0.01, "unknown_status": 0.01,
               "status_case": 0.02}
ORDER_ITEMS_MESS = {"orphan_order": 0.01}
# partial refunds (not defects), among clean completed orders after a customer's first, and refunded orders
ORDER_REFUNDS = {"partial_refunded_amount": 0.02, "credit_note": 0.01, "full_refunded_amount": 0.3}
UNKNOWN_CREDITED_ORDER_RATE = 0.003  # extra credit-note rows for orders that do not exist, per order
EVENTS_MESS = {"duplicate_id": 0.02, "unknown_event_type": 0.01, "null_date": 0.01, "future_date": 0.01,
               "orphan_contact": 0.01}
SURVEYS_MESS = {"nps_out_of_range": 0.02, "csat_out_of_range": 0.02, "null_date": 0.01, "orphan_contact": 0.01}
FIRMOGRAPHICS_MESS = {"domain_case": 0.03}

# ---------------------------------------------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------------------------------------------
COUNTRIES = ("FR", "DE", "US", "GB", "ES", "IT", "BE", "CH", "NL", "CA")
COUNTRY_WEIGHTS = (0.36, 0.14, 0.12, 0.09, 0.07, 0.06, 0.05, 0.04, 0.04, 0.03)
CORE_MARKETS = ("FR", "DE", "BE", "CH")
COUNTRY_VARIANTS = {
    "FR": ("France", "FRANCE", "fr", "france"),
    "DE": ("Deutschland", "Germany", "de", "GERMANY"),
    "US": ("United States", "USA", "U.S.A.", "us"),
    "GB": ("United Kingdom", "UK", "Great Britain", "England"),
    "ES": ("España", "Spain", "es", "SPAIN"),
    "IT": ("Italia", "Italy", "it"),
    "BE": ("Belgique", "Belgium", "be", "België"),
    "CH": ("Schweiz", "Suisse", "Switzerland", "ch"),
    "NL": ("Nederland", "Netherlands", "nl", "Holland"),
    "CA": ("Canada", "CANADA", "ca"),
}
CURRENCY_OF_COUNTRY = ("EUR", "EUR", "USD", "GBP", "EUR", "EUR", "EUR", "CHF", "EUR", "CAD")
CURRENCIES = contract.CURRENCIES
EUR_PER_UNIT = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17, "CHF": 1.04, "CAD": 0.68}
TLDS = (".fr", ".de", ".com", ".co.uk", ".es", ".it", ".be", ".ch", ".nl", ".ca")
PHONE_PREFIX = ("+33", "+49", "+1", "+44", "+34", "+39", "+32", "+41", "+31", "+1")
CITIES = {
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes", "Bordeaux"),
    "DE": ("Berlin", "München", "Hamburg", "Köln", "Frankfurt"),
    "US": ("New York", "San Francisco", "Chicago", "Austin", "Boston"),
    "GB": ("London", "Manchester", "Bristol", "Edinburgh"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla"),
    "IT": ("Milano", "Roma", "Torino", "Bologna"),
    "BE": ("Bruxelles", "Antwerpen", "Liège", "Gent"),
    "CH": ("Zürich", "Genève", "Basel", "Lausanne"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"),
    "CA": ("Toronto", "Montréal", "Vancouver", "Ottawa"),
}
FIRST_NAMES_F = ("Marie", "Camille", "Sophie", "Julie", "Emma", "Léa", "Anna", "Laura", "Sarah", "Claire", "Hannah",
                 "Lucía", "Giulia", "Emily", "Charlotte", "Nathalie", "Isabelle", "Chloé", "Inès", "Sofia")
FIRST_NAMES_M = ("Jean", "Pierre", "Thomas", "Nicolas", "Lucas", "Julien", "Paul", "Antoine", "Maximilian", "Lukas",
                 "James", "Oliver", "Marco", "Carlos", "David", "Michael", "François", "Hugo", "Jérôme", "Noah")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia",
              "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Smith", "Johnson", "Brown", "Taylor", "Wilson",
              "Rossi", "Russo", "Ferrari", "Fernández", "López", "Martínez", "Janssens", "Peeters", "De Vries",
              "Jansen", "Tremblay", "Roy", "Gagnon", "Meier", "Keller", "Dupont", "Petit", "Roux", "Fontaine",
              "Chevalier")
GENDER_F = ("F", "female", "F", "Female")
GENDER_M = ("M", "Male", "M", "male")
# Job titles by seniority, from interns (0) to the C-suite (4), in French and English.
JOB_TITLES = (
    ("Stagiaire", "Intern", "Assistant commercial", "Alternant"),
    ("Sales Representative", "Chargé de clientèle", "Analyst", "Comptable", "Account Executive", "Ingénieur"),
    ("Marketing Manager", "Responsable des achats", "Chef de projet", "IT Manager", "Responsable marketing"),
    ("VP Sales", "Directeur Marketing", "Directrice commerciale", "Head of Procurement", "Director of Operations"),
    ("Chief Marketing Officer", "CEO", "Directeur général", "Chief Financial Officer", "CTO"),
)
SENIORITY_WEIGHTS = (0.08, 0.38, 0.30, 0.16, 0.08)
B2C_JOB_TITLES = ("Étudiant", "Retraité", "Enseignant", "Infirmière", "Artisan", "Student")
FREE_MAIL = ("gmail.com", "yahoo.fr", "hotmail.com", "outlook.com", "orange.fr", "free.fr", "gmx.de", "hotmail.fr",
             "icloud.com", "web.de", "yahoo.com", "laposte.net")
FREE_MAIL_WEIGHTS = (0.30, 0.08, 0.10, 0.09, 0.08, 0.06, 0.06, 0.05, 0.06, 0.04, 0.05, 0.03)
# Consumer mailboxes of smaller providers: free mail too (seeds/free_mail_domains.csv lists them).
PERSONAL_MAIL = ("posteo.de", "mailbox.org", "zoho.com")
LEAD_SOURCES = ("website", "organic_search", "paid_search", "referral", "social", "event", "partner", "import")
LEAD_SOURCE_WEIGHTS = (0.25, 0.2, 0.15, 0.1, 0.1, 0.08, 0.07, 0.05)
TARGET_INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Manufacturing")
OTHER_INDUSTRIES = ("Retail", "Education", "Hospitality", "Construction", "Logistics", "Media", "Public Sector",
                    "Agriculture")
INDUSTRIES = TARGET_INDUSTRIES + OTHER_INDUSTRIES
INDUSTRY_WEIGHTS = (0.12, 0.09, 0.08, 0.11, 0.12, 0.07, 0.07, 0.08, 0.08, 0.06, 0.07, 0.05)
COMPANY_WORDS_1 = ("Alpha", "Blue", "Nova", "Green", "Smart", "Bright", "Prime", "Atlas", "Lumen", "Nord", "Sud",
                   "Euro", "Apex", "Delta", "Vertex", "Silver", "Golden", "Rapid", "Clear", "True", "Pure", "Next",
                   "Open", "Bold", "Solid", "Urban", "Grand", "Royal", "Neo", "Meta")
COMPANY_WORDS_2 = ("Acme", "Data", "Logic", "Works", "Foods", "Med", "Soft", "Tech", "Cloud", "Energy", "Build",
                   "Trade", "Finance", "Health", "Motion", "Vision", "Wave", "Bridge", "Craft", "Forge", "Field",
                   "Stone", "River", "Peak", "Harbor", "Metal", "Paper", "Glass", "Textile", "Pharma", "Retail",
                   "Logistics", "Media", "Print", "Farm", "Home", "Care", "Learn", "Travel", "Auto")
COMPANY_SUFFIXES = ("", " Group", " Labs", " Solutions", " Partners", " Industries", " Consulting", " Digital")
LEGAL_FORMS = (" SAS", " GmbH", " Inc.", " Ltd", " S.L.", " S.p.A.", " SA", " AG", " B.V.", " Inc.")
EMPLOYEE_RANGES = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
                   (5000, "1001-5000"), (10 ** 12, "5001+"))
REVENUE_RANGES = ((1e6, "<1M"), (1e7, "1M-10M"), (5e7, "10M-50M"), (2.5e8, "50M-250M"), (1e18, "250M+"))
TECHNOLOGIES = ("Salesforce", "HubSpot", "SAP", "Shopify", "Google Analytics", "Microsoft Dynamics", "Zendesk",
                "Marketo", "Oracle", "Slack")
HIGH_INTENT = ("pricing_page_view", "form_submit", "demo_request")
HIGH_INTENT_WEIGHTS = (0.55, 0.30, 0.15)
LOW_INTENT = ("page_view", "email_open", "email_click", "download", "event_attended", "unsubscribe", "bounce")
LOW_INTENT_WEIGHTS = (0.50, 0.25, 0.12, 0.06, 0.03, 0.02, 0.02)
SITE = "https://www.example.com"
PAGES = ("/", "/products", "/blog", "/about", "/customers", "/blog/scoring-101", "/careers", "/contact")
EVENT_PROPERTIES = ('{"device":"mobile"}', '{"device":"desktop"}', '{"utm_source":"newsletter"}',
                    '{"utm_source":"google","utm_medium":"cpc"}', '{"campaign":"spring_sale"}',
                    '{"referrer":"linkedin"}')
UNKNOWN_EVENT_TYPES = ("page_vue", "chat_started", "PAGEVIEW")
ORDER_CHANNELS = ("web", "store", "phone", "marketplace")
UNKNOWN_STATUSES = ("pending_review", "lost", "on_hold")
UNKNOWN_CURRENCIES = ("XXX", "EURO", "BTC")
NON_NUMERIC_AMOUNTS = ("N/A", "abc", "", "12.5.3")
DISCOUNTS_20THS = (0, 1, 2, 3, 4)  # discount = k / 20, so a line amount is always a whole number of cents
DISCOUNT_WEIGHTS = (0.6, 0.15, 0.12, 0.08, 0.05)
NPS_OUT_OF_RANGE = (11, 15, -1, 99)
CSAT_OUT_OF_RANGE = (0, 6, 9)
COMMENTS_BAD = ("Livraison trop lente.", "Support injoignable.", "Too expensive for what it is.", "Déçu.",
                "The product broke after a week.")
COMMENTS_MID = ("Correct, sans plus.", "OK overall.", "Bon produit mais prix élevé.", "Delivery was fine.")
COMMENTS_GOOD = ("Excellent service !", "Great product, will buy again.", "Très satisfait.", "Love it.",
                 "Équipe très réactive.")
OPPORTUNITY_OPEN = ("prospecting", "qualification", "proposal", "negotiation")
CAMPAIGN_THEMES = ("Spring Sale", "Summer Webinar", "Product Launch", "Black Friday", "Customer Day", "Newsletter",
                   "Trade Show", "Retargeting", "Win-back", "Partner Summit")
CAMPAIGN_CHANNELS = ("email", "webinar", "paid_social", "paid_search", "event", "direct_mail")
CAMPAIGN_OBJECTIVES = ("awareness", "lead_generation", "conversion", "retention")
PRODUCT_CATEGORIES = ("Software", "Hardware", "Services", "Training", "Supplies", "Accessories")

# Offers (issue 14): what a catalogue and its baskets look like. Draws of their own streams ("products-offers",
# "baskets", "product-views"), so the other columns of products, orders, lines and events keep their values.
CONSUMABLE_DAYS = (30, 45, 60, 90, 120)  # usual repurchase gap of a 'Supplies' product
RENEWAL_DAYS = (90, 120)  # and of the 'Services' products that are renewals (support, subscriptions)
RENEWAL_SHARE = 0.35  # of the 'Services' products
MIN_BUDGET_SHARE = 0.75  # of the products sold to businesses have a minimum budget
BUDGET_OF_REVENUE = 0.02  # a company spends up to this share of its annual revenue: products above it are rarer
POPULARITY_POWER = 0.5  # a buyer's weight of a product starts from its popularity to this power (1: as popular)
PREFERRED_BOOST = (30.0, 8.0)  # weight of a buyer's first and second preferred category (others: 1)
SECOND_CATEGORY = 0.5  # share of buyers with a second preferred category
INDUSTRY_MATCH, INDUSTRY_MISS = 6.0, 0.25 # a business buying a product that targets its industry, or other ones
OVER_BUDGET = 0.1  # a business buying a product whose minimum budget is above its own
COMPLEMENTS = (2, 3)  # complements of each product (as many of each)
COMPLEMENT_SAME_CATEGORY = 0.5  # weight of a complement of the same category (others 1: mostly another category)
COMPLEMENT_SHARE = 0.5  # of a buyer's later lines: a complement of a product they bought before
RECENT_ANCHOR = 0.6  # that product is the one of the line just before (the same order, mostly), else an earlier one
REBUY_DUE = 0.85  # a consumable is due again after this share of its repurchase gap...
REBUY_SHARE = 0.8  # ...and then the buyer's next line rebuys it with this chance
PLAIN_DRAW = 0.05  # share of the other lines drawn by the buyer's weights alone (maybe a product they have)
VIEW_DAYS = 21  # product page views come 1 to this many days before the purchase
VIEW_NEW, VIEW_AGAIN, VIEW_REBUY = 0.35, 0.2, 0.03  # chance of a view before a new product, a second one, a rebuy
CATEGORY_VIEW = 0.08  # chance of a category page view before a new product
BROWSE_PER_LINE = 0.08  # a customer's product views that lead nowhere (preferred category), per order line
LEAD_VIEWS = 1.0  # a non-customer's product views over their life (times exp(0.4 engagement))

ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "DATE": pa.date32(), "INTEGER": pa.int32(),
               "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}
MINUTE = 1 / 1440


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------------------------------------
# Small helpers: random streams, time, strings, mess kinds, writing
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Ctx:
    seed: int
    n: int  # people
    end_date: dt.date
    origin: dt.date  # day 0 of the history
    horizon: float  # end_date 23:59:59, in days since origin
    shape: Shape = SHAPES["demo"]

    def rng(self, stream: str, chunk: int = 0) -> np.random.Generator:
        """An independent PCG64 stream per (seed, table, chunk): tables do not shift each other's draws."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, zlib.crc32(stream.encode()),
                                                                           chunk])))

    def ts(self, days, null=None) -> pa.Array:
        """Timestamps (microseconds, second precision) from days since origin; NaN or `null` -> NULL."""
        days = np.asarray(days, dtype=np.float64)
        mask = np.isnan(days) if null is None else (np.asarray(null) | np.isnan(days))
        secs = np.rint(np.where(mask, 0.0, days) * 86400).astype(np.int64)
        base = (self.origin - dt.date(1970, 1, 1)).days * 86400
        return pa.array((secs + base) * 1_000_000, type=pa.timestamp("us"), mask=mask if mask.any() else None)

    def loaded(self, rng, days) -> np.ndarray:
        """Extraction time: the business time plus 2 minutes to 2 days (log-uniform), capped at end_date 23:59:59."""
        return np.minimum(np.asarray(days) + _lag(rng, len(days)), self.horizon)


def _lag(rng, n) -> np.ndarray:
    return np.exp(rng.uniform(np.log(2 * MINUTE), np.log(2.0), n))


def _choice(rng, n, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(w) - 1)


def _vocab(values, idx) -> pa.Array:
    """values[idx] as an Arrow string array (None in values gives NULL)."""
    return pa.array(list(values), type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int32)))


def _num(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def _ids(prefix: str, numbers, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(_num(numbers), width=width, padding="0"), "")


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _money(cents) -> pa.Array:
    """Whole cents as text '1234.50' (negative amounts get a leading '-')."""
    cents = np.asarray(cents, dtype=np.int64)
    units, frac = np.divmod(np.abs(cents), 100)
    text = _join(_num(units), ".", pc.utf8_lpad(_num(frac), width=2, padding="0"))
    return pc.if_else(pa.array(cents < 0), _join("-", text), text)


def _kinds(rng, n, rates: dict, eligible=None) -> np.ndarray:
    """Mess kind per row: 0 = clean, k = the k-th kind of `rates` (1-based). One kind per row, by construction."""
    edges = np.cumsum(list(rates.values()))
    codes = np.searchsorted(edges, rng.random(n), side="right") + 1
    codes[codes > len(rates)] = 0
    if eligible is not None:
        codes[~np.asarray(eligible)] = 0
    return codes.astype(np.int8)


def _kind(rates: dict, name: str) -> int:
    return list(rates).index(name) + 1


def _count(codes, rates) -> dict:
    counts = np.bincount(codes, minlength=len(rates) + 1)
    return {k: int(counts[i + 1]) for i, k in enumerate(rates)}


def _replace(tbl: pa.Table, **cols) -> pa.Table:
    for name, values in cols.items():
        i = tbl.schema.get_field_index(name)
        tbl = tbl.set_column(i, tbl.schema.field(i), _arrow(values, tbl.schema.field(i).type))
    return tbl


def _arrow(values, typ) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, type=typ)


def _url_variant(rng, domain: pa.Array) -> pa.Array:
    """The same bare domain written as a URL: scheme, www, case and path vary."""
    code = pa.array(rng.integers(0, 4, len(domain)).astype(np.int8))
    return pc.choose(code, _join("https://www.", pc.utf8_title(domain), "/contact"),
                     _join("http://", pc.utf8_upper(domain)), _join("www.", domain), _join("https://", domain, "/"))


def _country_variant(rng, country_idx) -> pa.Array:
    flat = [v for c in COUNTRIES for v in COUNTRY_VARIANTS[c]]
    sizes = np.array([len(COUNTRY_VARIANTS[c]) for c in COUNTRIES])
    offsets = np.cumsum(sizes) - sizes
    country_idx = np.asarray(country_idx)
    pick = offsets[country_idx] + (rng.random(len(country_idx)) * sizes[country_idx]).astype(np.int64)
    return _vocab(flat, pick)


def _schema(t: contract.RawTable) -> pa.Schema:
    return pa.schema([pa.field(c, ARROW_TYPES[typ]) for c, typ in t.columns])


class _Writer:
    """One raw table: Parquet (and CSV) written batch by batch with the contract's schema."""

    def __init__(self, out_dir: Path, qualified: str, csv: bool):
        self.table = contract.BY_NAME[qualified]
        self.schema = _schema(self.table)
        folder = out_dir / self.table.schema
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{self.table.name}.parquet"
        self._pq = pq.ParquetWriter(self.path, self.schema, compression="snappy")
        self._csv = pacsv.CSVWriter(folder / f"{self.table.name}.csv", self.schema) if csv else None
        self.rows = 0

    def write(self, tbl: pa.Table) -> None:
        tbl = tbl.select(self.table.column_names).cast(self.schema)
        self._pq.write_table(tbl)
        if self._csv is not None:
            self._csv.write_table(tbl)
        self.rows += tbl.num_rows

    def close(self) -> None:
        self._pq.close()
        if self._csv is not None:
            self._csv.close()


def _table(qualified: str, cols: dict) -> pa.Table:
    schema = _schema(contract.BY_NAME[qualified])
    return pa.table({f.name: _arrow(cols[f.name], f.type) for f in schema}, schema=schema)


# ---------------------------------------------------------------------------------------------------------------
# Latent draws: accounts and people
# ---------------------------------------------------------------------------------------------------------------
def draw_latents(n: int, seed: int) -> dict:
    """Per-person latent traits, each from its own draws of the seeded generator (independent by construction)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(b"latents")])))
    return {
        "engagement": rng.standard_normal(n),
        "fit_noise": rng.standard_normal(n),
        "satisfaction": rng.standard_normal(n),
        "u_created": rng.random(n),
        "u_convert": rng.random(n),
        "u_lifetime": rng.random(n),
        "rate_noise": rng.standard_normal(n),
    }


@dataclass
class _Accounts:
    n: int
    combo: np.ndarray  # company name/domain combination index (unique)
    industry: np.ndarray
    employees: np.ndarray
    country: np.ndarray
    created: np.ndarray  # days
    updated: np.ndarray
    kind: np.ndarray  # mess kind of the account's own row (0 clean)
    dup_n: int = 0  # same_domain extra accounts
    dup_of: np.ndarray | None = None  # per extra account: original account index
    dup_created: np.ndarray | None = None
    revenue: np.ndarray | None = None  # annual revenue, EUR (as written in crm.accounts, also when left empty there)


@dataclass
class _People:
    n: int
    lat: dict
    b2b: np.ndarray
    account: np.ndarray  # account index, -1 for B2C
    country: np.ndarray
    seniority: np.ndarray
    age: np.ndarray  # years, NaN when unknown
    fit: np.ndarray
    created: np.ndarray
    updated: np.ndarray
    is_customer: np.ndarray
    first_order: np.ndarray
    active_end: np.ndarray
    order_lam: np.ndarray  # expected orders after the first
    basket: np.ndarray  # basket size factor, 1 on average over orders
    event_lam: np.ndarray
    kind: np.ndarray  # contact mess kind of the person's row
    dup_num: np.ndarray  # contact number of the email-case duplicate contact (0 = none)
    dup_created: np.ndarray
    id_width: int
    orphan_base: int  # contact numbers >= this exist in no contacts row


def _company_combos() -> int:
    return len(COMPANY_WORDS_1) * len(COMPANY_WORDS_2) * len(COMPANY_SUFFIXES)


def _company(combo) -> tuple[pa.Array, pa.Array]:
    """(name, bare domain without TLD) of company combination indices: unique domains for unique indices."""
    combo = np.asarray(combo, dtype=np.int64)
    n1, n2, n3 = len(COMPANY_WORDS_1), len(COMPANY_WORDS_2), len(COMPANY_SUFFIXES)
    w1, w2, sx, k = combo % n1, combo // n1 % n2, combo // (n1 * n2) % n3, combo // (n1 * n2 * n3)
    k_text = pc.if_else(pa.array(k > 0), _num(k), "")
    name = _join(_vocab(COMPANY_WORDS_1, w1), " ", _vocab(COMPANY_WORDS_2, w2), _vocab(COMPANY_SUFFIXES, sx))
    slugs_1, slugs_2 = [_ascii(w) for w in COMPANY_WORDS_1], [_ascii(w) for w in COMPANY_WORDS_2]
    suffix_slugs = [("-" + _ascii(w)) if w else "" for w in COMPANY_SUFFIXES]
    stem = _join(_vocab(slugs_1, w1), "-", _vocab(slugs_2, w2), _vocab(suffix_slugs, sx), k_text)
    return name, stem


def _draw_accounts(ctx: _Ctx) -> _Accounts:
    rng = ctx.rng("accounts")
    a = max(1, round(ctx.n / CONTACTS_PER_ACCOUNT))
    combo = rng.permutation(max(a * 2, _company_combos()))[:a]
    return _Accounts(
        n=a, combo=combo, industry=_choice(rng, a, INDUSTRY_WEIGHTS),
        employees=np.clip(np.rint(rng.lognormal(np.log(60), 1.4, a)), 1, 80_000).astype(np.int64),
        country=_choice(rng, a, COUNTRY_WEIGHTS), created=np.zeros(a), updated=np.zeros(a),
        kind=np.zeros(a, np.int8),
    )


def _draw_people(ctx: _Ctx, acc: _Accounts) -> _People:
    rng = ctx.rng("people")
    n, H = ctx.n, ctx.horizon
    lat = draw_latents(n, ctx.seed)
    eng, sat = lat["engagement"], lat["satisfaction"]
    b2b = rng.random(n) < B2B_SHARE
    nb = int(b2b.sum())
    account = np.full(n, -1, np.int64)
    weights = rng.lognormal(0, 1.0, acc.n)
    assigned = _choice(rng, nb, weights)
    first = min(nb, acc.n)
    assigned[:first] = rng.permutation(acc.n)[:first]  # every account gets a contact when there are enough
    account[b2b] = assigned
    created = lat["u_created"] * (H - 14)
    country = _choice(rng, n, COUNTRY_WEIGHTS)
    same = b2b & (rng.random(n) < 0.85)
    country[same] = acc.country[account[same]]
    seniority = _choice(rng, n, SENIORITY_WEIGHTS)
    age = rng.uniform(18, 80, n)
    age[rng.random(n) < np.where(b2b, 0.7, 0.15)] = np.nan

    # fit: B2B from industry, size and seniority; B2C from age band and country
    fit = np.empty(n)
    ai = account[b2b]
    target = (acc.industry[ai] < len(TARGET_INDUSTRIES)).astype(float)
    size = np.log(acc.employees[ai])
    fit[b2b] = 1.0 * target + 0.35 * (size - size.mean()) / (size.std() + 1e-9) + 0.3 * (seniority[b2b] - 1.8) \
        + 0.5 * lat["fit_noise"][b2b]
    a2 = age[~b2b]
    band = np.where((a2 >= 35) & (a2 < 55), 0.8, np.where((a2 >= 25) & (a2 < 65), 0.3, -0.3))
    band[np.isnan(a2)] = 0.0
    core = np.isin(country[~b2b], [COUNTRIES.index(c) for c in CORE_MARKETS]).astype(float)
    fit[~b2b] = band + 0.5 * core + 0.6 * lat["fit_noise"][~b2b]
    for seg in (b2b, ~b2b):
        if seg.sum() > 1:
            fit[seg] = (fit[seg] - fit[seg].mean()) / (fit[seg].std() + 1e-9)

    # conversion, churn and purchasing
    first_order = created + 1 + rng.exponential(60 * np.exp(-0.4 * eng))
    is_customer = (lat["u_convert"] < _sigmoid(-0.7 + 1.1 * eng + 0.8 * fit)) & (first_order <= H - 1)
    lifetime = -np.log1p(-lat["u_lifetime"]) * 600 * np.exp(0.9 * sat)
    active_end = np.where(is_customer, np.minimum(first_order + lifetime, H), np.nan)
    first_order = np.where(is_customer, first_order, np.nan)
    rate = np.exp(0.45 * eng + 0.35 * fit + ctx.shape.rate_spread * lat["rate_noise"])
    span = np.where(is_customer, active_end - first_order, 0.0)
    n_cust = int(is_customer.sum())
    k = max(ctx.shape.orders_per_contact * n - n_cust, 0) / max(float((rate * span).sum()), 1e-9)
    order_lam = k * rate * span
    basket = np.exp(0.25 * (eng + fit))
    per_order = np.where(is_customer, 1 + order_lam, 0.0)
    basket = basket / max(float((per_order * basket).sum() / max(per_order.sum(), 1.0)), 1e-9)  # mean 1 per order

    # events: more for engaged people and longer lives; customers get a pre-conversion burst
    life = H - created
    ev_w = np.exp(0.9 * eng) * (life / 365 + np.where(is_customer, 0.6, 0.0))
    event_lam = ev_w * EVENTS_PER_CONTACT * n / ev_w.sum()

    updated = np.where(is_customer, np.minimum(np.nan_to_num(first_order) + rng.uniform(0, 30, n), H),
                       created + rng.random(n) * np.minimum(H - created, 180))

    # contact mess: kinds of the person's own row (and of the extra rows copied from it)
    cm = CONTACTS_MESS
    kind = _kinds(rng, n, cm)
    kind[(kind == _kind(cm, "orphan_account")) & ~b2b] = 0
    kind[(kind == _kind(cm, "duplicate_id")) & (updated - created < 10)] = 0
    kind[(kind == _kind(cm, "email_case_duplicate")) & (H - created < 10)] = 0
    dup = kind == _kind(cm, "email_case_duplicate")
    dup_num = np.zeros(n, np.int64)
    dup_num[dup] = n + 1 + np.arange(int(dup.sum()))
    dup_created = np.where(dup, created + 2 + rng.random(n) * (H - created - 4), np.nan)
    width = max(7, len(str(3 * n + 10)))
    return _People(n=n, lat=lat, b2b=b2b, account=account, country=country, seniority=seniority, age=age, fit=fit,
                   created=created, updated=updated, is_customer=is_customer, first_order=first_order,
                   active_end=active_end, order_lam=order_lam, basket=basket, event_lam=event_lam, kind=kind,
                   dup_num=dup_num, dup_created=dup_created, id_width=width, orphan_base=n + int(dup.sum()) + 1)


def _contact_numbers(rng, P: _People, person, when) -> np.ndarray:
    """Contact number of each activity row: the person's, or their later duplicate record for half of what they did
    after that record was created (so merged contacts carry orders and events)."""
    num = person + 1
    dupn = P.dup_num[person]
    use = (dupn > 0) & (when >= P.dup_created[person]) & (rng.random(len(person)) < 0.5)
    return np.where(use, dupn, num)


def _orphan_contacts(rng, P: _People, k) -> np.ndarray:
    return P.orphan_base + rng.integers(0, P.n + 1, k)


# ---------------------------------------------------------------------------------------------------------------
# crm.accounts and crm.contacts
# ---------------------------------------------------------------------------------------------------------------
def _finish_accounts(ctx: _Ctx, acc: _Accounts, P: _People) -> None:
    """Account dates follow their contacts; pick the accounts' mess kinds and same-domain duplicates."""
    rng = ctx.rng("accounts-mess")
    H = ctx.horizon
    first_contact = np.full(acc.n, H - 30)
    np.minimum.at(first_contact, P.account[P.b2b], P.created[P.b2b])
    acc.created = np.maximum(first_contact - rng.uniform(0, 60, acc.n), 0.0)
    acc.updated = acc.created + rng.random(acc.n) * np.minimum(H - acc.created, 365)
    am = ACCOUNTS_MESS
    kind = _kinds(rng, acc.n, am)
    kind[(kind == _kind(am, "duplicate_id")) & (acc.updated - acc.created < 10)] = 0
    kind[(kind == _kind(am, "same_domain")) & (acc.created > H - 30)] = 0
    acc.kind = kind
    acc.dup_of = np.flatnonzero(kind == _kind(am, "same_domain"))
    acc.dup_n = len(acc.dup_of)
    acc.dup_created = acc.created[acc.dup_of] + 1 + rng.random(acc.dup_n) * (H - 2 - acc.created[acc.dup_of]) * 0.8


def _account_width(acc: _Accounts) -> int:
    return max(6, len(str(3 * acc.n + 10)))


def _accounts_table(ctx: _Ctx, acc: _Accounts) -> tuple[pa.Table, dict, pa.Array]:
    rng = ctx.rng("accounts-rows")
    am, w = ACCOUNTS_MESS, _account_width(acc)
    name, stem = _company(acc.combo)
    domain = _join(stem, _vocab(TLDS, acc.country))
    website = domain
    url = acc.kind == _kind(am, "website_url")
    if url.any():
        website = pc.replace_with_mask(website, pa.array(url), _url_variant(rng, domain.filter(pa.array(url))))
    country = _vocab(COUNTRIES, acc.country)
    cv = acc.kind == _kind(am, "country_variant")
    if cv.any():
        country = pc.replace_with_mask(country, pa.array(cv), _country_variant(rng, acc.country[cv]))
    revenue = np.rint(acc.employees * rng.lognormal(np.log(150_000), 0.5, acc.n) / 1000) * 1000 * 100
    acc.revenue = revenue / 100
    revenue_text = pc.if_else(pa.array(rng.random(acc.n) < 0.12), pa.scalar(None, pa.string()), _money(revenue))
    emp_text = _num(acc.employees)
    base = _table("crm.accounts", {
        "account_id": _ids("ACC", np.arange(1, acc.n + 1), w), "name": name, "website": website,
        "industry": _vocab(INDUSTRIES, acc.industry), "employee_count": emp_text, "annual_revenue": revenue_text,
        "country": country, "created_at": ctx.ts(acc.created), "updated_at": ctx.ts(acc.updated),
        "_loaded_at": ctx.ts(ctx.loaded(rng, acc.updated)),
    })
    parts = [base]
    # older versions: earlier update, smaller headcount
    old = np.flatnonzero(acc.kind == _kind(am, "duplicate_id"))
    old_upd = acc.created[old] + rng.random(len(old)) * 0.5 * (acc.updated[old] - acc.created[old])
    old_emp = np.maximum(1, np.rint(acc.employees[old] * rng.uniform(0.6, 0.95, len(old)))).astype(np.int64)
    old_emp = np.where(old_emp == acc.employees[old], old_emp + 1, old_emp)
    parts.append(_replace(base.take(pa.array(old)), employee_count=_num(old_emp), updated_at=ctx.ts(old_upd),
                          _loaded_at=ctx.ts(old_upd + _lag(rng, len(old)))))
    # same company recorded again later under a new id, its website written differently
    d = acc.dup_of
    dup_upd = np.minimum(acc.dup_created + rng.uniform(0, 20, acc.dup_n), ctx.horizon)
    dup = base.take(pa.array(d))
    parts.append(_replace(
        dup, account_id=_ids("ACC", acc.n + 1 + np.arange(acc.dup_n), w),
        name=_join(dup["name"].combine_chunks(), _vocab(LEGAL_FORMS, acc.country[d])),
        website=_url_variant(rng, domain.take(pa.array(d))), country=_vocab(COUNTRIES, acc.country[d]),
        employee_count=pa.nulls(acc.dup_n, pa.string()), created_at=ctx.ts(acc.dup_created),
        updated_at=ctx.ts(dup_upd), _loaded_at=ctx.ts(ctx.loaded(rng, dup_upd)),
    ))
    mess = _count(acc.kind, am)  # one extra row per duplicate_id / same_domain original
    return pa.concat_tables(parts), mess, domain


def _contacts_table(ctx: _Ctx, P: _People, acc: _Accounts, domain: pa.Array) -> tuple[pa.Table, dict, dict]:
    rng = ctx.rng("contacts-rows")
    n, cm, H = P.n, CONTACTS_MESS, ctx.horizon
    female = rng.random(n) < 0.5
    fi = np.where(female, rng.integers(0, len(FIRST_NAMES_F), n),
                  len(FIRST_NAMES_F) + rng.integers(0, len(FIRST_NAMES_M), n))
    firsts = FIRST_NAMES_F + FIRST_NAMES_M
    li = rng.integers(0, len(LAST_NAMES), n)
    first_name, last_name = _vocab(firsts, fi), _vocab(LAST_NAMES, li)
    local = _join(_vocab([_ascii(f) for f in firsts], fi), ".", _vocab([_ascii(x) for x in LAST_NAMES], li),
                  _num(np.arange(1, n + 1)))  # the person number makes every clean address unique

    # e-mail domain: the account's for most B2B people, free mail for most others
    free = _choice(rng, n, FREE_MAIL_WEIGHTS)
    work = P.b2b & (rng.random(n) < 0.85)
    personal = ~P.b2b & (rng.random(n) < 0.08)
    mail_domain = _vocab(FREE_MAIL, free)
    if work.any():
        mail_domain = pc.replace_with_mask(mail_domain, pa.array(work), domain.take(pa.array(P.account[work])))
    if personal.any():
        pick = rng.integers(0, len(PERSONAL_MAIL), int(personal.sum()))
        mail_domain = pc.replace_with_mask(mail_domain, pa.array(personal), _vocab(PERSONAL_MAIL, pick))
    email = _join(local, "@", mail_domain)
    bad = P.kind == _kind(cm, "invalid_email")
    if bad.any():
        b = pa.array(bad)
        code = pa.array(rng.integers(0, 4, int(bad.sum())).astype(np.int8))
        loc_b, dom_b = local.filter(b), mail_domain.filter(b)
        spaced = _join(_vocab(firsts, fi[bad]), " ", _vocab(LAST_NAMES, li[bad]), "@", dom_b)
        email = pc.replace_with_mask(email, b, pc.choose(
            code, _join(loc_b, "@"), pa.array(["no-email"] * int(bad.sum())), _join(loc_b, "@@", dom_b), spaced))

    # account, country, job title, phone, gender, lifecycle
    w_acc = _account_width(acc)
    acc_num = np.where(P.account >= 0, P.account + 1, 0)
    moved = np.zeros(n, bool)
    if acc.dup_n:  # some later contacts of a re-recorded company point to the newer account id
        dup_of_acc = np.zeros(acc.n, np.int64)
        dup_of_acc[acc.dup_of] = acc.n + 1 + np.arange(acc.dup_n)
        created_dup = np.full(acc.n, np.inf)
        created_dup[acc.dup_of] = acc.dup_created
        safe = np.maximum(P.account, 0)
        moved = P.b2b & (dup_of_acc[safe] > 0) & (P.created >= created_dup[safe]) & (rng.random(n) < 0.3)
        acc_num = np.where(moved, dup_of_acc[safe], acc_num)
    orphan = P.kind == _kind(cm, "orphan_account")
    acc_num = np.where(orphan, acc.n + acc.dup_n + 1 + rng.integers(0, acc.n + 1, n), acc_num)
    account_id = pc.if_else(pa.array(acc_num > 0), _ids("ACC", acc_num, w_acc), pa.scalar(None, pa.string()))
    country = _vocab(COUNTRIES, P.country)
    cv = P.kind == _kind(cm, "country_variant")
    if cv.any():
        country = pc.replace_with_mask(country, pa.array(cv), _country_variant(rng, P.country[cv]))
    sizes = np.array([len(CITIES[c]) for c in COUNTRIES])
    offsets = np.cumsum(sizes) - sizes
    city = _vocab([x for c in COUNTRIES for x in CITIES[c]],
                  offsets[P.country] + (rng.random(n) * sizes[P.country]).astype(np.int64))
    titles = [t for level in JOB_TITLES for t in level]
    tsizes = np.array([len(level) for level in JOB_TITLES])
    toffsets = np.cumsum(tsizes) - tsizes
    ti = toffsets[P.seniority] + (rng.random(n) * tsizes[P.seniority]).astype(np.int64)
    b2c_ti = len(titles) + rng.integers(0, len(B2C_JOB_TITLES), n)
    ti = np.where(P.b2b, ti, b2c_ti)
    no_title = np.where(P.b2b, rng.random(n) < 0.05, rng.random(n) < 0.75)
    all_titles = titles + list(B2C_JOB_TITLES) + [None]
    job_title = _vocab(all_titles, np.where(no_title, len(all_titles) - 1, ti))
    gender_code = np.where(female, rng.integers(0, 4, n), 4 + rng.integers(0, 4, n))
    gender_code[rng.random(n) < 0.1] = 8
    gender = _vocab(GENDER_F + GENDER_M + (None,), gender_code)
    birth = (np.datetime64(ctx.end_date) - np.rint(np.nan_to_num(P.age) * 365.25).astype("timedelta64[D]"))
    birth_date = pa.array(birth.astype("datetime64[D]"), type=pa.date32(), mask=np.isnan(P.age))
    stage_before, stage = _lifecycle(rng, P)
    lead_source = _vocab(LEAD_SOURCES, _choice(rng, n, LEAD_SOURCE_WEIGHTS))
    phone = _phones(rng, P.country)
    ids = _ids("C", np.arange(1, n + 1), P.id_width)
    base = _table("crm.contacts", {
        "contact_id": ids, "account_id": account_id, "email": email, "first_name": first_name, "last_name": last_name,
        "job_title": job_title, "phone": phone, "country": country, "city": city, "birth_date": birth_date,
        "gender": gender, "lifecycle_stage": _vocab(contract.LIFECYCLE_STAGES, stage), "lead_source": lead_source,
        "created_at": ctx.ts(P.created), "updated_at": ctx.ts(P.updated),
        "_loaded_at": ctx.ts(ctx.loaded(rng, P.updated)),
    })
    parts = [base]
    old = np.flatnonzero(P.kind == _kind(cm, "duplicate_id"))
    old_upd = P.created[old] + rng.random(len(old)) * 0.5 * (P.updated[old] - P.created[old])
    lead, sub = contract.LIFECYCLE_STAGES.index("lead"), contract.LIFECYCLE_STAGES.index("subscriber")
    parts.append(_replace(base.take(pa.array(old)),
                          lifecycle_stage=_vocab(contract.LIFECYCLE_STAGES, np.where(stage[old] == lead, sub, lead)),
                          updated_at=ctx.ts(old_upd), _loaded_at=ctx.ts(old_upd + _lag(rng, len(old)))))
    dup = np.flatnonzero(P.dup_num > 0)
    dup_email = email.take(pa.array(dup))
    case = pa.array(rng.integers(0, 2, len(dup)).astype(np.int8))
    cased = pc.choose(case, pc.utf8_title(dup_email), pc.utf8_upper(dup_email))
    pad = pa.array(rng.integers(0, 4, len(dup)).astype(np.int8))
    cased = pc.choose(pad, cased, _join(" ", cased), _join(cased, " "), _join(" ", cased, " "))
    dup_upd = np.minimum(P.dup_created[dup] + rng.uniform(0, 30, len(dup)), H)
    dup_rows = base.take(pa.array(dup))
    parts.append(_replace(dup_rows, contact_id=_ids("C", P.dup_num[dup], P.id_width), email=cased,
                          country=_vocab(COUNTRIES, P.country[dup]),
                          lead_source=_vocab(LEAD_SOURCES, _choice(rng, len(dup), LEAD_SOURCE_WEIGHTS)),
                          created_at=ctx.ts(P.dup_created[dup]), updated_at=ctx.ts(dup_upd),
                          _loaded_at=ctx.ts(ctx.loaded(rng, dup_upd))))
    # History: a customer's CRM record existed before their first order, as a lead, and the export keeps that
    # earlier version (superseded by the later one). A build as of a date before the first order sees the lead.
    hrng = ctx.rng("contacts-history")
    conv = np.flatnonzero(P.is_customer & (P.kind == 0))  # clean records only: each defect stays on one row
    prior_upd = P.created[conv] + hrng.random(len(conv)) * 0.9 * (P.first_order[conv] - P.created[conv])
    parts.append(_replace(base.take(pa.array(conv)),
                          lifecycle_stage=_vocab(contract.LIFECYCLE_STAGES, stage_before[conv]),
                          updated_at=ctx.ts(prior_upd), _loaded_at=ctx.ts(ctx.loaded(hrng, prior_upd))))
    tbl = pa.concat_tables(parts)
    mess = _count(P.kind, cm)
    normalised = pc.utf8_lower(pc.utf8_trim_whitespace(tbl["email"]))
    dom = pc.split_pattern(normalised, "@")
    valid = pc.match_substring_regex(normalised, r"^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$")
    at_free = pc.is_in(pc.list_element(pc.if_else(pc.equal(pc.list_value_length(dom), 2), dom, pa.scalar(["", ""],
                                                                                                       dom.type)), 1),
                       value_set=pa.array(FREE_MAIL + PERSONAL_MAIL))
    info = {"free_mail_rows": int(pc.sum(pc.and_(pc.fill_null(valid, False), at_free)).as_py() or 0),
            "b2b_contacts": int(P.b2b.sum()), "moved_to_same_domain_account": int(moved.sum()),
            "contact_prior_versions": len(conv)}
    return tbl, mess, info


def _lifecycle(rng, P: _People) -> tuple[np.ndarray, np.ndarray]:
    st = {s: i for i, s in enumerate(contract.LIFECYCLE_STAGES)}
    eng = P.lat["engagement"]
    stage = np.full(P.n, st["lead"])
    stage[eng < -1.0] = st["subscriber"]
    stage[eng > 0.3] = st["mql"]
    stage[P.b2b & (eng > 0.8)] = st["sql"]
    stage[P.b2b & (eng > 1.3) & (P.fit > 0)] = st["opportunity"]
    stage[rng.random(P.n) < 0.01] = st["other"]
    before = stage.copy()  # a customer's stage before the first order
    stage[P.is_customer] = st["customer"]
    return before, stage


def _phones(rng, country) -> pa.Array:
    n = len(country)
    d = pc.utf8_lpad(_num(rng.integers(100_000_000, 999_999_999, n)), width=9, padding="0")

    def s(a, b):
        return pc.utf8_slice_codeunits(d, a, b)

    cc = _vocab(PHONE_PREFIX, country)
    code = rng.integers(0, 5, n).astype(np.int8)
    phone = pc.choose(pa.array(code),
                      _join(cc, " ", s(0, 1), " ", s(1, 3), " ", s(3, 5), " ", s(5, 7), " ", s(7, 9)),
                      _join("0", d), _join(cc, d), _join("(0", s(0, 2), ") ", s(2, 5), "-", s(5, 9)),
                      _join(cc, "-", s(0, 3), "-", s(3, 6), "-", s(6, 9)))
    return pc.if_else(pa.array(rng.random(n) < 0.08), pa.scalar(None, pa.string()), phone)


# ---------------------------------------------------------------------------------------------------------------
# shop.products, shop.orders, shop.order_items
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class _Products:
    price_cents: np.ndarray  # [product, currency] unit price in whole multiples of 20 cents
    weights_b2b: np.ndarray  # popularity among businesses (0: not sold to them)
    weights_b2c: np.ndarray
    category: np.ndarray  # index into PRODUCT_CATEGORIES
    segment: np.ndarray  # 0 b2b, 1 b2c, 2 both
    targets: np.ndarray  # [product, industry] the product targets that industry
    targeted: np.ndarray  # the product has target industries
    min_budget: np.ndarray  # EUR, 0 = none
    repurchase_days: np.ndarray  # NaN = not a consumable
    complements: np.ndarray  # [product, 3] the products its buyers buy with it or later, -1 = none


def _products(ctx: _Ctx) -> tuple[pa.Table, _Products]:
    rng = ctx.rng("products")
    k = N_PRODUCTS
    segment = np.where(np.arange(k) < k // 2, 0, np.where(np.arange(k) < k * 5 // 6, 1, 2))  # b2b, b2c, both
    eur = np.rint(rng.lognormal(np.log(60), 1.0, k) * 5) * 20  # cents, multiple of 20
    eur = np.maximum(eur, 200).astype(np.int64)
    price = np.stack([np.maximum(np.rint(eur / EUR_PER_UNIT[c] / 20) * 20, 20) for c in CURRENCIES], axis=1)
    pop = 1.0 / (1 + np.arange(k)) ** 0.8
    pop = pop[rng.permutation(k)]
    w_b2b, w_b2c = pop * (segment != 1), pop * (segment != 0)
    cat = rng.integers(0, len(PRODUCT_CATEGORIES), k)
    adjectives = ("Essential", "Pro", "Premium", "Starter", "Advanced", "Classic", "Plus", "Max", "Lite", "Expert")
    names = [f"{PRODUCT_CATEGORIES[c]} {adjectives[i % len(adjectives)]} {i // len(adjectives) + 1}"
             for i, c in enumerate(cat)]
    target = rng.integers(0, len(INDUSTRIES), (k, 2))
    targeted = (segment != 1) & ~(rng.random(k) < 0.3)
    target_text = [None if not targeted[i] else INDUSTRIES[a] if a == b else f"{INDUSTRIES[a]};{INDUSTRIES[b]}"
                   for i, (a, b) in enumerate(target)]
    targets = np.zeros((k, len(INDUSTRIES)), bool)
    targets[np.arange(k), target[:, 0]] = targeted
    targets[np.arange(k), target[:, 1]] |= targeted
    seg_text = [("b2b", "b2c", "b2b;b2c")[s] for s in segment]
    budget_u = rng.uniform(5, 50, k)
    updated = rng.uniform(0, ctx.horizon - 30, k)
    loaded = ctx.loaded(rng, updated)

    # offers: minimum budgets a company's size decides, consumables and renewals, complements
    orng = ctx.rng("products-offers")
    has_budget = (segment != 1) & (orng.random(k) < MIN_BUDGET_SHARE)
    budget = np.where(has_budget, np.rint(eur * budget_u * 20 / 100_000) * 100_000, 0)  # cents, whole 1,000 EUR
    services, supplies = PRODUCT_CATEGORIES.index("Services"), PRODUCT_CATEGORIES.index("Supplies")
    renewal = (cat == services) & (orng.random(k) < RENEWAL_SHARE)
    days = np.where(cat == supplies, np.asarray(CONSUMABLE_DAYS)[orng.integers(0, len(CONSUMABLE_DAYS), k)],
                    np.where(renewal, np.asarray(RENEWAL_DAYS)[orng.integers(0, len(RENEWAL_DAYS), k)], 0))
    # complements: sold to a segment the product is sold to, likelier popular and of the same category (Gumbel top-k)
    shared = (segment[:, None] == segment[None, :]) | (segment[:, None] == 2) | (segment[None, :] == 2)
    w = np.sqrt(pop)[None, :] * np.where(cat[:, None] == cat[None, :], COMPLEMENT_SAME_CATEGORY, 1.0) * shared
    np.fill_diagonal(w, 0.0)
    with np.errstate(divide="ignore"):
        keys = np.log(w) - np.log(-np.log(orng.random((k, k))))
    comp = np.argsort(-keys, axis=1, kind="stable")[:, :max(COMPLEMENTS)]
    n_comp = np.asarray(COMPLEMENTS)[orng.integers(0, len(COMPLEMENTS), k)]
    comp = np.where((np.arange(comp.shape[1])[None, :] < n_comp[:, None]) & (np.take_along_axis(w, comp, 1) > 0),
                    comp, -1)

    tbl = _table("shop.products", {
        "product_id": _ids("P", np.arange(1, k + 1), 4), "name": pa.array(names),
        "category": _vocab(PRODUCT_CATEGORIES, cat), "list_price": _money(eur), "currency": pa.array(["EUR"] * k),
        "target_industries": pa.array(target_text, pa.string()),
        "target_segments": pa.array(seg_text),
        "min_budget": pc.if_else(pa.array(budget > 0), _money(budget), pa.scalar(None, pa.string())),
        "repurchase_days": pa.array(days.astype(np.int32), mask=days == 0),
        "updated_at": ctx.ts(updated), "_loaded_at": ctx.ts(loaded),
    })
    return tbl, _Products(price.astype(np.int64), w_b2b, w_b2c, category=cat, segment=segment, targets=targets,
                          targeted=targeted, min_budget=budget / 100,
                          repurchase_days=np.where(days > 0, days, np.nan).astype(np.float64), complements=comp)


def _preferences(ctx: _Ctx, P: _People, acc: _Accounts, prod: _Products, lo: int, hi: int) -> tuple:
    """Each person's weight of each product (people lo..hi-1 x products, float32) and preferred categories.

    The popularity of the product in the person's segment (to the power POPULARITY_POWER), times PREFERRED_BOOST for
    the person's preferred categories (drawn by the categories' popularity in the segment), and for businesses
    INDUSTRY_MATCH when the product targets the account's industry, INDUSTRY_MISS when it targets others only,
    OVER_BUDGET when its minimum budget is above BUDGET_OF_REVENUE of the account's revenue."""
    rng = ctx.rng("baskets-people", lo // CHUNK_PEOPLE)
    n, k, nc = hi - lo, len(prod.category), len(PRODUCT_CATEGORIES)
    b2b = P.b2b[lo:hi]
    onehot = prod.category[:, None] == np.arange(nc)[None, :]
    # [segment b2c/b2b, category]
    mass = np.stack([prod.weights_b2c ** POPULARITY_POWER @ onehot, prod.weights_b2b ** POPULARITY_POWER @ onehot])
    cum = np.cumsum(mass / mass.sum(1, keepdims=True), axis=1)
    seg = b2b.astype(np.int64)
    u = rng.random((n, 3))
    first = (cum[seg] < u[:, :1]).sum(1).clip(0, nc - 1)
    # a second category: the same draw with the first left out
    left = np.where(np.arange(nc)[None, :] == first[:, None], 0.0, mass[seg])
    second = (np.cumsum(left, 1) < u[:, 1:2] * left.sum(1, keepdims=True)).sum(1).clip(0, nc - 1)
    second = np.where(u[:, 2] < SECOND_CATEGORY, second, -1)
    w = np.where(b2b[:, None], prod.weights_b2b[None, :], prod.weights_b2c[None, :]) ** POPULARITY_POWER
    w = w.astype(np.float32)
    w *= np.where(prod.category[None, :] == first[:, None], np.float32(PREFERRED_BOOST[0]),
                  np.where(prod.category[None, :] == second[:, None], np.float32(PREFERRED_BOOST[1]),
                           np.float32(1)))
    biz = np.flatnonzero(b2b)
    if len(biz):
        account = P.account[lo + biz]
        match = prod.targets[:, acc.industry[account]].T
        factor = np.where(prod.targeted[None, :], np.where(match, INDUSTRY_MATCH, INDUSTRY_MISS), 1.0)
        over = prod.min_budget[None, :] > BUDGET_OF_REVENUE * acc.revenue[account][:, None]
        w[biz] *= (factor * np.where(over, OVER_BUDGET, 1.0)).astype(np.float32)
    return w, first


class _RowSampler:
    """Draws a column of given rows of weights w (rows x columns): the rows' cumulative shares are computed once."""

    def __init__(self, w: np.ndarray):
        cw = np.cumsum(w, axis=1, dtype=np.float64)
        total = cw[:, -1:]
        self.cum = (cw / np.where(total > 0, total, 1.0)).astype(np.float32)
        self.k = w.shape[1]

    def draw(self, rows, u) -> np.ndarray:
        return (self.cum[rows] <= np.asarray(u, dtype=np.float32)[:, None]).sum(1).clip(0, self.k - 1)


def _basket_products(ctx: _Ctx, P: _People, acc: _Accounts, prod: _Products, lo: int, hi: int, cust, n_o, t,
                     n_i):
    """The product of each order line, one line after the other in each buyer's history (vectorised over buyers).

    A line rebuys a consumable that is due (REBUY_DUE of its repurchase gap passed since the buyer last bought it)
    with chance REBUY_SHARE; else, after the buyer's first line, it is a complement of a product they bought before
    (COMPLEMENT_SHARE, one they do not have yet); else the next product they do not have in their list (drawn once
    by their weights, `_preferences`, without replacement), or with chance PLAIN_DRAW and once the list is done a
    draw by their weights (maybe a product they have). Returns (product per line, the line is the buyer's first of
    that product, the buyers' weights, preferred categories, what each buyer has at the end)."""
    rng = ctx.rng("baskets", lo // CHUNK_PEOPLE)
    weights, first_cat = _preferences(ctx, P, acc, prod, lo, hi)
    c, li, k = len(cust), int(n_i.sum()), len(prod.category)
    order_owner = np.repeat(np.arange(c), n_o)
    when = np.repeat(t, n_i)
    # each buyer's lines in time order: the orders sorted by (buyer, time), then their lines in line order
    perm = np.argsort(order_owner + t / (ctx.horizon + 1), kind="stable")
    first_line = np.cumsum(n_i) - n_i
    ni_sorted = n_i[perm]
    order_sorted = np.repeat(first_line[perm] - (np.cumsum(ni_sorted) - ni_sorted), ni_sorted) + np.arange(li)
    n_lines = np.bincount(order_owner, weights=n_i, minlength=c).astype(np.int64)
    start = np.cumsum(n_lines) - n_lines
    by_count = np.argsort(-n_lines, kind="stable")
    n_active = c - np.cumsum(np.bincount(n_lines))  # buyers with more than r lines, by r
    w_cust = weights[cust - lo]
    sampler = _RowSampler(w_cust)
    # each buyer's list of products in the order they would buy them: successive draws by their weights without
    # replacement (Gumbel keys; products of no weight are left out)
    with np.errstate(divide="ignore"):
        keys = np.log(w_cust) - np.log(-np.log(rng.random(w_cust.shape)))
    wish = np.argsort(-keys, axis=1, kind="stable")
    n_wish = (w_cust > 0).sum(1)
    ptr = np.zeros(c, np.int64)
    cons = np.flatnonzero(~np.isnan(prod.repurchase_days))
    cons_of = np.full(k, -1)
    cons_of[cons] = np.arange(len(cons))
    gap_days = prod.repurchase_days[cons]
    last = np.full((c, len(cons)), np.nan)  # when each buyer last bought each consumable
    next_due = np.full(c, np.inf)  # when the first of their consumables is due again
    owned = np.zeros((c, k), bool)
    u = rng.random((li, 6), dtype=np.float32)  # by time order: rebuy, anchor, anchor rank, complement, draw, complement
    prod_sorted = np.zeros(li, np.int64)
    new_sorted = np.zeros(li, bool)
    comps = prod.complements
    n_comp = comps.shape[1]
    for r in range(int(n_lines.max()) if c else 0):
        who = by_count[:n_active[r]]
        idx = start[who] + r
        now = when[order_sorted[idx]]
        uu = u[idx]
        product = np.full(len(who), -1)
        d = np.flatnonzero((now >= next_due[who]) & (uu[:, 0] < REBUY_SHARE))
        if len(d):  # the consumable most overdue, in shares of its gap
            since = (now[d, None] - last[who[d]]) / gap_days[None, :]  # NaN (never bought) is not due
            product[d] = cons[np.argmax(np.where(since >= REBUY_DUE, since, -1.0), axis=1)]
        if r > 0:
            comp_mode = (product < 0) & (uu[:, 5] < COMPLEMENT_SHARE)
            m = np.flatnonzero(comp_mode)
            if len(m):
                rank = np.where(uu[m, 1] < RECENT_ANCHOR, r - 1, (uu[m, 2] * r).astype(np.int64))
                cand = comps[prod_sorted[start[who[m]] + rank]]
                valid = (cand >= 0) & ~owned[who[m][:, None], np.maximum(cand, 0)]
                nv = valid.sum(1)
                pick = (uu[m, 3] * nv).astype(np.int64)  # the pick-th complement they do not have
                col, seen = np.zeros(len(m), np.int64), np.zeros(len(m), np.int64)
                for j in range(n_comp - 1):
                    seen += valid[:, j]
                    col += seen <= pick
                ok = nv > 0
                product[m[ok]] = cand[ok, col[ok]]
        m = np.flatnonzero(product < 0)
        if len(m):  # the next product of the buyer's list they do not have; a plain draw when none is left
            b = who[m]
            plain = uu[m, 1] < PLAIN_DRAW
            listed = np.flatnonzero(~plain)
            lb = b[listed]
            while True:
                nxt = wish[lb, np.minimum(ptr[lb], k - 1)]
                skip = (ptr[lb] < n_wish[lb]) & owned[lb, nxt]
                if not skip.any():
                    break
                ptr[lb[skip]] += 1
            left = ptr[lb] < n_wish[lb]
            product[m[listed[left]]] = nxt[left]
            ptr[lb[left]] += 1
            plain[listed[~left]] = True
            product[m[plain]] = sampler.draw(b[plain], uu[m[plain], 4])
        new_sorted[idx] = ~owned[who, product]
        owned[who, product] = True
        ci = cons_of[product]
        isc = np.flatnonzero(ci >= 0)
        if len(isc):
            b = who[isc]
            last[b, ci[isc]] = now[isc]
            next_due[b] = np.nanmin(last[b] + REBUY_DUE * gap_days[None, :], axis=1)
        prod_sorted[idx] = product
    product_line = np.empty(li, np.int64)
    product_line[order_sorted] = prod_sorted
    new_line = np.empty(li, bool)
    new_line[order_sorted] = new_sorted
    return product_line, new_line, weights, first_cat, owned


def _product_views(ctx: _Ctx, P: _People, prod: _Products, lo: int, hi: int, cust, line_person, line_t, product,
                   new, weights, first_cat, owned) -> tuple:
    """Page views of products (and categories) by people lo..hi-1: (person, item, time, is category page).

    Before a purchase (1 to VIEW_DAYS days, never before the person was created): a view of the product page with
    chance VIEW_NEW for a product new to the buyer (a second one with chance VIEW_AGAIN), VIEW_REBUY for a rebuy; a
    view of the category page with chance CATEGORY_VIEW before a new product. Browsing that leads nowhere:
    BROWSE_PER_LINE views per order line of products of the buyer's first preferred category they never buy, over
    their active life; LEAD_VIEWS per non-customer (more for the engaged) by their product weights (segment,
    industry, preferred categories), over their life."""
    rng = ctx.rng("product-views", lo // CHUNK_PEOPLE)
    H, li = ctx.horizon, len(product)
    created = P.created[line_person]
    u = rng.random((li, 6), dtype=np.float32)
    p_view = np.where(new, VIEW_NEW, VIEW_REBUY)
    span = np.maximum(np.minimum(VIEW_DAYS, line_t - created) - 1, 0)

    def before(mask, col, item, is_category):
        i = np.flatnonzero(mask)
        when = line_t[i] - np.minimum(1 + u[i, col] * span[i], line_t[i] - created[i])
        return line_person[i], item[i], when, np.full(len(i), is_category)

    parts = [before(u[:, 0] < p_view, 3, product, False),
             before((u[:, 0] < p_view) & new & (u[:, 1] < VIEW_AGAIN), 4, product, False),
             before(new & (u[:, 2] < CATEGORY_VIEW), 5, prod.category[product], True)]
    # customers browsing their preferred category without buying
    n_lines = np.bincount(np.searchsorted(cust, line_person), minlength=len(cust))
    n_b = rng.poisson(BROWSE_PER_LINE * n_lines)
    who = np.repeat(np.arange(len(cust)), n_b)
    if len(who):
        person = cust[who]
        w = weights[cust - lo] * (prod.category[None, :] == first_cat[cust - lo][:, None]) * ~owned
        w = np.where(w.sum(1, keepdims=True) > 0, w, weights[cust - lo])
        item = _RowSampler(w).draw(who, rng.random(len(who)))
        end = np.minimum(np.nan_to_num(P.active_end[person]) + 120, H)
        tb = P.created[person] + rng.random(len(who)) * (end - P.created[person])
        parts.append((person, item, tb, np.zeros(len(who), bool)))
    # people who never buy browse too
    leads = np.flatnonzero(~P.is_customer[lo:hi]) + lo
    n_l = rng.poisson(LEAD_VIEWS * np.exp(0.4 * P.lat["engagement"][leads]))
    person = np.repeat(leads, n_l)
    if len(person):
        item = _RowSampler(weights).draw(person - lo, rng.random(len(person)))
        tl = P.created[person] + rng.random(len(person)) * (H - P.created[person])
        parts.append((person, item, tl, np.zeros(len(person), bool)))
    person, item, tv, is_cat = (np.concatenate(x) for x in zip(*parts))
    tv = np.minimum(tv, H)
    return person.astype(np.int64), item.astype(np.int64), tv, is_cat


def _order_id_width(n) -> int:
    return max(9, len(str(ORDERS_PER_CONTACT * 4 * n + 1000)) + 1)


def _orders_chunk(ctx: _Ctx, P: _People, acc: _Accounts, prod: _Products, lo: int, hi: int, offset: int,
                  orphan_offset: int):
    """Orders and their lines of people lo..hi-1. Returns (orders table, items table, mess counts, items mess, number
    of orders, refunds, product page views of these people for `_events_chunk`)."""
    rng = ctx.rng("orders", lo // CHUNK_PEOPLE)
    H, om = ctx.horizon, ORDERS_MESS
    cust = np.flatnonzero(P.is_customer[lo:hi]) + lo
    n_o = 1 + rng.poisson(P.order_lam[cust])
    person = np.repeat(cust, n_o)
    m = len(person)
    is_first = np.zeros(m, bool)
    is_first[np.cumsum(n_o) - n_o] = True
    t = P.first_order[person] + rng.random(m) * (P.active_end[person] - P.first_order[person])
    t[is_first] = P.first_order[person[is_first]]
    t = np.minimum(t, H)

    st = {s: i for i, s in enumerate(contract.ORDER_STATUSES)}
    status = _choice(rng, m, (0.89, 0.06, 0.05, 0.0))
    recent = t > H - 14
    status[recent & (rng.random(m) < 0.3)] = st["pending"]
    status[is_first] = st["completed"]
    delay = np.select([status == st["refunded"], status == st["pending"]],
                      [rng.uniform(5, 40, m), rng.uniform(0, 0.5, m)], rng.uniform(0, 3, m))
    updated = np.minimum(t + delay, H)
    loaded = ctx.loaded(rng, updated)
    currency = np.array([CURRENCIES.index(c) for c in CURRENCY_OF_COUNTRY])[P.country[person]]
    channel = np.where(P.b2b[person], _choice(rng, m, (0.5, 0.05, 0.35, 0.10)),
                       _choice(rng, m, (0.6, 0.25, 0.05, 0.10)))
    contact_num = _contact_numbers(rng, P, person, t)

    # lines: more and bigger for engaged, well-fitting customers
    n_i = 1 + rng.poisson(0.5 * P.basket[person])
    line_order = np.repeat(np.arange(m), n_i)
    li = len(line_order)
    line_number = np.arange(li) - np.repeat(np.cumsum(n_i) - n_i, n_i) + 1
    b2b_line = P.b2b[person[line_order]]
    # the popularity-only draw of old, kept so that the draws after it (quantities, discounts...) keep their values
    np.where(b2b_line, _choice(rng, li, prod.weights_b2b), _choice(rng, li, prod.weights_b2c))
    product, new_line, weights, first_cat, owned = _basket_products(ctx, P, acc, prod, lo, hi, cust, n_o, t, n_i)
    views = _product_views(ctx, P, prod, lo, hi, cust, person[line_order], t[line_order], product, new_line, weights,
                           first_cat, owned)
    del weights, owned
    qty = 1 + rng.poisson(np.where(b2b_line, 1.5, 0.3) * P.basket[person[line_order]])
    price = prod.price_cents[product, currency[line_order]]
    d20 = np.asarray(DISCOUNTS_20THS)[_choice(rng, li, DISCOUNT_WEIGHTS)]
    line_cents = qty * price * (20 - d20) // 20  # exact: price is a multiple of 20 cents
    total = np.bincount(line_order, weights=line_cents, minlength=m).astype(np.int64)

    # mess (never on a customer's first order, which stays a clean completed purchase)
    kind = _kinds(rng, m, om, eligible=~is_first)
    dupk = _kind(om, "duplicate_id")
    kind[(kind == dupk) & ((t > H - 45) | (status != st["completed"]))] = 0
    dup = kind == dupk
    old_upd = t + rng.uniform(0, 2, m)
    old_loaded = old_upd + _lag(rng, m)
    status[dup] = st["refunded"]
    updated = np.where(dup, old_loaded + rng.uniform(1, 30, m), updated)
    loaded = np.where(dup, updated + _lag(rng, m), loaded)

    ordered = t.copy()
    ordered[kind == _kind(om, "null_date")] = np.nan
    fut = kind == _kind(om, "future_date")
    ordered[fut] = H + rng.uniform(1, 400, m)[fut]
    orphan = kind == _kind(om, "orphan_contact")
    contact_num[orphan] = _orphan_contacts(rng, P, int(orphan.sum()))

    status_text = _vocab(contract.ORDER_STATUSES, status)
    bad_status = kind == _kind(om, "unknown_status")
    status_text = _patch(status_text, bad_status, lambda k: _vocab(UNKNOWN_STATUSES, rng.integers(0, 3, k)))
    odd = kind == _kind(om, "status_case")
    status_text = _patch(status_text, odd, lambda k: _odd_case(rng, status_text.filter(pa.array(odd))))
    cur_text = _vocab(CURRENCIES, currency)
    cur_text = _patch(cur_text, kind == _kind(om, "unknown_currency"),
                      lambda k: _vocab(UNKNOWN_CURRENCIES, rng.integers(0, 3, k)))
    amount = _money(np.where(kind == _kind(om, "negative_amount"), -np.maximum(total, 1), total))
    amount = _patch(amount, kind == _kind(om, "non_numeric_amount"),
                    lambda k: _vocab(NON_NUMERIC_AMOUNTS, rng.integers(0, len(NON_NUMERIC_AMOUNTS), k)))

    width = _order_id_width(P.n)
    number = offset + 1 + np.arange(m)
    order_id = _ids("O", number, width)
    no_text = pa.nulls(m, pa.string())

    # partial refunds, both ways (their own random stream: the orders above do not move)
    rr = ctx.rng("order-refunds", lo // CHUNK_PEOPLE)
    clean = (kind == 0) & ~is_first
    u = rr.random(m)
    rates = ORDER_REFUNDS
    partial = clean & (status == st["completed"]) & (u < rates["partial_refunded_amount"])
    full = clean & (status == st["refunded"]) & (u < rates["full_refunded_amount"])
    credit_at = t + rr.uniform(1, 30, m)
    credited = (clean & (status == st["completed"]) & ~partial & (u >= rates["partial_refunded_amount"])
                & (u < rates["partial_refunded_amount"] + rates["credit_note"]) & (credit_at < H))
    part = np.maximum(np.rint(total * rr.uniform(0.1, 0.6, m)), 1).astype(np.int64)  # cents, below the total
    refunded_amount = pc.if_else(pa.array(partial | full), _money(np.where(full, total, part)), no_text)
    orders = _table("shop.orders", {
        "order_id": order_id, "contact_id": _ids("C", contact_num, P.id_width), "ordered_at": ctx.ts(ordered),
        "status": status_text, "currency": cur_text, "total_amount": amount,
        "channel": _vocab(ORDER_CHANNELS, channel), "refunded_amount": refunded_amount, "credited_order_id": no_text,
        "updated_at": ctx.ts(updated), "_loaded_at": ctx.ts(loaded),
    })
    idx = np.flatnonzero(dup)
    older = _replace(orders.take(pa.array(idx)), status=pa.array(["completed"] * len(idx), pa.string()),
                     updated_at=ctx.ts(old_upd[idx]), _loaded_at=ctx.ts(old_loaded[idx]))

    # credit notes: one row per credited order (id 'CN' + the order's number), part of its total, mostly negative;
    # and credit notes for orders that exist nowhere (id 'CX' + a clean order's number, an order id in no row)
    cn = np.flatnonzero(credited)
    n_unknown = int(rr.binomial(m, UNKNOWN_CREDITED_ORDER_RATE))
    pool = np.flatnonzero(clean & ~credited & (credit_at < H))
    ux = np.sort(rr.choice(pool, size=min(n_unknown, len(pool)), replace=False))
    rows = np.concatenate([cn, ux])
    n_cn = len(rows)
    sign = np.where(rr.random(n_cn) < 0.7, -1, 1)
    note_upd = credit_at[rows]
    notes = _table("shop.orders", {
        "order_id": pa.concat_arrays([_ids("CN", number[cn], width), _ids("CX", number[ux], width)]),
        "contact_id": _ids("C", contact_num[rows], P.id_width), "ordered_at": ctx.ts(note_upd),
        "status": pa.array(["refunded"] * n_cn, pa.string()), "currency": cur_text.take(pa.array(rows)),
        "total_amount": _money(sign * part[rows]), "channel": _vocab(ORDER_CHANNELS, channel[rows]),
        "refunded_amount": pa.nulls(n_cn, pa.string()),
        "credited_order_id": pa.concat_arrays([order_id.take(pa.array(cn)),
                                               _ids("O", 6 * 10 ** (width - 1) + number[ux], width)]),
        "updated_at": ctx.ts(note_upd), "_loaded_at": ctx.ts(ctx.loaded(rr, note_upd)),
    })
    orders = pa.concat_tables([orders, older, notes])
    refunds = {"partial_refunded_amount": int(partial.sum()), "full_refunded_amount": int(full.sum()),
               "credit_note": len(cn)}

    # lines of orders that do not exist
    n_orph = int(rng.binomial(li, ORDER_ITEMS_MESS["orphan_order"]))
    src = rng.integers(0, li, n_orph)
    items = _table("shop.order_items", {
        "order_id": pa.concat_arrays([order_id.take(pa.array(line_order)),
                                      _ids("O", 10 ** (width - 1) * 5 + orphan_offset + np.arange(n_orph), width)]),
        "line_number": np.concatenate([line_number, np.ones(n_orph, np.int64)]).astype(np.int32),
        "product_id": _ids("P", np.concatenate([product, product[src]]) + 1, 4),
        "quantity": np.concatenate([qty, qty[src]]).astype(np.int32),
        "unit_price": _money(np.concatenate([price, price[src]])),
        "discount": np.concatenate([d20, d20[src]]) / 20.0,
        "_loaded_at": ctx.ts(np.concatenate([loaded[line_order], np.minimum(loaded[line_order][src] + 1, H)])),
    })
    return (orders, items, {**_count(kind, om), "unknown_credited_order": len(ux)}, {"orphan_order": n_orph}, m,
            refunds, views)


def _patch(arr: pa.Array, mask, make) -> pa.Array:
    """arr with the rows under mask replaced by make(number of rows)."""
    mask = np.asarray(mask)
    k = int(mask.sum())
    return pc.replace_with_mask(arr, pa.array(mask), make(k)) if k else arr


def _odd_case(rng, status: pa.Array) -> pa.Array:
    """Always another case (staging compares after trimming), sometimes with spaces around."""
    code = pa.array(rng.integers(0, 4, len(status)).astype(np.int8))
    return pc.choose(code, _join(" ", pc.utf8_capitalize(status)), pc.utf8_upper(status),
                     _join(pc.utf8_capitalize(status), " "), _join(" ", pc.utf8_upper(status), " "))


# ---------------------------------------------------------------------------------------------------------------
# marketing.events
# ---------------------------------------------------------------------------------------------------------------
def _events_chunk(ctx: _Ctx, P: _People, prod: _Products, lo: int, hi: int, offset: int, views: tuple,
                  view_offset: int):
    """Events of people lo..hi-1, then their product page views (`_product_views`: clean rows, ids from
    5 x 10^(width - 1) on). Returns (table, mess counts, events drawn here, product views)."""
    rng = ctx.rng("events", lo // CHUNK_PEOPLE)
    H, em = ctx.horizon, EVENTS_MESS
    people = np.arange(lo, hi)
    n_e = rng.poisson(P.event_lam[lo:hi])
    person = np.repeat(people, n_e)
    m = len(person)
    created = P.created[person]
    cust = P.is_customer[person]
    first = P.first_order[person]
    pre = cust & (rng.random(m) < 0.35)
    window_end = np.where(cust, np.minimum(np.nan_to_num(P.active_end[person]) + 120, H), H)
    t = created + rng.random(m) * (window_end - created)
    pre_t = first - rng.random(m) * np.minimum(60, first - created)
    t = np.where(pre, pre_t, t)
    t = np.minimum(t, H)

    eng = P.lat["engagement"][person]
    high = rng.random(m) < _sigmoid(-2.3 + 0.8 * eng + 1.2 * pre)
    types = list(contract.EVENT_TYPES)
    hi_codes = np.array([types.index(x) for x in HIGH_INTENT])[_choice(rng, m, HIGH_INTENT_WEIGHTS)]
    lo_codes = np.array([types.index(x) for x in LOW_INTENT])[_choice(rng, m, LOW_INTENT_WEIGHTS)]
    etype = np.where(high, hi_codes, lo_codes)

    # url per type (index into url vocabulary, last = NULL)
    urls = [SITE + p for p in PAGES] + [SITE + "/pricing", SITE + "/contact", SITE + "/demo",
                                         SITE + "/resources/whitepaper.pdf", SITE + "/products?utm_source=email", None]
    page = rng.integers(0, len(PAGES), m)
    nP = len(PAGES)
    url_map = {"page_view": -1, "pricing_page_view": nP, "form_submit": nP + 1, "demo_request": nP + 2,
               "download": nP + 3, "email_click": nP + 4}
    per_type = np.array([url_map.get(x, nP + 5) for x in types])
    ui = per_type[etype]
    ui = np.where(ui < 0, page, ui)
    prop_i = np.where(rng.random(m) < 0.45, len(EVENT_PROPERTIES), rng.integers(0, len(EVENT_PROPERTIES), m))
    contact_num = _contact_numbers(rng, P, person, t)
    loaded = ctx.loaded(rng, t)

    kind = _kinds(rng, m, em)
    occurred = t.copy()
    occurred[kind == _kind(em, "null_date")] = np.nan
    fut = kind == _kind(em, "future_date")
    occurred[fut] = H + rng.uniform(1, 400, m)[fut]
    orphan = kind == _kind(em, "orphan_contact")
    contact_num[orphan] = _orphan_contacts(rng, P, int(orphan.sum()))
    type_text = _patch(_vocab(types, etype), kind == _kind(em, "unknown_event_type"),
                       lambda k: _vocab(UNKNOWN_EVENT_TYPES, rng.integers(0, 3, k)))
    width = max(10, len(str(EVENTS_PER_CONTACT * 4 * P.n)) + 1)
    tbl = _table("marketing.events", {
        "event_id": _ids("E", offset + 1 + np.arange(m), width),
        "contact_id": _ids("C", contact_num, P.id_width), "event_type": type_text, "occurred_at": ctx.ts(occurred),
        "url": _vocab(urls, ui), "properties": _vocab(list(EVENT_PROPERTIES) + [None], prop_i),
        "_loaded_at": ctx.ts(loaded),
    })
    idx = np.flatnonzero(kind == _kind(em, "duplicate_id"))  # exact copies, extracted again a little later
    copies = _replace(tbl.take(pa.array(idx)), _loaded_at=ctx.ts(np.minimum(loaded[idx] + _lag(rng, len(idx)), H)))
    # product and category page views (their own stream: the events above keep their values)
    vrng = ctx.rng("product-views-rows", lo // CHUNK_PEOPLE)
    person, item, tv, is_cat = views
    v = len(person)
    k = len(prod.category)
    view_urls = [f"{SITE}/products/{pid.lower()}" for pid in _ids("P", np.arange(1, k + 1), 4).to_pylist()] + \
        [f"{SITE}/category/{c.lower()}" for c in PRODUCT_CATEGORIES]
    prop_v = np.where(vrng.random(v) < 0.45, len(EVENT_PROPERTIES), vrng.integers(0, len(EVENT_PROPERTIES), v))
    page_views = _table("marketing.events", {
        "event_id": _ids("E", 5 * 10 ** (width - 1) + view_offset + 1 + np.arange(v), width),
        "contact_id": _ids("C", _contact_numbers(vrng, P, person, tv), P.id_width),
        "event_type": pa.array(["page_view"] * v, pa.string()), "occurred_at": ctx.ts(tv),
        "url": _vocab(view_urls, np.where(is_cat, k + item, item)),
        "properties": _vocab(list(EVENT_PROPERTIES) + [None], prop_v), "_loaded_at": ctx.ts(ctx.loaded(vrng, tv)),
    })
    return pa.concat_tables([tbl, copies, page_views]), _count(kind, em), m, v


# ---------------------------------------------------------------------------------------------------------------
# feedback.surveys
# ---------------------------------------------------------------------------------------------------------------
def _surveys(ctx: _Ctx, P: _People) -> tuple[pa.Table, dict]:
    rng = ctx.rng("surveys")
    H, sm = ctx.horizon, SURVEYS_MESS
    w = np.where(P.is_customer, 1.0, 0.15)
    n_s = rng.poisson(w * SURVEYS_PER_CONTACT * P.n / w.sum())
    person = np.repeat(np.arange(P.n), n_s)
    m = len(person)
    cust = P.is_customer[person]
    start = np.where(cust, np.nan_to_num(P.first_order[person]), P.created[person])
    stop = np.where(cust, np.minimum(np.nan_to_num(P.active_end[person]) + 60, H), H)
    t = np.minimum(start + rng.random(m) * (stop - start), H)
    sat = P.lat["satisfaction"][person]
    nps = np.clip(np.rint(7.2 + 2.3 * sat + rng.normal(0, 1.2, m)), 0, 10).astype(np.int64)
    csat = np.clip(np.rint(3.7 + 0.9 * sat + rng.normal(0, 0.6, m)), 1, 5).astype(np.int64)
    rating = np.clip(np.round(csat + rng.normal(0, 0.5, m), 1), 1.0, 5.0)
    form = _choice(rng, m, (0.5, 0.25, 0.25))  # both, NPS only, CSAT only
    kind = _kinds(rng, m, sm)
    nps_bad, csat_bad = kind == _kind(sm, "nps_out_of_range"), kind == _kind(sm, "csat_out_of_range")
    form[nps_bad] = 0  # an out-of-range NPS comes with a valid CSAT, and the other way round
    form[csat_bad] = 0
    nps[nps_bad] = np.asarray(NPS_OUT_OF_RANGE)[rng.integers(0, len(NPS_OUT_OF_RANGE), int(nps_bad.sum()))]
    csat[csat_bad] = np.asarray(CSAT_OUT_OF_RANGE)[rng.integers(0, len(CSAT_OUT_OF_RANGE), int(csat_bad.sum()))]
    comment_vocab = COMMENTS_BAD + COMMENTS_MID + COMMENTS_GOOD + (None,)
    nb, nm, ng = len(COMMENTS_BAD), len(COMMENTS_MID), len(COMMENTS_GOOD)
    cat = np.where(sat < -0.5, 0, np.where(sat < 0.7, 1, 2))
    ci = np.select([cat == 0, cat == 1], [rng.integers(0, nb, m), nb + rng.integers(0, nm, m)],
                   nb + nm + rng.integers(0, ng, m))
    ci[rng.random(m) < 0.6] = len(comment_vocab) - 1
    contact_num = _contact_numbers(rng, P, person, t)
    loaded = ctx.loaded(rng, t)
    submitted = t.copy()
    submitted[kind == _kind(sm, "null_date")] = np.nan
    orphan = kind == _kind(sm, "orphan_contact")
    contact_num[orphan] = _orphan_contacts(rng, P, int(orphan.sum()))
    tbl = _table("feedback.surveys", {
        "response_id": _ids("R", np.arange(1, m + 1), max(8, len(str(m)) + 1)),
        "contact_id": _ids("C", contact_num, P.id_width), "submitted_at": ctx.ts(submitted),
        "nps": pa.array(nps.astype(np.int32), mask=form == 2), "csat": pa.array(csat.astype(np.int32), mask=form == 1),
        "review_rating": pa.array(rating, mask=rng.random(m) < 0.6), "comment": _vocab(comment_vocab, ci),
        "_loaded_at": ctx.ts(loaded),
    })
    return tbl, _count(kind, sm)


# ---------------------------------------------------------------------------------------------------------------
# Clean optional tables: opportunities, consents, erasure requests, campaigns, members, firmographics
# ---------------------------------------------------------------------------------------------------------------
def _opportunities(ctx: _Ctx, P: _People, acc: _Accounts) -> pa.Table:
    rng = ctx.rng("opportunities")
    H = ctx.horizon
    eng = P.lat["engagement"]
    has = P.b2b & (rng.random(P.n) < _sigmoid(-1.2 + 0.6 * P.fit + 0.5 * eng))
    k = np.where(has, 1 + (rng.random(P.n) < 0.25), 0)
    person = np.repeat(np.arange(P.n), k)
    m = len(person)
    created = P.created[person] + rng.random(m) * (H - P.created[person])
    age = H - created
    closed = rng.random(m) < np.minimum(0.9, age / 120)
    closed_at = created + rng.uniform(0, 1, m) * np.minimum(age, 150)
    closed &= closed_at <= H
    won = closed & (rng.random(m) < _sigmoid(-0.3 + 0.8 * P.fit[person] + 1.0 * P.is_customer[person]))
    stages = OPPORTUNITY_OPEN + ("closed_won", "closed_lost")
    stage = np.where(won, 4, np.where(closed, 5, rng.integers(0, 4, m)))
    emp = acc.employees[P.account[person]]
    amount = np.rint(rng.lognormal(np.log(8000), 0.8, m) * np.sqrt(emp / 60) / 10) * 1000
    ccy = np.array([CURRENCIES.index(c) for c in CURRENCY_OF_COUNTRY])[acc.country[P.account[person]]]
    last = np.where(closed, closed_at, created)
    tbl = _table("crm.opportunities", {
        "opportunity_id": _ids("OPP", np.arange(1, m + 1), max(7, len(str(m)) + 1)),
        "contact_id": _ids("C", person + 1, P.id_width),
        "account_id": _ids("ACC", P.account[person] + 1, _account_width(acc)),
        "created_at": ctx.ts(created), "closed_at": ctx.ts(closed_at, null=~closed),
        "stage": _vocab(stages, stage), "is_won": won, "amount": _money(amount), "currency": _vocab(CURRENCIES, ccy),
        "_loaded_at": ctx.ts(ctx.loaded(rng, last)),
    })
    # History: a closed deal was open before, and the export keeps that earlier version (superseded by the closed
    # one), so a build as of a date before the close sees the open deal in the pipeline. The open version is
    # extracted at least half a day before the close (the extraction lag is under 2 days), so it is never the later.
    hrng = ctx.rng("opportunities-history")
    prior = np.flatnonzero(closed & (closed_at - created >= 3))
    seen = created[prior] + hrng.random(len(prior)) * (closed_at[prior] - created[prior] - 2.5)
    open_stage = hrng.integers(0, len(OPPORTUNITY_OPEN), len(prior))
    history = _replace(tbl.take(pa.array(prior)), closed_at=pa.nulls(len(prior), pa.timestamp("us")),
                       stage=_vocab(stages, open_stage), is_won=np.zeros(len(prior), bool),
                       _loaded_at=ctx.ts(ctx.loaded(hrng, seen)))
    return pa.concat_tables([tbl, history]), len(prior)


def _consents(ctx: _Ctx, P: _People) -> pa.Table:
    rng = ctx.rng("consents")
    H = ctx.horizon
    channels = ("email", "phone", "sms")
    has = rng.random((P.n, 3)) < np.array([0.9, 0.4, 0.2])
    person, chan = np.nonzero(has)
    m = len(person)
    created = P.created[person]
    rec = np.minimum(created + rng.random(m) * np.minimum(30, H - created), H)
    granted = rng.random(m) < _sigmoid(1.2 + 0.5 * P.lat["engagement"][person])
    revoke = np.flatnonzero(granted & (rng.random(m) < 0.06) & (rec < H - 2))
    rev_t = rec[revoke] + 1 + rng.random(len(revoke)) * (H - rec[revoke] - 1)
    person = np.concatenate([person, person[revoke]])
    chan = np.concatenate([chan, chan[revoke]])
    rec = np.concatenate([rec, rev_t])
    granted = np.concatenate([granted, np.zeros(len(revoke), bool)])
    return _table("crm.consents", {
        "contact_id": _ids("C", person + 1, P.id_width), "channel": _vocab(channels, chan), "granted": granted,
        "recorded_at": ctx.ts(rec), "_loaded_at": ctx.ts(ctx.loaded(rng, rec)),
    })


def _ads_consents(ctx: _Ctx, P: _People) -> pa.Table:
    """Consent records on channel 'ads' (custom audiences on the ad platforms), from a stream of their own, appended
    to crm.consents: the e-mail, phone and sms records keep their values."""
    rng = ctx.rng("consents-ads")
    H = ctx.horizon
    person = np.flatnonzero(rng.random(P.n) < ADS_CONSENT_SHARE)
    m = len(person)
    created = P.created[person]
    rec = np.minimum(created + rng.random(m) * np.minimum(60, H - created), H)
    granted = rng.random(m) < _sigmoid(0.3 + 0.5 * P.lat["engagement"][person])
    return _table("crm.consents", {
        "contact_id": _ids("C", person + 1, P.id_width), "channel": pa.array(["ads"] * m, pa.string()),
        "granted": granted, "recorded_at": ctx.ts(rec), "_loaded_at": ctx.ts(ctx.loaded(rng, rec)),
    })


def _do_not_contact(ctx: _Ctx, P: _People, contacts: pa.Table) -> tuple[pa.Table, dict]:
    """The do-not-contact list: entries naming a person by contact id, by e-mail (written in other case or with
    spaces, as lists typed by hand are) or by phone (written without its spaces or dashes), a few without a date.
    People with a clean record only; returns the table and the count of entries per form (manifest info)."""
    rng = ctx.rng("do-not-contact")
    H = ctx.horizon
    clean = np.flatnonzero((P.kind == 0) & (P.dup_num == 0))
    k = min(len(clean), max(6, round(DO_NOT_CONTACT_SHARE * P.n)))
    person = np.sort(rng.choice(clean, k, replace=False))
    email = contacts["email"].combine_chunks().take(pa.array(person))
    phone = contacts["phone"].combine_chunks().take(pa.array(person))
    # form: 0 contact id, 1 e-mail, 2 phone; the first three entries take one form each
    form = np.concatenate([np.arange(min(3, k)), _choice(rng, max(0, k - 3), (0.4, 0.35, 0.25))]).astype(np.int8)
    form = np.where((form == 1) & ~pc.is_valid(email).to_numpy(zero_copy_only=False), 0, form)
    form = np.where((form == 2) & ~pc.is_valid(phone).to_numpy(zero_copy_only=False), 0, form)
    styled = pc.choose(pa.array(_choice(rng, k, (0.5, 0.25, 0.25)).astype(np.int8)), email, pc.utf8_upper(email),
                       _join(" ", email, " "))
    compact = pc.replace_substring_regex(phone, pattern=r"[ ()\-]", replacement="")
    t = P.created[person] + rng.random(k) * (H - P.created[person])
    undated = rng.random(k) < 0.15
    none = pa.scalar(None, pa.string())
    tbl = _table("crm.do_not_contact", {
        "contact_id": pc.if_else(pa.array(form == 0), _ids("C", person + 1, P.id_width), none),
        "email": pc.if_else(pa.array(form == 1), styled, none),
        "phone": pc.if_else(pa.array(form == 2), compact, none),
        "reason": _vocab(DO_NOT_CONTACT_REASONS, rng.integers(0, len(DO_NOT_CONTACT_REASONS), k)),
        "added_at": ctx.ts(t, null=undated), "_loaded_at": ctx.ts(ctx.loaded(rng, t)),
    })
    return tbl, {"by_contact_id": int((form == 0).sum()), "by_email": int((form == 1).sum()),
                 "by_phone": int((form == 2).sum()), "undated": int(undated.sum())}


def _erasure_requests(ctx: _Ctx, P: _People, contacts: pa.Table) -> pa.Table:
    rng = ctx.rng("erasure")
    H = ctx.horizon
    clean = np.flatnonzero((P.kind == 0) & (P.dup_num == 0))
    k = min(len(clean), max(1, round(ERASURE_SHARE * P.n)))
    person = np.sort(rng.choice(clean, k, replace=False))
    email = contacts["email"].combine_chunks().take(pa.array(person))
    email = pc.choose(pa.array(_choice(rng, k, (0.6, 0.2, 0.2)).astype(np.int8)), email, pc.utf8_upper(email),
                      pc.utf8_title(email))
    form = _choice(rng, k, (0.4, 0.3, 0.3))  # email only, contact id only, both
    t = P.updated[person] + rng.random(k) * (H - P.updated[person])
    return _table("crm.erasure_requests", {
        "request_id": _ids("ER", np.arange(1, k + 1), 6),
        "email": pc.if_else(pa.array(form == 1), pa.scalar(None, pa.string()), email),
        "contact_id": pc.if_else(pa.array(form == 0), pa.scalar(None, pa.string()), _ids("C", person + 1, P.id_width)),
        "requested_at": ctx.ts(t), "_loaded_at": ctx.ts(ctx.loaded(rng, t)),
    })


def _campaigns(ctx: _Ctx, P: _People) -> tuple[pa.Table, pa.Table]:
    rng = ctx.rng("campaigns")
    H, c = ctx.horizon, N_CAMPAIGNS
    start = np.sort(rng.uniform(0, H - 14, c))
    years = [(ctx.origin + dt.timedelta(days=float(s))).year for s in start]
    theme = rng.integers(0, len(CAMPAIGN_THEMES), c)
    names = [f"{CAMPAIGN_THEMES[th]} {y} #{i + 1}" for i, (th, y) in enumerate(zip(theme, years))]
    campaigns = _table("marketing.campaigns", {
        "campaign_id": _ids("CMP", np.arange(1, c + 1), 3), "name": pa.array(names),
        "channel": _vocab(CAMPAIGN_CHANNELS, rng.integers(0, len(CAMPAIGN_CHANNELS), c)),
        "objective": _vocab(CAMPAIGN_OBJECTIVES, rng.integers(0, len(CAMPAIGN_OBJECTIVES), c)),
        "started_at": ctx.ts(start), "_loaded_at": ctx.ts(ctx.loaded(rng, start)),
    })
    # members: candidate pairs, de-duplicated, sent after both the campaign start and the contact's creation
    eng = P.lat["engagement"]
    draws = int(CAMPAIGN_MEMBERS_PER_CONTACT * P.n * 1.8) + 10
    person = _choice(rng, draws, np.exp(0.3 * eng))
    camp = rng.integers(0, c, draws)
    key = np.unique(camp.astype(np.int64) * P.n + person)
    camp, person = key // P.n, key % P.n
    sent = np.maximum(start[camp], P.created[person]) + rng.uniform(0, 7, len(key))
    keep = np.flatnonzero(sent <= H)
    target = min(len(keep), CAMPAIGN_MEMBERS_PER_CONTACT * P.n)
    keep = np.sort(rng.choice(keep, target, replace=False))
    camp, person, sent = camp[keep], person[keep], sent[keep]
    m = len(keep)
    responded = rng.random(m) < _sigmoid(-1.5 + 0.8 * eng[person])
    resp_t = sent + rng.exponential(2.0, m)
    responded &= resp_t <= H
    converted = responded & (rng.random(m) < _sigmoid(-1.0 + 0.5 * eng[person] + 0.5 * P.fit[person]))
    last = np.where(responded, resp_t, sent)
    members = _table("marketing.campaign_members", {
        "campaign_id": _ids("CMP", camp + 1, 3), "contact_id": _ids("C", person + 1, P.id_width),
        "sent_at": ctx.ts(sent), "responded_at": ctx.ts(resp_t, null=~responded), "converted": converted,
        "_loaded_at": ctx.ts(ctx.loaded(rng, last)),
    })
    return campaigns, members


def _firmographics(ctx: _Ctx, acc: _Accounts, domain: pa.Array) -> tuple[pa.Table, dict]:
    rng = ctx.rng("firmographics")
    covered = np.flatnonzero(rng.random(acc.n) < FIRMOGRAPHICS_COVERAGE)
    extra = int(round(FIRMOGRAPHICS_EXTRA * acc.n))
    used = np.zeros(max(acc.n * 2, _company_combos()) + extra, bool)
    used[acc.combo] = True
    extra_combo = np.flatnonzero(~used)[:extra]
    extra_country = _choice(rng, extra, COUNTRY_WEIGHTS)
    dom = pa.concat_arrays([domain.take(pa.array(covered)),
                            _join(_company(extra_combo)[1], _vocab(TLDS, extra_country))])
    m = len(dom)
    industry = np.concatenate([acc.industry[covered], _choice(rng, extra, INDUSTRY_WEIGHTS)])
    other = rng.random(m) < 0.1  # the vendor sometimes disagrees with the CRM
    industry = np.where(other, rng.integers(0, len(INDUSTRIES), m), industry)
    emp = np.concatenate([acc.employees[covered], np.rint(rng.lognormal(np.log(60), 1.4, extra)).astype(np.int64)])
    emp = np.maximum(1, np.rint(emp * rng.uniform(0.8, 1.2, m)))
    revenue = emp * rng.lognormal(np.log(150_000), 0.5, m)
    tech_a = rng.integers(0, len(TECHNOLOGIES), m)
    tech_b = (tech_a + rng.integers(1, len(TECHNOLOGIES), m)) % len(TECHNOLOGIES)
    kind = _kinds(rng, m, FIRMOGRAPHICS_MESS)
    bad = kind == 1
    if bad.any():
        b = pa.array(bad)
        d = dom.filter(b)
        code = pa.array(rng.integers(0, 3, int(bad.sum())).astype(np.int8))
        dom = pc.replace_with_mask(dom, b, pc.choose(code, pc.utf8_upper(d), pc.utf8_title(d), _join("www.", d)))
    loaded = ctx.horizon - rng.uniform(1, 60, m)
    return _table("enrichment.firmographics", {
        "domain": dom, "industry": _vocab(INDUSTRIES, industry),
        "employee_range": _bucket(EMPLOYEE_RANGES, emp), "revenue_range": _bucket(REVENUE_RANGES, revenue),
        "marketing_budget": _money(np.rint(revenue * rng.uniform(0.01, 0.05, m) / 1000) * 1000 * 100),
        "technologies": _join(_vocab(TECHNOLOGIES, tech_a), ";", _vocab(TECHNOLOGIES, tech_b)),
        "_loaded_at": ctx.ts(loaded),
    }), _count(kind, FIRMOGRAPHICS_MESS)


def _bucket(ranges, values) -> pa.Array:
    """Label of the first (upper bound, label) range whose bound is >= the value."""
    return _vocab([label for _, label in ranges], np.searchsorted([bound for bound, _ in ranges], values))


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------
def _context(contacts: int, seed: int, end_date: dt.date, years: int, shape: str = "demo") -> _Ctx:
    if contacts < 10:
        raise ValueError("contacts must be at least 10")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: expected one of {', '.join(SHAPES)}")
    origin = end_date - dt.timedelta(days=int(round(365.25 * years)))
    horizon = (end_date - origin).days + 1 - 1 / 86400
    return _Ctx(seed=seed, n=contacts, end_date=end_date, origin=origin, horizon=horizon, shape=SHAPES[shape])


def generate_demo_data(out_dir, contacts: int = 2000, seed: int = 42, end_date: dt.date = dt.date(2026, 6, 30),
                       years: int = 3, csv: bool = False, include_optional: bool = True, shape: str = "demo") -> dict:
    """Write every raw table of the contract under out_dir (Parquet, and CSV when asked) and return the manifest.

    `shape` picks the kind of business (`SHAPES`): "demo" (the default) or "retail" (mostly one-order customers, no
    events, campaigns or surveys). `include_optional=False` also leaves out the tables with an `enable_*` switch.
    Raises ValueError for fewer than 10 contacts or an unknown shape."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = _context(contacts, seed, end_date, years, shape)
    rows, mess = {}, {}
    lacking = {t for flag, tables in SHAPE_TABLES.items() if not getattr(ctx.shape, flag) for t in tables}

    def wanted(name):
        return name not in lacking and (include_optional or contract.BY_NAME[name].optional_switch is None)

    def write(name, tbl, kinds=None):
        w = _Writer(out, name, csv)
        w.write(tbl)
        w.close()
        rows[name] = w.rows
        mess[name] = kinds or {}
        log.info("wrote %-26s %12s rows", name, f"{w.rows:,}")

    def chunk_done(names, writers, hi, n):
        log.info("wrote %-26s %12s rows so far (people %s of %s)", " + ".join(names),
                 " + ".join(f"{w.rows:,}" for w in writers), f"{hi:,}", f"{n:,}")

    acc = _draw_accounts(ctx)
    P = _draw_people(ctx, acc)
    _finish_accounts(ctx, acc, P)
    tbl, m, domain = _accounts_table(ctx, acc)
    write("crm.accounts", tbl, m)
    contacts_tbl, m, contact_info = _contacts_table(ctx, P, acc, domain)
    write("crm.contacts", contacts_tbl, m)
    if wanted("crm.opportunities"):
        opportunities, contact_info["opportunity_prior_versions"] = _opportunities(ctx, P, acc)
        write("crm.opportunities", opportunities)
        del opportunities
    if wanted("crm.consents"):
        write("crm.consents", pa.concat_tables([_consents(ctx, P), _ads_consents(ctx, P)]))
    if wanted("crm.erasure_requests"):
        write("crm.erasure_requests", _erasure_requests(ctx, P, contacts_tbl))
    if wanted("crm.do_not_contact"):
        do_not_contact, contact_info["do_not_contact"] = _do_not_contact(ctx, P, contacts_tbl)
        write("crm.do_not_contact", do_not_contact)
    del contacts_tbl
    products, prod = _products(ctx)
    write("shop.products", products)

    # orders, their lines and the events, chunk by chunk of people (each file gets its chunks in order): the events of
    # a chunk include the product page views that its order lines brought
    w_orders, w_items = _Writer(out, "shop.orders", csv), _Writer(out, "shop.order_items", csv)
    events_wanted = wanted("marketing.events")
    w_events = _Writer(out, "marketing.events", csv) if events_wanted else None
    om = dict.fromkeys([*ORDERS_MESS, "unknown_credited_order"], 0)
    im, refunds = dict.fromkeys(ORDER_ITEMS_MESS, 0), dict.fromkeys(ORDER_REFUNDS, 0)
    em = dict.fromkeys(EVENTS_MESS, 0)
    offset = orphan_offset = event_offset = view_offset = 0
    for lo in range(0, P.n, CHUNK_PEOPLE):
        hi = min(lo + CHUNK_PEOPLE, P.n)
        orders, items, m_o, m_i, n_new, r_o, views = _orders_chunk(ctx, P, acc, prod, lo, hi, offset, orphan_offset)
        refunds = {k: refunds[k] + r_o[k] for k in refunds}
        offset += n_new
        orphan_offset += m_i["orphan_order"]
        w_orders.write(orders)
        w_items.write(items)
        chunk_done(("shop.orders", "shop.order_items"), (w_orders, w_items), hi, P.n)
        om = {k: om[k] + m_o[k] for k in om}
        im = {k: im[k] + m_i[k] for k in im}
        del orders, items
        if events_wanted:
            events, m_e, n_new, n_views = _events_chunk(ctx, P, prod, lo, hi, event_offset, views, view_offset)
            event_offset += n_new
            view_offset += n_views
            w_events.write(events)
            chunk_done(("marketing.events",), (w_events,), hi, P.n)
            em = {k: em[k] + m_e[k] for k in em}
            del events
        del views
    for w, name, m in ((w_orders, "shop.orders", om), (w_items, "shop.order_items", im),
                       (w_events, "marketing.events", em)):
        if w is not None:
            w.close()
            rows[name], mess[name] = w.rows, m

    if wanted("marketing.campaigns"):
        campaigns, members = _campaigns(ctx, P)
        write("marketing.campaigns", campaigns)
        write("marketing.campaign_members", members)
    if wanted("feedback.surveys"):
        write("feedback.surveys", *_surveys(ctx, P))
    if wanted("enrichment.firmographics"):
        write("enrichment.firmographics", *_firmographics(ctx, acc, domain))

    order = [t.qualified for t in contract.TABLES if t.qualified in rows]
    manifest = {
        "seed": seed, "contacts": contacts, "end_date": end_date.isoformat(), "years": years, "shape": shape,
        "rows": {k: rows[k] for k in order}, "mess": {k: mess[k] for k in order},
        "info": {
            **contact_info, "people": P.n, "accounts": acc.n, "customers": int(P.is_customer.sum()),
            "order_refunds": refunds, "product_page_views": view_offset,
            "history_start": ctx.origin.isoformat(), "include_optional": include_optional,
            "mess_rates": {"crm.accounts": ACCOUNTS_MESS, "crm.contacts": CONTACTS_MESS,
                           "shop.orders": {**ORDERS_MESS, "unknown_credited_order": UNKNOWN_CREDITED_ORDER_RATE},
                           "shop.order_items": ORDER_ITEMS_MESS, "marketing.events": EVENTS_MESS,
                           "feedback.surveys": SURVEYS_MESS, "enrichment.firmographics": FIRMOGRAPHICS_MESS},
        },
    }
    (out / "_manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m customer_scoring.generate", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    p.add_argument("--contacts", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--end-date", default="2026-06-30", help="last day of the history, YYYY-MM-DD")
    p.add_argument("--years", type=int, default=3)
    p.add_argument("--csv", action="store_true", help="also write CSV next to each Parquet file")
    p.add_argument("--no-optional", action="store_true", help="skip the optional tables")
    p.add_argument("--shape", choices=sorted(SHAPES), default="demo",
                   help="; ".join(f"{s.name}: {s.description}" for s in SHAPES.values()))
    a = p.parse_args(argv)
    manifest = generate_demo_data(Path(a.out), contacts=a.contacts, seed=a.seed,
                                  end_date=dt.date.fromisoformat(a.end_date), years=a.years, csv=a.csv,
                                  include_optional=not a.no_optional, shape=a.shape)
    print(json.dumps(manifest["rows"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
