"""The demo data generator: deterministic, true to the contract, its manifest true to the files, and a signal to find.

Every mess count in the manifest is recounted here from the files alone, with SQL written independently of the
generator's code."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_scoring import contract
from customer_scoring.generate import generate_demo_data, draw_latents, main

END = dt.date(2026, 6, 30)
CUTOFF = "timestamp '2026-07-01 00:00:00'"
PROJECT = Path(__file__).resolve().parents[1]
TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "DATE": pa.date32(), "INTEGER": pa.int32(),
         "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}
ISO = "('FR','DE','US','GB','ES','IT','BE','CH','NL','CA')"
EMAIL_RE = r"^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$"
DOMAIN = ("regexp_replace(regexp_replace(regexp_replace(lower(trim({0})), '^[a-z][a-z0-9+.-]*://', ''), "
          "'^www[0-9]*[.]', ''), '[/:?#].*$', '')")


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate_demo_data(out, contacts=5000, seed=11, end_date=END)
    return out


@pytest.fixture(scope="module")
def manifest(raw) -> dict:
    return json.loads((raw / "_manifest.json").read_text())


@pytest.fixture(scope="module")
def con(raw):
    c = duckdb.connect()
    for t in contract.TABLES:
        c.execute(f"create view {t.schema}_{t.name} as select * from read_parquet('{raw / t.schema / t.name}.parquet')")
    yield c
    c.close()


def one(con, sql):
    return con.execute(sql).fetchall()[0][0]


# --- determinism and shape --------------------------------------------------------------------------------------------
def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_arguments_give_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo_data(a, contacts=2000, seed=3, end_date=END, csv=True)
    generate_demo_data(b, contacts=2000, seed=3, end_date=END, csv=True)
    generate_demo_data(c, contacts=2000, seed=4, end_date=END)
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert len(fa) == 2 * len(contract.TABLES) + 1
    assert fa.keys() == fb.keys()
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs between two runs with the same arguments"
    for name in ("crm/contacts.parquet", "shop/orders.parquet", "marketing/events.parquet"):
        assert fa[name] != fc[name], f"{name} is the same with another seed"


def test_every_table_matches_the_contract(raw, manifest):
    for t in contract.TABLES:
        path = raw / t.schema / f"{t.name}.parquet"
        schema = pq.read_schema(path)
        assert [(f.name, f.type) for f in schema] == [(c, TYPES[typ]) for c, typ in t.columns], t.qualified
        assert pq.ParquetFile(path).metadata.num_rows == manifest["rows"][t.qualified] > 0
    assert list(manifest["rows"]) == [t.qualified for t in contract.TABLES]
    assert manifest["contacts"] == 5000 and manifest["end_date"] == END.isoformat() and manifest["seed"] == 11


def test_optional_tables_can_be_left_out(tmp_path):
    m = generate_demo_data(tmp_path, contacts=500, seed=1, end_date=END, include_optional=False)
    optional = {t.qualified for t in contract.TABLES if t.optional_switch}
    assert set(m["rows"]) == {t.qualified for t in contract.TABLES} - optional
    for t in contract.TABLES:
        assert (tmp_path / t.schema / f"{t.name}.parquet").exists() == (t.qualified not in optional)


def test_retail_shape_is_an_order_export_of_mostly_one_order_customers(tmp_path):
    m = generate_demo_data(tmp_path, contacts=3000, seed=7, end_date=END, shape="retail")
    absent = {"marketing.events", "marketing.campaigns", "marketing.campaign_members", "feedback.surveys"}
    assert m["shape"] == "retail" and set(m["rows"]) == {t.qualified for t in contract.TABLES} - absent
    assert not (tmp_path / "marketing" / "events.parquet").exists()
    one_order, median, most = duckdb.connect().execute(f"""
        with per_customer as (
            select contact_id, count(*) as orders from read_parquet('{tmp_path}/shop/orders.parquet')
            where status = 'completed' and credited_order_id is null group by contact_id)
        select avg((orders = 1)::int), median(orders), max(orders) from per_customer""").fetchone()
    # the demo shape has few one-order customers; this one mostly, with a long tail of frequent buyers
    assert 0.55 < one_order < 0.8 and median == 1 and most >= 20, (one_order, median, most)
    with pytest.raises(ValueError, match="unknown shape 'mall'"):
        generate_demo_data(tmp_path / "x", contacts=100, shape="mall")


def test_command_line(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--contacts", "300", "--seed", "5", "--end-date", "2025-12-31",
                 "--years", "2", "--csv", "--no-optional"]) == 0
    m = json.loads((tmp_path / "_manifest.json").read_text())
    assert (m["contacts"], m["end_date"], m["years"], m["seed"]) == (300, "2025-12-31", 2, 5)
    assert (tmp_path / "shop" / "orders.csv").exists()
    assert not (tmp_path / "feedback" / "surveys.parquet").exists()
    con = duckdb.connect()
    latest = con.execute(f"select max(ordered_at) from read_parquet('{tmp_path}/shop/orders.parquet') "
                         "where ordered_at < timestamp '2026-01-01'").fetchall()[0][0]
    assert latest.date() >= dt.date(2025, 12, 1)


def test_scale_follows_the_brief(manifest):
    n, r = manifest["contacts"], manifest["rows"]
    assert 8 * n < r["shop.orders"] < 12 * n
    views = manifest["info"]["product_page_views"]  # offers: product and category page views, on top of the rest
    assert 17 * n < r["marketing.events"] - views < 23 * n
    assert 3 * n < views < 8 * n
    assert 1.3 < r["shop.order_items"] / r["shop.orders"] < 1.9
    assert 0.1 * n < r["crm.accounts"] < 0.15 * n
    assert 0.4 * n < r["feedback.surveys"] < 0.6 * n
    # e-mail, phone and sms records (1.3-1.7 per person with the revocations) plus 'ads' for a third of the people
    assert 1.6 * n < r["crm.consents"] < 2.1 * n
    assert 0.01 * n < r["crm.do_not_contact"] < 0.02 * n
    assert r["marketing.campaign_members"] == 2 * n and r["marketing.campaigns"] == 50
    assert r["shop.products"] == 60


# --- the manifest's mess counts, recounted from the files -------------------------------------------------------------
def test_every_mess_kind_is_injected(manifest):
    for table, kinds in manifest["mess"].items():
        for kind, count in kinds.items():
            assert count > 0, f"{table}: no {kind}"


def test_accounts_mess_recount(con, manifest):
    m = manifest["mess"]["crm.accounts"]
    assert one(con, "select count(*) - count(distinct account_id) from crm_accounts") == m["duplicate_id"]
    dom = DOMAIN.format("website")
    con.execute(f"""create or replace temp view acc_dom as
        select *, {dom} as domain,
               dense_rank() over (partition by {dom} order by created_at, account_id) as id_rank
        from crm_accounts""")
    assert one(con, "select sum(n - 1) from (select count(distinct account_id) n from acc_dom group by domain)") \
        == m["same_domain"]
    # the extra id of a company is the later one, and its website is written differently from the first's
    assert one(con, "select count(*) from acc_dom where id_rank > 1 and website = domain") == 0
    assert one(con, "select count(*) from acc_dom where id_rank = 1 and website <> domain") == m["website_url"]
    assert one(con, f"select count(*) from crm_accounts where country not in {ISO}") == m["country_variant"]


def test_contacts_mess_recount(con, manifest):
    m = manifest["mess"]["crm.contacts"]
    prior = manifest["info"]["contact_prior_versions"]  # history rows, not defects: one per clean customer
    assert manifest["info"]["customers"] > prior > 0.8 * manifest["info"]["customers"]
    assert one(con, "select count(*) - count(distinct contact_id) from crm_contacts") == m["duplicate_id"] + prior
    assert one(con, f"""select sum(n - 1) from (
        select count(distinct contact_id) n from crm_contacts
        where regexp_matches(lower(trim(email)), '{EMAIL_RE}') group by lower(trim(email)))""") \
        == m["email_case_duplicate"]
    # the duplicate record is written differently (case or spaces) and created after the first
    assert one(con, f"""select count(*) from (
        select contact_id, email, created_at,
               row_number() over (partition by lower(trim(email)) order by created_at, contact_id) as r
        from (select distinct contact_id, email, created_at from crm_contacts
              where regexp_matches(lower(trim(email)), '{EMAIL_RE}')))
        where r > 1 and email = lower(trim(email))""") == 0
    assert one(con, f"select count(*) from crm_contacts where not regexp_matches(lower(trim(email)), '{EMAIL_RE}')") \
        == m["invalid_email"]
    assert one(con, f"select count(*) from crm_contacts where country not in {ISO}") == m["country_variant"]
    assert one(con, """select count(*) from crm_contacts where account_id is not null
                       and account_id not in (select account_id from crm_accounts)""") == m["orphan_account"]
    free = {line.split(",")[0] for line in (PROJECT / "seeds" / "free_mail_domains.csv").read_text().splitlines()[1:]}
    con.register("free_domains", pa.table({"d": sorted(free)}))
    assert one(con, f"""select count(*) from crm_contacts where regexp_matches(lower(trim(email)), '{EMAIL_RE}')
                        and split_part(lower(trim(email)), '@', 2) in (select d from free_domains)""") \
        == manifest["info"]["free_mail_rows"] > 0


def test_versions_are_ordered_by_load_time(con):
    for table, key in (("crm_accounts", "account_id"), ("crm_contacts", "contact_id"), ("shop_orders", "order_id")):
        bad = one(con, f"""select count(*) from (
            select {key}, arg_max(updated_at, _loaded_at) as newest, max(updated_at) as latest, count(*) as n,
                   count(distinct _loaded_at) as loads
            from {table} group by {key} having count(*) > 1)
            where newest <> latest or loads <> n""")
        assert bad == 0, table
    # an order's older version is completed, its newer one refunded
    assert one(con, """select count(*) from (
        select order_id, arg_min(status, _loaded_at) as old, arg_max(status, _loaded_at) as new
        from shop_orders group by order_id having count(*) > 1) where old <> 'completed' or new <> 'refunded'""") == 0


ORDER_FLAGS = {
    "null_date": "ordered_at is null",
    "future_date": f"ordered_at >= {CUTOFF} and _loaded_at < {CUTOFF}",
    "negative_amount": "total_amount like '-%' and credited_order_id is null",  # a credit note may be negative
    "non_numeric_amount": "not regexp_matches(total_amount, '^-?[0-9]+[.][0-9]{2}$')",
    "unknown_currency": "currency not in ('EUR','USD','GBP','CHF','CAD')",
    "orphan_contact": "contact_id not in (select contact_id from crm_contacts)",
    "unknown_status": "lower(trim(status)) not in ('completed','cancelled','refunded','pending')",
    "status_case": "status <> lower(trim(status)) "
                   "and lower(trim(status)) in ('completed', 'cancelled', 'refunded', 'pending')",
    "unknown_credited_order": "credited_order_id not in (select order_id from shop_orders "
                              "where credited_order_id is null)",
}
EVENT_FLAGS = {
    "unknown_event_type": "event_type not in ({})".format(", ".join(f"'{e}'" for e in contract.EVENT_TYPES)),
    "null_date": "occurred_at is null",
    "future_date": f"occurred_at >= {CUTOFF} and _loaded_at < {CUTOFF}",
    "orphan_contact": "contact_id not in (select contact_id from crm_contacts)",
}
SURVEY_FLAGS = {
    "nps_out_of_range": "nps not between 0 and 10",
    "csat_out_of_range": "csat not between 1 and 5",
    "null_date": "submitted_at is null",
    "orphan_contact": "contact_id not in (select contact_id from crm_contacts)",
}


@pytest.mark.parametrize("table,flags", [("shop_orders", ORDER_FLAGS), ("marketing_events", EVENT_FLAGS),
                                         ("feedback_surveys", SURVEY_FLAGS)])
def test_fact_mess_recount_and_one_defect_per_row(con, manifest, table, flags):
    m = manifest["mess"][table.replace("_", ".", 1)]
    for kind, cond in flags.items():
        assert one(con, f"select count(*) from {table} where coalesce({cond}, false)") == m[kind], kind
    total = " + ".join(f"coalesce({c}, false)::int" for c in flags.values())
    assert one(con, f"select max({total}) from {table}") == 1
    if "duplicate_id" in m:
        key = {"shop_orders": "order_id", "marketing_events": "event_id"}[table]
        assert one(con, f"select count(*) - count(distinct {key}) from {table}") == m["duplicate_id"]
        # duplicated rows carry no other defect
        assert one(con, f"""select count(*) from {table} where {key} in
            (select {key} from {table} group by all having count(*) > 1) and ({total}) > 0""") == 0


def test_events_duplicates_are_exact_copies(con):
    assert one(con, """select count(*) from (select event_id from marketing_events group by event_id
        having count(distinct (contact_id, event_type, occurred_at, url, properties)) > 1)""") == 0


def test_order_items_and_firmographics_mess_recount(con, manifest):
    assert one(con, "select count(*) from shop_order_items where order_id not in (select order_id from shop_orders)") \
        == manifest["mess"]["shop.order_items"]["orphan_order"]
    assert one(con, """select count(*) from shop_orders o where credited_order_id is null and not exists
                       (select 1 from shop_order_items i where i.order_id = o.order_id)""") == 0
    assert one(con, f"select count(*) from enrichment_firmographics where domain <> {DOMAIN.format('domain')}") \
        == manifest["mess"]["enrichment.firmographics"]["domain_case"]
    assert one(con, f"select count(*) - count(distinct {DOMAIN.format('domain')}) from enrichment_firmographics") == 0


def test_country_variants_are_known_aliases(con):
    aliases = {line.split(",")[0] for line in (PROJECT / "seeds" / "country_aliases.csv").read_text().splitlines()[1:]}
    used = {r[0] for r in con.execute(f"""select distinct lower(trim(replace(country, '.', ''))) from (
        select country from crm_contacts union all select country from crm_accounts)""").fetchall()}
    assert used <= aliases, used - aliases


# --- clean rows are clean ---------------------------------------------------------------------------------------------
def test_clean_orders_add_up_and_reference_what_exists(con):
    clean = " and ".join(f"not coalesce({c}, false)" for c in ORDER_FLAGS.values())
    con.execute(f"create or replace temp view clean_orders as select * from shop_orders where {clean} "
                "and credited_order_id is null")
    assert one(con, """select count(*) from clean_orders o join (
            select order_id, round(sum(quantity * cast(unit_price as decimal(18, 2)) * (1 - discount)), 2) as s
            from shop_order_items group by order_id) i using (order_id)
        where abs(cast(o.total_amount as decimal(18, 2)) - i.s) > 0.001""") == 0
    assert one(con, "select count(*) from shop_order_items "
                    "where product_id not in (select product_id from shop_products)") == 0
    assert one(con, "select count(*) from shop_order_items where quantity <= 0 or cast(unit_price as double) <= 0") == 0
    assert one(con, """select count(*) from clean_orders o join
                       (select contact_id, min(created_at) as created from crm_contacts group by 1) c using (contact_id)
                       where o.ordered_at < c.created or o.updated_at < o.ordered_at""") == 0
    assert one(con, "select count(*) from clean_orders "
                    "where status not in ('completed', 'cancelled', 'refunded', 'pending')") == 0


def test_partial_refunds_recount(con, manifest):
    """Partial refunds, both ways, as the manifest counts them: a refunded_amount below the total on completed orders,
    the whole total on refunded ones; credit notes for an existing order (same contact and currency, dated after it
    and by the end date, part of its total, mostly negative, some positive), and no line for a credit note."""
    r = manifest["info"]["order_refunds"]
    assert min(r.values()) > 0, r
    amount = "cast(total_amount as decimal(18, 2))"
    refunded = "cast(refunded_amount as decimal(18, 2))"
    assert one(con, f"""select count(*) from shop_orders where refunded_amount is not null and status = 'completed'
                        and {refunded} > 0 and {refunded} < {amount}""") == r["partial_refunded_amount"]
    assert one(con, f"""select count(*) from shop_orders where refunded_amount is not null and status = 'refunded'
                        and {refunded} = {amount}""") == r["full_refunded_amount"]
    assert one(con, "select count(*) from shop_orders where refunded_amount is not null") \
        == r["partial_refunded_amount"] + r["full_refunded_amount"]
    notes = f"""select n.*, o.ordered_at as order_at, o.contact_id as order_contact, o.currency as order_currency,
                       {amount.replace('total_amount', 'o.total_amount')} as order_total
                from shop_orders n join shop_orders o on n.credited_order_id = o.order_id
                where n.credited_order_id is not null and o.credited_order_id is null and o.status = 'completed'"""
    assert one(con, f"select count(*) from ({notes})") == r["credit_note"]
    assert one(con, f"""select count(*) from ({notes}) where contact_id <> order_contact or currency <> order_currency
                        or ordered_at <= order_at or ordered_at >= {CUTOFF} or status <> 'refunded'
                        or abs({amount}) = 0 or abs({amount}) >= order_total""") == 0
    signs = con.execute(f"select count(*) filter (where {amount} < 0), count(*) filter (where {amount} > 0) "
                        f"from ({notes})").fetchone()
    assert signs[0] > signs[1] > 0, signs
    assert one(con, "select count(*) from shop_order_items where order_id in "
                    "(select order_id from shop_orders where credited_order_id is not null)") == 0
    assert one(con, "select count(*) - count(distinct order_id) from shop_orders where credited_order_id is not null") \
        == 0


def test_opportunity_history_recount(con, manifest):
    """Each closed deal long enough has its earlier open version, extracted before the closed one."""
    prior = manifest["info"]["opportunity_prior_versions"]
    closed = one(con, "select count(*) from crm_opportunities where closed_at is not null")
    assert closed > prior > 0.5 * closed
    assert one(con, "select count(*) - count(distinct opportunity_id) from crm_opportunities") == prior
    assert one(con, """select count(*) from (
        select opportunity_id,
               max(_loaded_at) filter (where closed_at is null) as open_loaded,
               max(_loaded_at) filter (where closed_at is not null) as closed_loaded,
               count(*) filter (where closed_at is null) as open_versions,
               count(distinct created_at) as created_values
        from crm_opportunities group by opportunity_id having count(*) > 1)
        where open_versions <> 1 or closed_loaded is null or open_loaded >= closed_loaded or created_values <> 1""") \
        == 0


def test_clean_activity_is_dated_inside_the_contacts_life(con):
    for table, ts in (("marketing_events", "occurred_at"), ("feedback_surveys", "submitted_at"),
                      ("crm_consents", "recorded_at"), ("marketing_campaign_members", "sent_at"),
                      ("crm_opportunities", "created_at")):
        assert one(con, f"""select count(*) from {table} t join
                            (select contact_id, min(created_at) as created from crm_contacts group by 1) c
                            using (contact_id) where t.{ts} < c.created""") == 0, table
    for table, ts in (("crm_consents", "recorded_at"), ("marketing_campaign_members", "responded_at"),
                      ("crm_opportunities", "closed_at"), ("crm_erasure_requests", "requested_at")):
        assert one(con, f"select count(*) from {table} where {ts} >= {CUTOFF}") == 0, table
    for table in ("crm_opportunities", "crm_consents", "marketing_campaign_members", "crm_erasure_requests"):
        assert one(con, f"select count(*) from {table} where contact_id not in (select contact_id from crm_contacts)"
                   ) == 0, table
    assert one(con, """select count(*) from crm_contacts where account_id is null
                       and job_title in ('VP Sales', 'Chief Marketing Officer')""") == 0
    assert one(con, "select count(*) from crm_opportunities where is_won <> (stage = 'closed_won') "
                    "or (closed_at is null) <> (stage not in ('closed_won', 'closed_lost'))") == 0
    assert one(con, "select count(*) from marketing_campaign_members where campaign_id not in "
                    "(select campaign_id from marketing_campaigns)") == 0
    assert one(con, "select count(*) - count(distinct (campaign_id, contact_id)) from marketing_campaign_members") == 0


def test_every_row_is_loaded_by_the_end_date_and_after_its_business_time(con):
    for t in contract.TABLES:
        assert one(con, f"select count(*) from {t.schema}_{t.name} where _loaded_at >= {CUTOFF} "
                        "or _loaded_at is null") == 0, t.qualified
    for table, ts in (("crm_contacts", "updated_at"), ("crm_accounts", "updated_at"), ("shop_orders", "updated_at"),
                      ("marketing_events", "occurred_at"), ("feedback_surveys", "submitted_at")):
        assert one(con, f"select count(*) from {table} where {ts} < {CUTOFF} and _loaded_at < {ts}") == 0, table


def test_lifecycle_stage_says_customer_exactly_for_buyers(con):
    """A person (one valid e-mail, else one id) is a 'customer' in the CRM exactly when they have a completed order."""
    rows = con.execute(f"""
        with c as (select contact_id, arg_max(lifecycle_stage, _loaded_at) as stage,
                          arg_max(case when regexp_matches(lower(trim(email)), '{EMAIL_RE}') then lower(trim(email))
                                       else contact_id end, _loaded_at) as person
                   from crm_contacts group by 1),
        buyers as (select distinct contact_id from shop_orders where lower(trim(status)) = 'completed')
        select bool_or(stage = 'customer') as customer, bool_or(b.contact_id is not null) as bought, count(*)
        from c left join buyers b using (contact_id) group by person""").fetchall()
    mismatched = [r for r in rows if r[0] != r[1]]
    assert not mismatched
    assert 0.2 < sum(r[0] for r in rows) / len(rows) < 0.6


# --- signal -----------------------------------------------------------------------------------------------------------
def test_engaged_people_convert_more(con):
    rates = con.execute(f"""
        with first_order as (select contact_id, min(ordered_at) as t from shop_orders
                             where status = 'completed' and ordered_at < {CUTOFF} group by 1),
        activity as (
            select c.contact_id, f.t is not null as converted,
                   count(e.event_id) filter (where e.event_type in ('pricing_page_view', 'demo_request', 'form_submit')
                                             and (f.t is null or e.occurred_at < f.t)) as intent
            from (select distinct contact_id from crm_contacts) c
            left join first_order f using (contact_id)
            left join marketing_events e using (contact_id)
            group by all)
        select q, avg(converted::int) from (select *, ntile(4) over (order by intent, contact_id) as q from activity)
        group by q order by q""").fetchall()
    low, high = rates[0][1], rates[-1][1]
    assert high > low + 0.15, rates


def test_events_concentrate_before_conversion(con):
    """A customer's daily event rate in the 60 days before the first order beats their rate over their whole life."""
    before, overall = con.execute(f"""
        with first_order as (select contact_id, min(ordered_at) as t from shop_orders
                             where status = 'completed' and ordered_at < {CUTOFF} group by 1),
        life as (select contact_id, min(created_at) as created from crm_contacts group by 1)
        select sum(n_before) / sum(least(60, date_diff('hour', created, t) / 24.0)),
               sum(n) / sum(date_diff('hour', created, {CUTOFF}) / 24.0)
        from (select contact_id, f.t, l.created, count(e.event_id) as n,
                     count(e.event_id) filter (where e.occurred_at < f.t
                                               and e.occurred_at >= f.t - interval 60 day) as n_before
              from first_order f join life l using (contact_id)
              left join marketing_events e using (contact_id)
              where e.occurred_at < {CUTOFF} group by all)""").fetchall()[0]
    assert before > 2 * overall, (before, overall)


