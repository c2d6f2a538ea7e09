"""A user's own export, the first time: three CSV files (contacts, orders, order lines) with only the required
columns, 1990s dates written day-first, a semicolon dialect with decimal commas and thousands dots, a timestamp with
an offset, no other table. The build detects the dialect, reads what it can, quarantines what it cannot with a
reason, and publishes the right values; a missing required column stops it before dbt runs, in one line."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import connect_postgres, fresh_pg_database
from customer_scoring import rawcheck, runner

AS_OF = dt.date(1997, 6, 30)

CONTACTS = """contact_id
C1
C2
C3
C4
"""

# C1: two orders (12,50 on 1 January, 1.234,50 on 15 March). C2: one order written with an offset: 1 July 00:30 at
# +02:00 is 30 June 22:30 UTC, on the as-of day. C4: one order on an impossible date (quarantined), one readable.
# O6 is dated after the as-of date: without _loaded_at its date stands for its load time, so it is after_as_of.
ORDERS = """order_id;contact_id;ordered_at;total_amount
O1;C1;01/01/1997;12,50
O2;C1;15/03/1997 14:05;1.234,50
O3;C2;1997-07-01T00:30:00+02:00;99,90
O4;C4;31/02/1997;10,00
O5;C4;20/06/1997;20,00
O6;C1;01/07/1997 09:00;5,00
"""

ORDER_ITEMS = """order_id;quantity;unit_price
O1;1;12,50
O2;2;617,25
O3;1;99,90
O5;1;20,00
"""


def write_three_csvs(root: Path, orders: str = ORDERS) -> Path:
    raw = root / "raw"
    (raw / "crm").mkdir(parents=True)
    (raw / "shop").mkdir(parents=True)
    (raw / "crm" / "contacts.csv").write_text(CONTACTS)
    (raw / "shop" / "orders.csv").write_text(orders)
    (raw / "shop" / "order_items.csv").write_text(ORDER_ITEMS)
    return raw


def test_generated_contract_files_are_current():
    """macros/utils/raw_contract.sql and docs/INPUT_CONTRACT.md are generated from customer_scoring/contract.py:
    `python -m customer_scoring.contract` rewrites them after a change."""
    from customer_scoring import contract

    root = Path(__file__).resolve().parents[1]
    assert (root / "macros" / "utils" / "raw_contract.sql").read_text() == contract.render_macro()
    assert (root / "docs" / "INPUT_CONTRACT.md").read_text() == contract.render_docs()


def test_preflight_detects_the_dialect_and_lists_what_is_absent(tmp_path):
    raw = write_three_csvs(tmp_path)
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == []
    assert found.dbt_vars["raw_dialects_detected"]["shop.orders"] == {
        "decimal_mark": ",", "thousands_mark": ".", "date_order": "dmy"}
    assert found.dbt_vars["raw_dialects_detected"]["shop.order_items"] == {"decimal_mark": ","}
    notes = "\n".join(found.notes)
    assert "marketing.events: absent, read as empty" in notes
    assert "shop.orders: no column status, currency, channel, refunded_amount, credited_order_id, updated_at, _loaded_at" in notes
    # what the user declares is never overridden by detection
    declared = rawcheck.check(raw, "duckdb", {"raw_dialects": {"shop.orders": {"date_order": "mdy"}}})
    assert "date_order" not in declared.dbt_vars["raw_dialects_detected"]["shop.orders"]


def test_a_missing_required_column_stops_the_build_before_dbt_in_one_line(tmp_path):
    raw = write_three_csvs(tmp_path, ORDERS.replace(";total_amount", ";amount"))
    res = runner.build(runner.BuildSettings(as_of=AS_OF, raw_path=raw, work_dir=tmp_path / "build",
                                            publish_dir=tmp_path / "publish"))
    assert not res.success
    assert [s.name for s in res.steps] == ["preflight"]
    assert ("shop.orders: column total_amount is missing from " in res.error
            and "required: monetary value, average basket, spend trend (rename the column that holds it; columns "
                "not in the contract: amount)" in res.error)
    assert res.publication is None


def test_a_latin1_export_is_read_and_its_encoding_detected(tmp_path):
    raw = write_three_csvs(tmp_path)
    (raw / "crm" / "contacts.csv").write_bytes("contact_id;first_name\r\nC1;Zoé\r\nC2;Jérôme\r\n".encode("latin-1"))
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == []
    assert found.dbt_vars["raw_dialects_detected"]["crm.contacts"] == {"encoding": "latin-1"}


def test_undecidable_values_are_named_with_the_var_to_set_and_declaring_silences_them(tmp_path):
    raw = write_three_csvs(tmp_path, "order_id;contact_id;ordered_at;total_amount\nO1;C1;01/02/1997;1,234\n"
                                     "O2;C2;03/04/1997;2,500\n")
    notes = "\n".join(rawcheck.check(raw, "duckdb", {}).notes)
    assert ("shop.orders: 2 numbers such as '1,234' could be a thousands comma or a decimal comma" in notes
            and "(columns total_amount)" in notes and '{"shop.orders": {"decimal_mark": ","}}' in notes)
    assert "shop.orders: 2 dates such as '01/02/1997' fit both day-first and month-first" in notes
    declared = {"raw_dialects": {"shop.orders": {"decimal_mark": ",", "date_order": "dmy"}}}
    notes = "\n".join(rawcheck.check(raw, "duckdb", declared).notes)
    assert "could be a thousands comma" not in notes and "fit both" not in notes


def test_a_missing_required_table_names_it(tmp_path):
    raw = write_three_csvs(tmp_path)
    (raw / "shop" / "orders.csv").unlink()
    found = rawcheck.check(raw, "duckdb", {})
    assert found.errors == ["shop.orders: absent (no a file <raw>/shop/orders.parquet or .csv); required: orders: "
                            "RFM and every customer value criterion"]


@pytest.fixture(scope="module")
def own_build(tmp_path_factory):
    """The three CSVs built by the command line in a process whose machine time zone is far from UTC."""
    root = tmp_path_factory.mktemp("own")
    raw = write_three_csvs(root)
    env = {**os.environ, "TZ": "Pacific/Auckland"}
    proc = subprocess.run(
        [sys.executable, "-m", "customer_scoring", "build", "--as-of", AS_OF.isoformat(), "--raw", str(raw),
         "--work-dir", str(root / "build"), "--publish-dir", str(root / "publish"), "--exclude", "test_type:unit",
         "--json"],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    con = duckdb.connect(str(root / "publish" / "customer_scoring.duckdb"), read_only=True)
    yield result, con
    con.close()


def test_three_csvs_publish_the_right_scores(own_build):
    result, con = own_build
    rows = {r[0]: r[1:] for r in con.execute(
        "select contact_id, frequency_orders, monetary_net, recency_days, first_order_at, last_order_at "
        "from marts.customer_scores order by 1").fetchall()}
    assert set(rows) == {"C1", "C2", "C4"}
    # decimal comma and thousands dot read; day-first dates read; O6 (after the as-of date) not counted
    assert rows["C1"][:3] == (2, Decimal('1247.00'), (AS_OF - dt.date(1997, 3, 15)).days)
    assert rows["C1"][4] == dt.datetime(1997, 3, 15, 14, 5)
    # the offset is honoured: 30 June 22:30 UTC, recency 0, whatever the machine's time zone
    assert rows["C2"][:3] == (1, Decimal('99.90'), 0)
    assert rows["C2"][4] == dt.datetime(1997, 6, 30, 22, 30)
    # the impossible date quarantines its order only; the customer keeps the readable one
    assert rows["C4"][:3] == (1, Decimal('20.00'), 10)
    assert con.execute("select contact_id from marts.lead_scores").fetchall() == [("C3",)]
    assert result["inputs"]["detected_vars"]["raw_dialects_detected"]["shop.orders"]["decimal_mark"] == ","


def test_below_the_minimum_data_no_model_is_fitted_the_status_says_why_and_the_scores_build(own_build):
    """Three customers and one lead: every predictive target is below the minimum data (var prediction_min_examples,
    500). Nothing is predicted, model_status says how much data there is in one line, and the rule-based scores,
    the 'predict' profile included (recency carries it), still build."""
    result, con = own_build
    status = {t: (s, m) for t, s, m in con.execute(
        "select target, status, message from marts.model_status").fetchall()}
    assert set(status) == {"p_purchase", "churn_risk", "expected_orders", "expected_revenue", "p_alive", "p_convert",
                           "p_campaign_response"}
    assert {s for s, _ in status.values()} == {"not_fitted"}, status
    assert status["p_purchase"][1] == "3 customers with history, 500 needed (var prediction_min_examples)", status
    assert status["p_convert"][1].startswith("1 leads, 500 needed"), status
    scores = con.execute("select count(*), count(p_purchase), count(p_alive), count(score_predict), "
                         "count(primary_score) from marts.customer_scores").fetchone()
    assert scores == (3, 0, 0, 3, 3)
    assert con.execute("select count(p_convert) from marts.lead_scores").fetchone() == (0,)
    predict_step = next(s for s in result["steps"] if s["name"] == "predict")
    assert predict_step["success"] and "7 not fitted" in predict_step["detail"], predict_step


def test_unreadable_values_are_quarantined_with_their_text_and_counts_reconcile(own_build):
    _, con = own_build
    q = con.execute("select record_id, reason_code, reason_detail from audit.quarantine "
                    "where source_table = 'shop.orders' order by 1").fetchall()
    assert q == [("O4", "unreadable_value", "ordered_at = '31/02/1997'")]
    recon = con.execute("select source_table, raw_rows, kept_rows, quarantined_rows, after_as_of_rows, "
                        "is_reconciled from audit.dq_reconciliation "
                        "where source_table in ('shop.orders', 'marketing.events') order by 1").fetchall()
    assert recon == [("marketing.events", 0, 0, 0, 0, True), ("shop.orders", 6, 4, 1, 1, True)]


def test_dq_inputs_says_what_was_absent_and_what_it_was_for(own_build):
    _, con = own_build
    rows = dict(con.execute(
        "select input_id, input_status || ': ' || effect from audit.dq_inputs "
        "where input_id in ('marketing.events.event_type', 'shop.orders.status', 'shop.orders.currency', "
        "'shop.orders.total_amount', 'crm.contacts.email')").fetchall())
    assert rows == {
        "marketing.events.event_type": "absent_table: table read as empty",
        "shop.orders.status": "absent_column: read as completed",
        "shop.orders.currency": "absent_column: read as EUR",
        "shop.orders.total_amount": "present: read as decimal from varchar",
        "crm.contacts.email": "absent_column: read as NULL",
    }


# ---------------------------------------------------------------------------------------------------- PostgreSQL
PG_SCHEMAS = {"raw_crm_schema": "own_raw_crm", "raw_shop_schema": "own_raw_shop",
              "raw_marketing_schema": "own_raw_marketing", "raw_feedback_schema": "own_raw_feedback",
              "raw_enrichment_schema": "own_raw_enrichment"}


def _pg_text_tables(conn):
    """The three CSVs as text tables in their own raw schemas, as an EL tool that loads everything as text would."""
    cur = conn.cursor()
    cur.execute("drop schema if exists own_raw_crm cascade; drop schema if exists own_raw_shop cascade; "
                "create schema own_raw_crm; create schema own_raw_shop")
    for schema, name, text in (("own_raw_crm", "contacts", CONTACTS), ("own_raw_shop", "orders", ORDERS),
                               ("own_raw_shop", "order_items", ORDER_ITEMS)):
        lines = [ln.split(";") for ln in text.strip().splitlines()]
        cols = ", ".join(f'"{c}" text' for c in lines[0])
        cur.execute(f"create table {schema}.{name} ({cols})")
        for row in lines[1:]:
            cur.execute(f"insert into {schema}.{name} values ({', '.join(['%s'] * len(row))})", row)
    conn.commit()


@pytest.mark.postgres
@pytest.mark.slow
def test_the_same_text_tables_give_the_same_scores_on_postgres(own_build, tmp_path, monkeypatch):
    # a database of its own: these 3 customers must not publish over the demo build's publication (refused: row loss)
    monkeypatch.setenv("CS_PG_DATABASE", fresh_pg_database("own_data"))
    conn = connect_postgres()
    try:
        _pg_text_tables(conn)
        found = rawcheck.check(None, "postgres", PG_SCHEMAS)
        assert found.errors == []
        assert found.dbt_vars["raw_dialects_detected"]["shop.orders"] == {
            "decimal_mark": ",", "thousands_mark": ".", "date_order": "dmy"}
        res = runner.build(runner.BuildSettings(as_of=AS_OF, target="postgres", work_dir=tmp_path / "build",
                                                publish_dir=tmp_path / "publish", extra_vars=dict(PG_SCHEMAS),
                                                exclude=["test_type:unit"]))
        assert res.success, res.error
        cur = conn.cursor()
        sql = ("select contact_id, frequency_orders, monetary_net, recency_days, first_order_at, last_order_at, "
               "primary_score, primary_tier from {} order by 1")
        cur.execute(sql.format("marts.customer_scores"))
        on_pg = cur.fetchall()
        cur.execute("select record_id, reason_code, reason_detail from audit.quarantine "
                    "where source_table = 'shop.orders' order by 1")
        quarantine_pg = cur.fetchall()
    finally:
        conn.close()
    _, con = own_build
    on_duckdb = con.execute(sql.format("marts.customer_scores")).fetchall()
    assert [tuple(r) for r in on_pg] == [tuple(r) for r in on_duckdb]
    assert quarantine_pg == [("O4", "unreadable_value", "ordered_at = '31/02/1997'")]
