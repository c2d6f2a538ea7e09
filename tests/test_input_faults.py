"""Input that used to be silently wrong (issue 11, items 7-10), each kind on every format it concerns:

- two columns of one name (CSV, TSV, csv.gz, Parquet; "Email" and email in a PostgreSQL table) stop the build before
  dbt runs, naming the file and the column, instead of reading the first (empty) one;
- a number outside its contract domain (a discount of 1.5 or -0.3, a quantity of 2.5, an NPS of 7.5, a CSAT of 4.6)
  is never rounded or kept: its row is quarantined or the value set to NULL, with its reason and a count;
- a malformed CSV line (too few or too many fields, an unterminated quote, a line over max_line_size) is quarantined
  with its file and line number, the other lines are read, and the table reconciles;
- typed sources (a DOUBLE quantity, a DECIMAL price, a TIMESTAMPTZ, a DATE for a timestamp, an INTEGER for a
  boolean) are read by their physical type, on DuckDB files and PostgreSQL tables.

One small end-to-end build (staging and the audit models only) backs the DuckDB checks; the PostgreSQL ones compile
raw_source against typed tables of a throwaway schema and run the SQL.
"""
from __future__ import annotations

import datetime as dt
import gzip
import os
import uuid
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_build
from customer_scoring import rawcheck, runner
from customer_scoring.contract import BY_NAME

PROJECT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 6, 30)
CONTACTS = "contact_id,email\nC1,a@example.com\nC2,b@example.com\nC3,c@example.com\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(text.encode() if isinstance(text, str) else text)
    else:
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def minimal_raw(root: Path) -> Path:
    raw = root / "raw"
    write(raw / "crm" / "contacts.csv", CONTACTS)
    write(raw / "shop" / "orders.csv", "order_id,contact_id,ordered_at,total_amount\nO1,C1,2026-01-01,10.00\n")
    return raw


# --- item 7: duplicate header names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("contacts.csv", "contact_id,email,email\nC1,,a@example.com\n"),
    ("contacts.tsv", "contact_id\temail\t Email \nC1\t\ta@example.com\n"),
    ("contacts.csv.gz", "contact_id;EMAIL;email\nC1;;a@example.com\n"),
])
def test_a_text_file_with_a_column_twice_stops_the_build_naming_file_and_column(tmp_path, name, text):
    raw = minimal_raw(tmp_path)
    (raw / "crm" / "contacts.csv").unlink()
    path = write(raw / "crm" / name, text)
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == [
        f"crm.contacts: 2 columns are named email in {path} (columns 2, 3, names compared without case and "
        f"surrounding spaces): only one can be read; remove or rename the others"]


def test_a_parquet_file_with_a_column_twice_stops_the_build_before_dbt(tmp_path):
    raw = minimal_raw(tmp_path)
    (raw / "crm" / "contacts.csv").unlink()
    path = raw / "crm" / "contacts.parquet"
    # pyarrow writes two fields of one name; DuckDB would read the second as email_1 and staging the empty first
    pq.write_table(pa.table([pa.array(["C1"]), pa.array([""]), pa.array(["a@example.com"])],
                            names=["contact_id", "email", "email"]), path)
    res = runner.build(runner.BuildSettings(as_of=AS_OF, raw_path=raw, work_dir=tmp_path / "build",
                                            publish_dir=tmp_path / "publish"))
    assert not res.success
    assert [s.name for s in res.steps] == ["preflight"]
    assert (f"crm.contacts: 2 columns are named email in {path} (columns 2, 3, names compared without case and "
            f"surrounding spaces)") in res.error


def test_one_column_per_name_passes(tmp_path):
    raw = minimal_raw(tmp_path)
    assert rawcheck.check(raw, "duckdb", {}).errors == []


# --- item 8: domains are data in the contract -----------------------------------------------------------------------

def test_domains_live_in_the_contract_with_their_reason_codes():
    items, surveys = BY_NAME["shop.order_items"], BY_NAME["feedback.surveys"]
    assert (items.column("discount").domain, items.column("discount").out_of_domain_code) == (
        (0, 1), "unreadable_value_nulled")
    assert (items.column("quantity").domain, items.column("quantity").out_of_domain_code) == (
        (1, None), "invalid_quantity")
    assert items.column("unit_price").out_of_domain_code == "negative_amount"
    assert surveys.column("nps").domain_text() == "whole number 0-10"
    assert surveys.column("csat").out_of_domain_code == "csat_out_of_range"
    # every integer column is whole-number only, whatever its range; text and dates have no domain
    assert BY_NAME["crm.accounts"].column("employee_count").domain_text() == "whole number >= 0"
    assert items.column("line_number").out_of_domain_code == "unreadable_value"
    assert BY_NAME["shop.orders"].column("ordered_at").out_of_domain_code is None
    assert BY_NAME["shop.orders"].column("total_amount").out_of_domain_code is None  # credit notes are negative