def test_unhappy_customers_stop_buying_earlier(con):
    rows = con.execute(f"""
        with nps as (select contact_id, arg_max(nps, submitted_at) as nps from feedback_surveys
                     where nps between 0 and 10 and submitted_at < {CUTOFF} group by 1),
        buyers as (select contact_id, max(ordered_at) >= timestamp '2026-01-01' as recent
                   from shop_orders where status = 'completed' and ordered_at < {CUTOFF} group by 1)
        select case when nps <= 6 then 'detractor' when nps >= 9 then 'promoter' end as grp,
               avg(recent::int), count(*)
        from nps join buyers using (contact_id) where nps <= 6 or nps >= 9 group by 1""").fetchall()
    share = {g: (s, n) for g, s, n in rows}
    assert share["detractor"][1] > 30 and share["promoter"][1] > 30
    assert share["detractor"][0] < share["promoter"][0] - 0.15, share


def test_recent_frequent_buyers_buy_again_after_an_as_of_split(con):
    split = "timestamp '2026-01-01'"
    rows = con.execute(f"""
        with o as (select contact_id, ordered_at from shop_orders where status = 'completed'
                   and ordered_at < {CUTOFF} and _loaded_at < {CUTOFF}),
        before as (select contact_id, count(*) as n from o
                   where ordered_at >= {split} - interval 365 day and ordered_at < {split} group by 1),
        after as (select distinct contact_id from o where ordered_at >= {split})
        select case when n >= 3 then 'frequent' when n = 1 then 'once' end as grp,
               avg((a.contact_id is not null)::int), count(*)
        from before b left join after a using (contact_id) where n >= 3 or n = 1 group by 1""").fetchall()
    share = {g: (s, n) for g, s, n in rows}
    assert share["once"][1] > 30
    assert share["frequent"][0] > share["once"][0] + 0.2, share


