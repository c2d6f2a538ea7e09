"""GDPR (issue 15): erasure (art. 17), objection to profiling (art. 21) and personal data kept out of the marts.

One small build (300 demo contacts, with the dbt data tests: they must hold with an objector and an erasure) on
demo data with rows appended to the raw files:
- an erasure request naming, by the contact id of its newer record, a person merged from two CRM records (the same
  e-mail), who has orders, and an event of an unknown type (quarantined, were it not erased);
- the same unknown-type event for a control contact (it must reach the quarantine);
- a consent record 'profiling' / not granted for a customer (the objector), recorded after the earlier date;
- before the build, a backtest of an earlier date (before the request and the objection) ran in the work folder: the
  score history holds the erased person, the objector and the control at that date, and the backtest_* schemas hold
  the person's staged contact and personal data; and the publish folder holds an earlier publication holding the
  person. The one build must remove all of it.
The salt of the erasure log comes from env var CS_ERASURE_SALT, so the test recomputes the documented key hash.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_scoring import backtest
from customer_scoring.generate import generate_demo_data

from conftest import END_DATE, run_build, work_db

SALT = "test-salt-0f9e"
EARLIER = dt.date(2026, 5, 31)
REQUESTED_AT = dt.datetime(2026, 6, 20, 9, 0)


def _append(path: Path, rows: list[dict]) -> None:
    table = pq.read_table(path)
    extra = pa.Table.from_pylist(rows, schema=table.schema)
    pq.write_table(pa.concat_tables([table, extra]), path)


def _pick_people(raw: Path):
    """The merged person (two contact ids, one e-mail, completed orders), the objector (a customer on one record) and
    a control contact (a customer on one record), from the generated files."""
    con = duckdb.connect()
    contacts = str(raw / "crm" / "contacts.parquet")
    orders = str(raw / "shop" / "orders.parquet")
    cutoff = f"timestamp '{END_DATE} 00:00:00'"
    persons = con.execute(f"""
        with c as (
            select contact_id, lower(trim(email)) as email, created_at, _loaded_at from '{contacts}'
            where email like '%@%'
        ),
        people as (
            select email, list(distinct contact_id order by contact_id) as ids
            from c group by email having count(distinct contact_id) = 2
                and max(_loaded_at) < {cutoff} and max(created_at) < {cutoff}
        ),
        buyers as (
            select contact_id, count(*) as n from '{orders}'
            where lower(status) = 'completed' and ordered_at < {cutoff} - interval 30 day
            group by contact_id
        )
        select people.email, people.ids from people
        where exists (select 1 from buyers where list_contains(people.ids, buyers.contact_id))
        order by people.email
    """).fetchall()
    assert persons, "the demo data has no merged customer"
    email, ids = persons[0]
    singles = [r[0] for r in con.execute(f"""
        with c as (select contact_id, lower(trim(email)) as email from '{contacts}' where email like '%@%'),
        singles as (
            select min(contact_id) as contact_id from c group by email
            having count(distinct contact_id) = 1 and count(*) = 1
        )
        select singles.contact_id from singles
        where singles.contact_id in (
            select contact_id from '{orders}'
            where lower(status) = 'completed' and ordered_at < {cutoff} - interval 30 day
        )
        and singles.contact_id not in (select contact_id from '{raw / "crm" / "erasure_requests.parquet"}'
                                       where contact_id is not null)
        order by 1 limit 2
    """).fetchall()]
    con.close()
    return email, list(ids), singles[0], singles[1]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    raw = root / "raw"
    generate_demo_data(raw, contacts=300, seed=7, end_date=END_DATE)
    email, ids, objector, control = _pick_people(raw)
    raw_rows = duckdb.connect().execute(
        f"select count(*) from '{raw / 'crm' / 'contacts.parquet'}' where contact_id in ({', '.join('?' * len(ids))})",
        ids).fetchone()[0]
    loaded = dt.datetime(2026, 6, 20, 10, 0)
    # by the newer record's id: the older record (the golden contact) must go too
    _append(raw / "crm" / "erasure_requests.parquet", [
        {"request_id": "ERTEST1", "email": None, "contact_id": ids[-1], "requested_at": REQUESTED_AT,
         "_loaded_at": loaded}])
    _append(raw / "marketing" / "events.parquet", [
        {"event_id": f"EVTEST{n}", "contact_id": who, "event_type": "no_such_type",
         "occurred_at": dt.datetime(2026, 6, 1), "url": None, "properties": None, "_loaded_at": loaded}
        for n, who in ((1, ids[0]), (2, control))])
    _append(raw / "crm" / "consents.parquet", [
        {"contact_id": objector, "channel": "profiling", "granted": False,
         "recorded_at": dt.datetime(2026, 6, 10), "_loaded_at": loaded}])

    # an earlier publication holding the person
    versions = root / "publish" / "versions"
    versions.mkdir(parents=True)
    old = versions / "customer_scoring.20260531T000000Z-000000.duckdb"
    con = duckdb.connect(str(old))
    con.execute("create schema marts")
    con.execute("create table marts.customer_scores as select ? as contact_id, ? as email", [ids[0], email])
    con.execute("create schema meta")
    con.execute("create table meta.publication as select '20260531T000000Z-000000' as run_id, "
                "date '2026-05-31' as as_of_date, '' as published_at, '{}' as tables_json")
    con.close()
    os.symlink(f"versions/{old.name}", root / "publish" / "customer_scoring.duckdb")

    before = os.environ.get("CS_ERASURE_SALT")
    os.environ["CS_ERASURE_SALT"] = SALT
    try:
        # a backtest of an earlier date in the build's work folder: history rows and backtest_* schemas
        done = backtest.run(backtest.BacktestSettings(start=EARLIER, end=EARLIER, raw_path=raw,
                                                      work_dir=root / "build", performance=False))
        assert done.success, done.error
        con = duckdb.connect(str(root / "build" / "customer_scoring.duckdb"), read_only=True)
        history = dict(con.execute(
            "select entity_id, count(*) from marts.score_history where as_of_date = ? group by entity_id",
            [EARLIER]).fetchall())
        backtest_hits = _text_hits(con, [email], schemas=_backtest_schemas(con))
        con.close()
        res = run_build(raw, root, dbt_tests="data")
    finally:
        if before is None:
            os.environ.pop("CS_ERASURE_SALT", None)
        else:
            os.environ["CS_ERASURE_SALT"] = before
    assert res.success, res.error
    return {"res": res, "root": root, "email": email, "ids": ids, "objector": objector, "control": control,
            "raw_rows": raw_rows, "old_version": old, "history": history, "backtest_hits": backtest_hits}


@pytest.fixture(scope="module")
def pub(case):
    con = duckdb.connect(str(case["res"].publication), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def work(case):
    con = duckdb.connect(str(work_db(case["res"])), read_only=True)
    yield con
    con.close()


def _backtest_schemas(con) -> list[str]:
    return [r[0] for r in con.execute("select distinct table_schema from information_schema.tables "
                                      "where table_schema like 'backtest%' order by 1").fetchall()]


def _text_hits(con, needles: list[str], schemas=None) -> list[str]:
    """Every (table.column) of the database whose text values contain one of `needles` (case-insensitive)."""
    hits = []
    where = f"and table_schema in ({', '.join(repr(s) for s in schemas)})" if schemas is not None else ""
    columns = con.execute(f"""
        select table_schema, table_name, column_name from information_schema.columns
        where data_type in ('VARCHAR', 'TEXT') {where}
    """).fetchall()
    for schema, table, column in columns:
        cond = " or ".join(f'lower("{column}") like ?' for _ in needles)
        n = con.execute(f'select count(*) from "{schema}"."{table}" where {cond}',
                        [f"%{x.lower()}%" for x in needles]).fetchone()[0]
        if n:
            hits.append(f"{schema}.{table}.{column} ({n})")
    return hits


def test_the_published_file_holds_no_trace_of_the_erased_person(case, pub):
    # every text column of every published table (marts, audit: quarantine, history, offers, scores...)
    assert _text_hits(pub, [*case["ids"], case["email"]]) == []
    schemas = {r[0] for r in pub.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert {"marts", "audit"} <= schemas and "pii" not in schemas and "staging" not in schemas


def test_the_person_was_scored_before_and_the_control_is_still_published(case, pub):
    # the test has teeth: the control customer is everywhere the erased person would have been
    control = case["control"]
    assert pub.execute("select count(*) from marts.customer_scores where contact_id = ?", [control]).fetchone()[0] == 1
    assert pub.execute("select count(*) from marts.score_history where entity_id = ? and as_of_date = ?",
                       [control, EARLIER]).fetchone()[0] == case["history"][control] > 0
    assert pub.execute("select count(*) from audit.quarantine where record_id = 'EVTEST2' and contact_id = ?",
                       [control]).fetchone()[0] == 1


def test_history_rows_of_the_erased_and_the_objector_are_deleted_at_every_date(case, work):
    # the backtest scored both at the earlier date, before the request and before the objection
    assert sum(case["history"].get(i, 0) for i in case["ids"]) > 0 and case["history"].get(case["objector"], 0) > 0
    ids = [*case["ids"], case["objector"]]
    placeholders = ", ".join("?" * len(ids))
    for table in ("score_history", "score_factor_history"):
        assert work.execute(f"select count(*) from marts.{table} where entity_id in ({placeholders})",
                            ids).fetchone()[0] == 0, table
    dates = {r[0] for r in work.execute("select distinct as_of_date from marts.score_history").fetchall()}
    assert dates == {EARLIER, END_DATE}


def test_older_publications_are_deleted_when_an_erasure_is_applied(case):
    versions = sorted(p.name for p in (case["root"] / "publish" / "versions").iterdir() if not p.name.startswith("."))
    assert not case["old_version"].exists()
    assert versions == [case["res"].publication.resolve().name]


def test_staging_keeps_the_rows_for_the_counts_but_not_the_personal_data(case, work):
    ids = case["ids"]
    rows = work.execute(f"""
        select dq_status, dq_reason_code, email_raw, email, first_name, last_name, phone, city, birth_date
        from staging.stg_crm__contacts where contact_id in ({', '.join('?' * len(ids))})
    """, ids).fetchall()
    assert len(rows) == case["raw_rows"]
    assert {r[:2] for r in rows} == {("erased", "erased")}
    assert {r[2:] for r in rows} == {(None,) * 7}
    for schema_table in ("intermediate.int_contacts", "intermediate.int_contacts__identity", "pii.contacts"):
        assert work.execute(f"select count(*) from {schema_table} where contact_id in "
                            f"({', '.join('?' * len(ids))})", ids).fetchone()[0] == 0, schema_table


def test_reconciliation_counts_the_erased_rows(case, pub):
    rows = {r[0]: r[1:] for r in pub.execute(
        "select source_table, erased_rows, is_reconciled, raw_rows, kept_rows + quarantined_rows + merged_rows "
        "+ after_as_of_rows + erased_rows from audit.dq_reconciliation").fetchall()}
    assert all(r[1] and r[2] == r[3] for r in rows.values())
    assert rows["crm.contacts"][0] >= case["raw_rows"]  # the demo's own requests erase others too
    assert rows["marketing.events"][0] >= 1 and rows["shop.orders"][0] >= 1 and rows["shop.order_items"][0] >= 1


def test_the_erasure_log_says_what_was_removed_and_holds_no_personal_data(case, pub, work):
    log = pub.execute("select request_id, key_hash, key_type, table_name, rows_removed, requested_at, applied_on "
                      "from audit.erasure_log where request_id = 'ERTEST1'").fetchall()
    removed = {r[3]: r[4] for r in log}
    assert removed["crm.contacts"] == case["raw_rows"]
    # the earlier date's rows, counted before deletion
    assert removed["marts.score_history"] == sum(case["history"].get(i, 0) for i in case["ids"]) > 0
    assert removed["marketing.events"] >= 1 and removed["shop.orders"] >= 1
    # the key: sha256(salt || the normalised key), here the contact id
    expected = hashlib.sha256((SALT + case["ids"][-1]).encode()).hexdigest()
    assert {(r[1], r[2], r[5], r[6]) for r in log} == {(expected, "contact_id", REQUESTED_AT, END_DATE)}
    # no personal data: no e-mail, no contact id, no name of anyone, in any column
    values = pub.execute("select * from audit.erasure_log").fetchall()
    text = json.dumps(values, default=str)
    assert "@" not in text and not re.search(r"\bC\d{4,}", text)
    names = [n for r in work.execute("select first_name, last_name from staging.stg_crm__contacts "
                                     "where first_name is not null").fetchall() for n in r if n and len(n) > 3]
    assert not [n for n in names if n.lower() in text.lower()]


def test_the_erasure_is_logged_once_per_table(case, work):
    rows = work.execute("select table_name, count(*) from audit.erasure_log where request_id = 'ERTEST1' "
                        "group by table_name").fetchall()
    assert {n for _, n in rows} == {1}
    assert {t for t, _ in rows} >= {"crm.contacts", "crm.opportunities", "crm.consents", "shop.orders",
                                    "shop.order_items", "marketing.events", "marketing.campaign_members",
                                    "feedback.surveys", "marts.score_history", "marts.score_factor_history"}


def test_an_objector_to_profiling_is_not_scored_but_keeps_their_contact_record(case, pub, work):
    objector = case["objector"]
    for table in ("customer_scores", "customer_profile_scores", "customer_score_factors", "lead_scores",
                  "offer_scores", "next_best_offers", "score_history"):
        column = "entity_id" if table == "score_history" else "contact_id"
        assert pub.execute(f"select count(*) from marts.{table} where {column} = ?", [objector]).fetchone()[0] == 0
    assert work.execute("select count(*) from pii.contacts where contact_id = ?", [objector]).fetchone()[0] == 1
    assert work.execute("select objected_at from intermediate.int_privacy__profiling_objections "
                        "where contact_id = ?", [objector]).fetchone()[0] == dt.datetime(2026, 6, 10)


def test_marts_publish_ids_not_personal_data(pub):
    personal = {"email", "first_name", "last_name", "phone", "birth_date", "city", "company_domain", "gender"}
    columns = pub.execute("select table_schema || '.' || table_name, column_name from information_schema.columns "
                          "where table_schema in ('marts', 'audit')").fetchall()
    assert [c for c in columns if c[1] in personal] == []
    # gender_fit is weighed by no shipped profile (acquire keeps it at 0): it is no published factor
    factors = dict(pub.execute("select factor, count(*) from marts.customer_score_factors group by factor").fetchall())
    assert "gender_fit" not in factors and factors["recency_days"] > 0


def test_pii_contacts_hashes_the_normalised_email(work):
    rows = work.execute("select email, email_sha256 from pii.contacts where email is not null").fetchall()
    assert rows and all(h == hashlib.sha256(e.encode()).hexdigest() for e, h in rows)
    assert all(e == e.strip().lower() for e, _ in rows)
    assert work.execute("select count(*) from pii.contacts").fetchone()[0] == \
        work.execute("select count(*) from intermediate.int_contacts").fetchone()[0]


def test_no_table_of_the_work_database_holds_the_erased_persons_email(case, work):
    """The work database is personal data too: after the erasure build no table of any schema (staging, pii,
    intermediate, marts, audit, and the backtest's scratch schemas) holds the erased person's e-mail, and the backtest
    schemas, which held it (staged as of the earlier date), are gone."""
    assert case["backtest_hits"], "the backtest schemas should hold the person before the erasure build"
    assert _backtest_schemas(work) == []
    assert _text_hits(work, [case["email"]]) == []
    # their ids remain only where the erasure keeps its own bookkeeping: the staged raw rows (dq_status 'erased',
    # personal columns emptied, counted by the reconciliation), the request and the list of erased ids
    ids = case["ids"]
    kept = []
    with_status = {r for r in work.execute("select table_schema, table_name from information_schema.columns "
                                           "where column_name = 'dq_status'").fetchall()}
    for schema, table, column in work.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where column_name in ('contact_id', 'entity_id', 'source_contact_id')").fetchall():
        erased_rows = "dq_status = 'erased'" if schema == "staging" and (schema, table) in with_status else "false"
        n = work.execute(f'select count(*) from "{schema}"."{table}" where "{column}" in '
                         f'({", ".join("?" * len(ids))}) and not ({erased_rows})', ids).fetchone()[0]
        if n:
            kept.append(f"{schema}.{table}.{column}")
    assert sorted(kept) == ["staging.base_crm__erased_contacts.contact_id",
                            "staging.stg_crm__erasure_requests.contact_id"]


def test_consent_records_no_channel_reads_are_counted_not_silently_ignored(pub, work):
    # the channels of seeds/activation/consent_channels.csv, kept here on purpose: the demo's 'sms' records are read
    # by none of them
    expected = work.execute("select count(*) from staging.stg_crm__consents where dq_status = 'current' and channel "
                            "not in ('email', 'phone', 'ads', 'crm', 'profiling')").fetchone()[0]
    assert expected > 0
    assert pub.execute("select repaired_rows from audit.dq_repairs where source_table = 'crm.consents' "
                       "and reason_code = 'unused_consent_channel'").fetchall() == [(expected,)]