# --- item 9: malformed CSV lines, seen by the pre-flight check ------------------------------------------------------

LONG = "x" * 2_100_000  # over DuckDB's default max_line_size of 2,000,000 bytes
ORDERS = (
    "order_id;contact_id;ordered_at;total_amount\n"
    "O1;C1;2026-01-01 10:00:00;10.50\n"
    "O2;C1\n"                                    # line 3: too few fields
    "O3;C2;2026-01-02;5;extra\n"                 # line 4: too many fields
    'O4;C2;2026-01-03;"1"2\n'                    # line 5: a quote that is not closed where the field ends
    f"O5;C2;2026-01-04;{LONG}\n"                 # line 6: longer than max_line_size
    "O6;C3;2026-01-05 08:00:00;7\n"              # read: a good line right after the long one
    "O7;C3;2026-01-06 09:00:00;8.25\n"
)


def test_the_preflight_check_names_the_malformed_lines_and_reads_the_rest(tmp_path):
    raw = minimal_raw(tmp_path)
    path = write(raw / "shop" / "orders.csv", ORDERS)
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == []
    assert (f"shop.orders: 4 malformed lines in {path} quarantined as malformed_line, the other lines read (line 3 "
            f"too few fields, line 4 too many fields, line 5 a quoted field is not closed, line 6 longer than "
            f"max_line_size; audit.quarantine has each)") in found.notes
    assert found.as_dict()["malformed_lines"] == {"shop.orders": 4}
    # a declared max_line_size reads the long line
    declared = rawcheck.check(raw, "duckdb", {"raw_dialects": {"shop.orders": {"max_line_size": 3_000_000}}})
    assert declared.as_dict()["malformed_lines"] == {"shop.orders": 3}


def test_a_file_hidden_by_another_of_the_same_table_is_named(tmp_path):
    """orders.parquet next to orders.csv: the Parquet file is read; editing the CSV would change nothing, so the
    pre-flight says which file was read and which was not."""
    raw = minimal_raw(tmp_path)
    csv_path = raw / "shop" / "orders.csv"
    parquet_path = raw / "shop" / "orders.parquet"
    duckdb.connect().execute(f"copy (select * from read_csv('{csv_path}', all_varchar = true)) to '{parquet_path}'")
    notes = rawcheck.check(raw, "duckdb", {}).notes
    assert (f"shop.orders: read {parquet_path}; not read: {csv_path} (one file per table: .parquet, then .csv, "
            f".csv.gz, .tsv; var raw_format csv reads the CSV)") in notes
    assert not [n for n in rawcheck.check(raw, "duckdb", {"raw_format": "csv"}).notes if "not read" in n]


def test_a_quote_never_closed_stops_the_build_naming_the_line_and_the_lines_it_would_swallow(tmp_path):
    """A quote opened on line 7 and never closed reads every later line into one field: quarantined as one malformed
    line, the four good orders after it would be lost while the table still reconciles. The build stops instead."""
    raw = minimal_raw(tmp_path)
    path = write(raw / "shop" / "orders.csv", (
        "order_id,contact_id,ordered_at,total_amount\n"
        "O1,C1,2026-05-01,10.00\nO2,C1,2026-05-02,11.00\nO3,C2,2026-05-03,12.00\nO4,C2,2026-05-04,13.00\n"
        "O9,C1\n"                                   # line 6: too few fields, quarantined
        'O10,"C2,2026-05-01,10.00\n'                # line 7: a quote never closed
        "O5,C5,2026-05-05,120.00\nO6,C6,2026-05-06,20.00\nO7,C1,2026-06-01,30.00\nO8,C2,2026-06-20,40.00\n"))
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == [
        f"shop.orders: line 7 of {path} opens a quoted field that is never closed, so the 4 lines after it would be "
        f"read as part of that field and lost; close the quote on line 7 (or double a quote that is part of the "
        f'text: "")']
    res = runner.build(runner.BuildSettings(as_of=AS_OF, raw_path=raw, work_dir=tmp_path / "build",
                                            publish_dir=tmp_path / "publish"))
    assert not res.success and res.steps[-1].name == "preflight" and "line 7" in res.error


# --- one build: malformed lines, domains and typed Parquet on DuckDB ------------------------------------------------