def test_latent_draws_are_independent():
    lat = draw_latents(50_000, seed=42)
    names = list(lat)
    r = np.corrcoef(np.vstack([lat[k] for k in names]))
    off = np.abs(r - np.eye(len(names)))
    assert off.max() < 0.02, dict(zip(names, off.max(axis=1)))
    again = draw_latents(50_000, seed=43)
    assert abs(np.corrcoef(lat["u_created"], again["u_created"])[0, 1]) < 0.02


def test_independent_draws_stay_independent_in_the_data(con):
    """Gender and engagement (events per day of life, ranked) come from separate draws: no correlation."""
    r = one(con, f"""select corr(female, r) from (
        select female, rank() over (order by events / (date_diff('day', created, {CUTOFF}) + 1)) as r from (
            select c.contact_id, any_value(c.female) as female, any_value(c.created) as created,
                   count(e.event_id) as events
            from (select contact_id, min(created_at) as created,
                         max(case when lower(gender) in ('f', 'female') then 1.0 else 0.0 end) as female
                  from crm_contacts where gender is not null group by 1) c
            left join marketing_events e using (contact_id) group by 1))""")
    assert abs(r) < 0.05


# --- offers (issue 14): the structure next best offers have to find ---------------------------------------------------
# Each threshold below fails on the generator before issue 14 (popularity-only lines, no product page views): the
# values of both generators on these 5,000 contacts (seed 11) are in the comments.
LINES = f"""select o.contact_id, o.ordered_at, i.product_id, p.category, p.repurchase_days
            from shop_orders o join shop_order_items i using (order_id) join shop_products p using (product_id)
            where o.status = 'completed' and o.credited_order_id is null and o.ordered_at < {CUTOFF}"""