def typed_parquet(raw: Path) -> None:
    """Order lines, surveys and consents as a warehouse export types them."""
    (raw / "feedback").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "order_id": pa.array(["O1", "O1", "O1", "O6", "O7"]),
        "line_number": pa.array([1, 2, 3, 1, 1], pa.int64()),
        "quantity": pa.array([2.0, 1.0, 2.5, 1.0, 3.0], pa.float64()),
        "unit_price": pa.array([Decimal("2.50"), Decimal("5.50"), Decimal("1.00"), Decimal("7.00"), Decimal("2.75")],
                               pa.decimal128(10, 2)),
        "discount": pa.array([0.1, 1.5, 0.0, -0.3, 1.0], pa.float64()),
    }), raw / "shop" / "order_items.parquet")
    paris = dt.timezone(dt.timedelta(hours=2))
    pq.write_table(pa.table({
        "response_id": pa.array(["S1", "S2", "S3"]),
        "contact_id": pa.array(["C1", "C2", "C3"]),
        "submitted_at": pa.array([dt.datetime(2026, 3, 1, 1, 30, tzinfo=paris)] * 3, pa.timestamp("us", tz="UTC")),
        "nps": pa.array([7.5, 9.0, 11.0], pa.float64()),
        "csat": pa.array([4.6, 5.0, 4.0], pa.float64()),
        "review_rating": pa.array([Decimal("4.5"), Decimal("6.0"), Decimal("1.0")], pa.decimal128(3, 1)),
    }), raw / "feedback" / "surveys.parquet")
    pq.write_table(pa.table({
        "contact_id": pa.array(["C1", "C2", "C3"]),
        "channel": pa.array(["email", "email", "email"]),
        "granted": pa.array([1, 0, 2], pa.int32()),
        "recorded_at": pa.array([dt.date(2026, 2, 1)] * 3, pa.date32()),
    }), raw / "crm" / "consents.parquet")


@pytest.fixture(scope="module")
def faults_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    raw = minimal_raw(root)
    write(raw / "shop" / "orders.csv", ORDERS)
    # a contact's line with a field too many (line 5): its e-mail and name must not reach the quarantine
    write(raw / "crm" / "contacts.csv", CONTACTS + "C4,dee.malformed@example.com,Dee\n")
    typed_parquet(raw)
    # The data tests of these models run on the faulty input (the unit tests run in the session's demo build).
    res = run_build(raw, root, as_of=AS_OF, select=["+dq_reconciliation", "+dq_repairs", "+quarantine"],
                    dbt_tests="data")
    assert res.success, res.error
    con = duckdb.connect(str(root / "build" / "customer_scoring.duckdb"), read_only=True)
    yield con
    con.close()


def test_malformed_lines_are_quarantined_with_file_and_line_and_the_rest_is_read(faults_build):
    rows = faults_build.execute(
        "select order_id, total_amount, dq_status, dq_reason_code, unreadable_detail from staging.stg_shop__orders "
        "order_by order_id nulls last, unreadable_detail".replace("order_by", "order by")).fetchall()
    assert [r[:4] for r in rows[:3]] == [("O1", Decimal("10.50"), "current", None),
                                         ("O6", Decimal("7.00"), "current", None),
                                         ("O7", Decimal("8.25"), "current", None)]
    details = [r[4] for r in rows[3:]]
    assert all(r[2:4] == ("quarantined", "malformed_line") for r in rows[3:])
    assert [d.split(" (")[0] for d in details] == [
        "shop/orders.csv line 3: too few fields",
        "shop/orders.csv line 4: too many fields",
        "shop/orders.csv line 5: a quoted field is not closed",
        "shop/orders.csv line 6: longer than max_line_size, 2000000 bytes",
    ]
    assert details[0] == "shop/orders.csv line 3: too few fields (Expected Number of Columns: 4 Found: 2)"
    assert "declare a larger max_line_size in var raw_dialects" in details[3]


def test_the_malformed_lines_reconcile(faults_build):
    raw_rows, kept, quarantined, merged, later, ok = faults_build.execute(
        "select raw_rows, kept_rows, quarantined_rows, merged_rows, after_as_of_rows, is_reconciled "
        "from audit.dq_reconciliation where source_table = 'shop.orders'").fetchone()
    assert (raw_rows, quarantined, ok) == (7, 4, True)
    assert raw_rows == kept + quarantined + merged + later
    details = [r[0] for r in faults_build.execute(
        "select reason_detail from audit.quarantine "
        "where source_table = 'shop.orders' and reason_code = 'malformed_line' order by reason_detail").fetchall()]
    assert [d.split(":")[0] for d in details] == [f"shop/orders.csv line {n}" for n in (3, 4, 5, 6)]


def test_a_malformed_line_is_quarantined_by_file_line_and_fault_never_by_its_text(faults_build):
    """audit.quarantine is published to BI and a line nobody could read has no contact id an erasure could find:
    a malformed line of crm.contacts is named by its file, line and fault, without the e-mail or the name it holds
    (nor does any other malformed line quote its text)."""
    rows = faults_build.execute(
        "select record_id, contact_id, reason_code, reason_detail from audit.quarantine "
        "where source_table = 'crm.contacts'").fetchall()
    assert rows == [(None, None, "malformed_line",
                     "crm/contacts.csv line 5: too many fields (Expected Number of Columns: 2 Found: 3)")]
    for schema, table, column in faults_build.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema in ('audit', 'staging')").fetchall():
        found = faults_build.execute(f'select count(*) from "{schema}"."{table}" where "{column}" ilike ? '
                                     f'or "{column}" ilike ?', ["%dee.malformed%", "%O2;C1%"]).fetchone()[0]
        assert found == 0, f"{schema}.{table}.{column}"


def test_values_outside_their_domain_are_quarantined_or_nulled_and_counted_never_rounded(faults_build):
    items = faults_build.execute(
        "select order_id, line_number, quantity, unit_price, discount_rate, dq_reason_code, unreadable_detail "
        "from staging.stg_shop__order_items order by order_id, line_number").fetchall()
    assert items == [
        ("O1", 1, 2, Decimal("2.5000"), Decimal("0.1000"), None, None),
        ("O1", 2, 1, Decimal("5.5000"), Decimal("0.0000"), None, "discount = '1.5' (outside its domain: 0-1)"),
        ("O1", 3, None, Decimal("1.0000"), Decimal("0.0000"), "invalid_quantity",
         "quantity = '2.5' (outside its domain: whole number >= 1)"),
        ("O6", 1, 1, Decimal("7.0000"), Decimal("0.0000"), None, "discount = '-0.3' (outside its domain: 0-1)"),
        ("O7", 1, 3, Decimal("2.7500"), Decimal("1.0000"), None, None),
    ]
    surveys = faults_build.execute(
        "select response_id, nps, csat, review_rating, submitted_at from staging.stg_feedback__surveys "
        "order by response_id").fetchall()
    # 01:30 at +02:00 is 23:30 UTC the day before
    at = dt.datetime(2026, 2, 28, 23, 30)
    assert surveys == [("S1", None, None, 4.5, at), ("S2", 9, 5, None, at), ("S3", None, 4, 1.0, at)]
    repairs = dict(faults_build.execute(
        "select source_table || ' ' || reason_code, repaired_rows from audit.dq_repairs "
        "where source_table in ('shop.order_items', 'feedback.surveys')").fetchall())
    assert repairs["shop.order_items unreadable_value_nulled"] == 2  # the two discounts
    assert repairs["feedback.surveys nps_out_of_range"] == 2  # 7.5 and 11
    assert repairs["feedback.surveys csat_out_of_range"] == 1  # 4.6
    assert repairs["feedback.surveys rating_out_of_range"] == 1  # 6.0
    quarantined = faults_build.execute(
        "select record_id, reason_code, reason_detail from audit.quarantine "
        "where source_table = 'shop.order_items'").fetchall()
    assert quarantined == [("O1#3", "invalid_quantity", "quantity = '2.5' (outside its domain: whole number >= 1)")]


def test_typed_booleans_and_dates_are_read_by_their_type(faults_build):
    rows = faults_build.execute(
        "select contact_id, is_granted, recorded_at, dq_reason_code, unreadable_detail from staging.stg_crm__consents "
        "order by contact_id").fetchall()
    feb = dt.datetime(2026, 2, 1)
    # 2 is neither yes nor no: the row cannot do without it (quarantined, its value named)
    assert rows == [("C1", True, feb, None, None), ("C2", False, feb, None, None),
                    ("C3", None, feb, "unreadable_value", "granted = '2'")]


# --- item 10 and 7 on PostgreSQL: typed tables read by raw_source, two names of one column refused ------------------