B2B = "(select contact_id from crm_contacts group by contact_id having max(account_id) is not null)"
PRODUCT_VIEWS = """select contact_id, upper(regexp_extract(url, '/products?/([A-Za-z0-9_-]+)', 1)) as product_id,
                          occurred_at
                   from marketing_events
                   where event_type = 'page_view' and regexp_matches(url, '/products?/[A-Za-z0-9_-]+')"""


def test_offers_consumables_have_a_repurchase_gap_and_business_products_a_minimum_budget(con):
    rows = con.execute("select category, target_segments, repurchase_days, min_budget from shop_products").fetchall()
    gaps = {cat: [d for c, _, d, _ in rows if c == cat] for cat in {r[0] for r in rows}}
    assert all(30 <= d <= 120 for d in gaps["Supplies"]), gaps["Supplies"]  # every consumable has its gap
    assert 0 < sum(d is not None for d in gaps["Services"]) < len(gaps["Services"])  # renewals, a few
    assert all(d is None for cat, ds in gaps.items() if cat not in ("Supplies", "Services") for d in ds)
    assert all(b is None for _, seg, _, b in rows if seg == "b2c")  # minimum budgets are for businesses
    assert sum(b is not None for _, seg, _, b in rows if seg != "b2c") >= 15


def test_offers_co_purchase_pairs_stand_out_in_customer_baskets(con):
    """Customer baskets of consumers (no account: the segment alone does not make a pair): pairs bought together by
    at least 20 customers at three times the rate their popularity gives. Before: none (largest lift 2.1)."""
    pairs = one(con, f"""
        with basket as (select distinct contact_id, product_id from ({LINES}) where contact_id not in {B2B}),
        total as (select count(distinct contact_id) as n from basket),
        item as (select product_id, count(*) as k from basket group by 1),
        pair as (select a.product_id as x, b.product_id as y, count(*) as both_
                 from basket a join basket b on a.contact_id = b.contact_id and a.product_id < b.product_id
                 group by 1, 2 having count(*) >= 20)
        select count(*) from pair, total, item ix, item iy
        where ix.product_id = pair.x and iy.product_id = pair.y and both_ * total.n >= 3.0 * ix.k * iy.k""")
    assert pairs >= 10, pairs  # 39 (before: 0)