def pg_conn():
    from customer_scoring import postgres

    try:
        conn = postgres.connect(connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
        if os.environ.get("CS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required (CS_REQUIRE_POSTGRES=1) but not reachable: {exc}")
        pytest.skip(f"no PostgreSQL server reachable through CS_PG_*: {exc}")
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def pg_typed(tmp_path_factory):
    """Typed raw tables in a throwaway schema; yields (connection, schema)."""
    conn = pg_conn()
    schema = f"raw_faults_{uuid.uuid4().hex[:8]}"
    with conn.cursor() as cur:
        cur.execute(f"create schema {schema}")
        cur.execute(f"""
            create table {schema}.order_items (order_id bigint, line_number integer, quantity double precision,
                unit_price numeric(10, 2), discount real);
            insert into {schema}.order_items values (101, 1, 2.0, 2.50, 0.1), (101, 2, 2.5, 1.00, 0),
                (102, 1, 1, -3.00, 0), (102, 2, 1, 4.00, 1.5);
            create table {schema}.surveys (response_id text, contact_id double precision,
                submitted_at timestamp with time zone, nps numeric(4, 1), csat integer, review_rating double precision);
            insert into {schema}.surveys values ('S1', 7, '2026-03-01 01:30:00+02', 7.5, 4, 4.5),
                ('S2', 8, '2026-03-01 12:00:00+00', 9, 6, 5);
            create table {schema}.consents (contact_id text, channel text, granted integer, recorded_at date);
            insert into {schema}.consents values ('C1', 'email', 1, '2026-02-01'), ('C2', 'email', 0, '2026-02-01');
            create table {schema}.contacts (contact_id text, "Email" text, email text);
        """)
    yield conn, schema
    with conn.cursor() as cur:
        cur.execute(f"drop schema {schema} cascade")
    conn.close()


def compile_on_postgres(sql: str, schema: str, tmp: Path) -> str:
    from dbt.cli.main import dbtRunner

    raw_vars = ", ".join(f'"raw_{s}_schema": "{schema}"' for s in ("crm", "shop", "feedback"))
    args = ["compile", "--inline", sql, "--target", "postgres", "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT), "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
            "--vars", "{" + raw_vars + "}", "--quiet"]
    res = dbtRunner().invoke(args)
    assert res.success, f"dbt compile on postgres failed: {res.exception}"
    return res.result.results[0].node.compiled_code


@pytest.mark.postgres
def test_typed_postgres_tables_are_read_by_their_type_within_their_domains(pg_typed, tmp_path):
    conn, schema = pg_typed
    parts = compile_on_postgres(
        "select order_id, line_number, quantity, unit_price, discount, _out_of_domain_code, _unreadable_nulled "
        "from ({{ raw_source('shop', 'order_items') }}) as s order by order_id, line_number\n-- __SPLIT__\n"
        "select response_id, contact_id, submitted_at, nps, csat, review_rating, _out_of_domain_nulled "
        "from ({{ raw_source('feedback', 'surveys') }}) as s order by response_id\n-- __SPLIT__\n"
        "select contact_id, granted, recorded_at from ({{ raw_source('crm', 'consents') }}) as s order by 1",
        schema, tmp_path).split("-- __SPLIT__")
    with conn.cursor() as cur:
        cur.execute(parts[0])
        items = cur.fetchall()
        cur.execute(parts[1])
        surveys = cur.fetchall()
        cur.execute(parts[2])
        consents = cur.fetchall()
    assert items == [
        ("101", 1, 2, Decimal("2.5000"), Decimal("0.1000"), None, None),
        ("101", 2, None, Decimal("1.0000"), Decimal("0.0000"), "invalid_quantity", None),
        ("102", 1, 1, None, Decimal("0.0000"), "negative_amount", None),
        ("102", 2, 1, Decimal("4.0000"), None, None, "discount"),
    ]
    # a float id is 7, not 7.0; the zoned timestamp is UTC; 7.5 and a CSAT of 6 are outside their domains
    assert surveys == [
        ("S1", "7", dt.datetime(2026, 2, 28, 23, 30), None, 4, Decimal("4.5000"), "nps"),
        ("S2", "8", dt.datetime(2026, 3, 1, 12, 0), 9, None, Decimal("5.0000"), "csat"),
    ]
    assert consents == [("C1", True, dt.datetime(2026, 2, 1)), ("C2", False, dt.datetime(2026, 2, 1))]


@pytest.mark.postgres
def test_a_postgres_table_with_two_spellings_of_one_column_stops_the_build(pg_typed):
    conn, schema = pg_typed
    found = rawcheck.check(None, "postgres", {"raw_crm_schema": schema, "raw_shop_schema": schema,
                                              "raw_feedback_schema": schema})
    assert (f"crm.contacts: 2 columns are named email in {schema}.contacts (columns 2, 3, names compared without "
            f"case and surrounding spaces): only one can be read; remove or rename the others") in found.errors