def test_offers_buyers_stay_in_their_categories(con):
    """Two products of one buyer share a category more often than two products bought in their segment at random (the
    sum of the squared category shares), although most complements are of another category. Before: less often (0.13
    and 0.15 against 0.18: buying without replacement)."""
    rows = con.execute(f"""
        with d as (select distinct contact_id, product_id, category, contact_id in {B2B} as b2b from ({LINES})),
        buyer as (select contact_id from d group by 1 having count(*) between 2 and 15),
        same as (select a.b2b, avg((a.category = b.category)::int) as same from d a
                 join d b on a.contact_id = b.contact_id and a.product_id < b.product_id
                 where a.contact_id in (select contact_id from buyer) group by a.contact_id, a.b2b),
        share as (select b2b, category, count(*) / sum(count(*)) over (partition by b2b) as s from d
                  where contact_id in (select contact_id from buyer) group by 1, 2)
        select b2b, avg(same), (select sum(s * s) from share where share.b2b = same.b2b), count(*)
        from same group by b2b""").fetchall()
    for b2b, same, chance, buyers in rows:
        assert buyers > 300 and same > 1.25 * chance, (b2b, same, chance)  # 0.27, 0.23 against 0.18 (before: <0.15)


def test_offers_product_views_precede_purchases(con):
    """A product page view in the 21 days before a buyer's first purchase of the product, against a view of another
    product in the same days. Before: no product page views at all."""
    bought, other = con.execute(f"""
        with first_buy as (select contact_id, product_id, min(ordered_at) as t from ({LINES}) group by 1, 2),
        other as (select contact_id, 'P' || lpad(cast((cast(substr(product_id, 2) as int) + 16) % 60 + 1 as varchar),
                                               4, '0') as product_id, t from first_buy),
        v as ({PRODUCT_VIEWS})
        select (select avg((exists (select 1 from v where v.contact_id = f.contact_id and v.product_id = f.product_id
                                    and v.occurred_at < f.t and v.occurred_at >= f.t - interval 21 day))::int)
                from first_buy f),
               (select avg((exists (select 1 from v where v.contact_id = f.contact_id and v.product_id = f.product_id
                                    and v.occurred_at < f.t and v.occurred_at >= f.t - interval 21 day))::int)
                from other f)""").fetchone()
    assert bought > 0.25 and bought > 5 * other, (bought, other)  # 0.33 against 0.02 (before: 0 and 0)


def test_offers_a_recent_view_announces_a_purchase(con):
    """As of 2026-03-31: a product viewed in the 14 days before is bought in the 30 days after far more often than
    any product by a buyer of that window (the share of (buyer, product) pairs bought)."""
    viewed, any_product = con.execute(f"""
        with v as (select distinct contact_id, product_id from ({PRODUCT_VIEWS})
                   where occurred_at >= timestamp '2026-03-17' and occurred_at < timestamp '2026-03-31'),
        after as (select distinct contact_id, product_id from ({LINES})
                  where ordered_at >= timestamp '2026-03-31' and ordered_at < timestamp '2026-04-30')
        select coalesce(avg((a.contact_id is not null)::int), 0),
               (select count(*) from after) / ((select count(distinct contact_id) from after) * 60.0)
        from v left join after a using (contact_id, product_id)""").fetchone()
    assert viewed > 0.2 and viewed > 5 * any_product, (viewed, any_product)  # 0.33 against 0.06 (before: no views)


def test_offers_businesses_buy_what_targets_their_industry(con):
    """Lines of targeted products bought by a business of one of the target industries, against the share of those
    industries among such lines (what chance gives). Before: 0.14 against 0.14."""
    match, chance = con.execute(f"""
        with account as (select account_id, any_value(industry) as industry from crm_accounts group by 1),
        buyer as (select contact_id, any_value(account_id) as account_id from crm_contacts group by 1),
        line as (select string_split(p.target_industries, ';') as targets, a.industry from ({LINES}) l
                 join buyer using (contact_id) join account a using (account_id)
                 join shop_products p using (product_id) where p.target_industries is not null),
        industry as (select industry, count(*) / sum(count(*)) over () as s from line group by 1)
        select avg(list_contains(targets, industry)::int),
               avg((select sum(s) from industry i where list_contains(line.targets, i.industry)))
        from line""").fetchone()
    assert match > 1.5 * chance, (match, chance)  # 0.25 against 0.13


def test_offers_consumables_are_rebought_around_their_gap_and_other_products_rarely(con):
    """Consecutive purchases of a consumable by one contact (more than a day apart) come 0.8 to 1.6 times its
    repurchase gap apart; a buyer rarely buys again a product that is not a consumable. Before (the same gaps put on
    its products): 19% of gaps in that range, 49% under it; 53% of lines bought again a non-consumable."""
    in_range, early, n = con.execute(f"""
        with x as (select repurchase_days, date_diff('hour', lag(ordered_at) over (
                       partition by contact_id, product_id order by ordered_at), ordered_at) / 24.0 as gap
                   from ({LINES}) where repurchase_days is not null)
        select avg((gap / repurchase_days between 0.8 and 1.6)::int), avg((gap / repurchase_days < 0.8)::int),
               count(*)
        from x where gap > 1""").fetchone()
    assert n > 1000 and in_range > 0.5 and early < 0.15, (in_range, early, n)  # 0.65, 0.07
    again = one(con, f"""select avg((n > 1 and repurchase_days is null)::int) from (
        select repurchase_days, row_number() over (partition by contact_id, product_id order by ordered_at) as n
        from ({LINES}))""")
    assert again < 0.25, again  # 0.16


def test_offers_page_views_are_clean_rows_of_their_own_id_range(con, manifest):
    """Product and category page views: as many as the manifest says, each a clean 'page_view' of a known contact,
    product or category, in ids of their own (E5...), never copied; non-customers browse too."""
    views, products, bad, ids, leads = con.execute(f"""
        with v as (select * from marketing_events
                   where regexp_matches(url, '/(products?|categor(y|ies))/[A-Za-z0-9_-]+'))
        select count(*),
               count(*) filter (where upper(regexp_extract(url, '/products?/([A-Za-z0-9_-]+)', 1))
                                      in (select product_id from shop_products)),
               count(*) filter (where event_type <> 'page_view' or occurred_at is null or occurred_at >= {CUTOFF}
                                      or contact_id not in (select contact_id from crm_contacts)
                                      or (url like '%/category/%' and regexp_extract(url, '/category/(.*)$', 1)
                                          not in (select lower(category) from shop_products))),
               count(*) filter (where event_id like 'E5%' and length(event_id) = 11),
               count(distinct contact_id) filter (where contact_id not in
                   (select contact_id from shop_orders where status = 'completed'))
        from v""").fetchone()
    assert views == manifest["info"]["product_page_views"] == ids
    assert bad == 0 and 0.8 * views < products < views and leads > 300, (products, bad, leads)


# --- activation (issue 15) ---------------------------------------------------------------------------------------------
def test_do_not_contact_entries_name_clean_people_by_id_email_or_phone(con, manifest):
    """Each entry names one clean person (a contact without a defect or duplicate record) in exactly one way: its id,
    its e-mail as a hand-typed list writes it (other case, spaces) or its phone without separators; a few carry no
    date; the dated ones fall inside the person's life. The manifest counts each form."""
    info = manifest["info"]["do_not_contact"]
    total, by_id, by_email, by_phone, undated, unmatched, several, outside = con.execute(f"""
        with c as (select contact_id, lower(trim(email)) as email, regexp_replace(phone, '[^0-9+]', '', 'g') as phone,
                          created_at from crm_contacts),
             d as (select *, (contact_id is not null)::int + (email is not null)::int + (phone is not null)::int as ways
                   from crm_do_not_contact),
             m as (select d.*, c.created_at from d join c
                   on d.contact_id = c.contact_id or lower(trim(d.email)) = c.email or d.phone = c.phone)
        select (select count(*) from d),
               (select count(*) from d where contact_id is not null),
               (select count(*) from d where email is not null),
               (select count(*) from d where phone is not null),
               (select count(*) from d where added_at is null),
               (select count(*) from d where not exists (select 1 from m where m.contact_id is not distinct from
                   d.contact_id and m.email is not distinct from d.email and m.phone is not distinct from d.phone)),
               (select count(*) from d where ways <> 1),
               (select count(*) from m where added_at < created_at or added_at >= {CUTOFF})
    """).fetchone()
    assert total == round(0.015 * 5000) == info["by_contact_id"] + info["by_email"] + info["by_phone"]
    assert (by_id, by_email, by_phone, undated) == (info["by_contact_id"], info["by_email"], info["by_phone"],
                                                    info["undated"])
    assert min(by_id, by_email, by_phone, undated) > 0
    assert unmatched == several == outside == 0
    # hand-typed: some e-mails are not written as the CRM has them, and no phone keeps a separator
    assert one(con, "select count(*) from crm_do_not_contact where email <> lower(trim(email))") > 0
    assert one(con, "select count(*) from crm_do_not_contact where regexp_matches(phone, '[ ()-]')") == 0


def test_ads_consents_are_recorded_both_ways(con):
    """A third of the people have an 'ads' consent record (custom audiences), granted or refused."""
    people, granted, refused = con.execute("""
        select count(distinct contact_id), count(*) filter (where granted), count(*) filter (where not granted)
        from crm_consents where channel = 'ads'""").fetchone()
    assert 0.3 * 5000 < people < 0.4 * 5000
    assert granted > 0 and refused > 0
    assert one(con, "select count(distinct channel) from crm_consents") == 4
