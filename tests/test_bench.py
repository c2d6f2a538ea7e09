"""The benchmark's hand-written queries stay equivalent to the dbt models they are timed against: on the session's
build, each gives the same rows, column for column, and the comparison does catch a difference."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from conftest import work_db
from customer_scoring import bench
from customer_scoring.runner import project_dir


@pytest.fixture(scope="module")
def bench_db(built, tmp_path_factory):
    """A copy of the session's work database: the hand-written queries write a table into it."""
    dest = tmp_path_factory.mktemp("bench") / "work.duckdb"
    shutil.copy(work_db(built), dest)
    return dest


@pytest.mark.parametrize("step", bench.STEPS, ids=lambda s: s.name)
def test_hand_written_query_matches_the_models(bench_db, step):
    _, _, report = bench.hand_written(step, bench_db, 2, "1500MB", project_dir())
    assert report["rows"] > 0
    for table, check in report["checks"].items():
        # the scores themselves are compared (co-purchase: its 4 counts, support, confidence and lift)
        assert len(check["columns"]) >= (7 if step.name == "co-purchase" else 8), (table, check["columns"])
        assert check["mismatches"] == 0, (table, check)


@pytest.mark.parametrize("step,old,new", [
    ("RFM", "order by round(cast(recency_days as decimal(38, 6)), 0) desc", "order by recency_days"),
    # gaps between checkouts instead of purchase days (issue 10, item 7)
    ("RFM", "from (select distinct contact_id, ordered_on from orders where is_completed)",
     "from (select contact_id, ordered_on from orders where is_completed)"),
    # gross spend instead of net of partial refunds and credit notes (issue 10, item 8)
    ("RFM", "sum(net_amount) filter (where is_completed and ordered_on > date '{as_of}' - {lookback})",
     "sum(net_amount + refunded_amount) filter (where is_completed and ordered_on > date '{as_of}' - {lookback})"),
    ("engagement", "power(0.5, cast(d.age_days as double)", "power(0.6, cast(d.age_days as double)"),
    # order baskets instead of customer baskets
    ("co-purchase", "select distinct cutoff_date, contact_id as basket_id, item_id",
     "select distinct cutoff_date, order_id as basket_id, item_id"),
])
def test_comparison_catches_a_different_query(bench_db, step, old, new):
    original = next(s for s in bench.STEPS if s.name == step)
    assert old in original.sql
    changed = dataclasses.replace(original, sql=original.sql.replace(old, new))
    _, _, report = bench.hand_written(changed, bench_db, 2, "1500MB", project_dir())
    assert sum(c["mismatches"] for c in report["checks"].values()) > 0


def test_training_rows_of_the_build(bench_db):
    """The predictive figures count the session build's training examples: every customer of the as-of date is a
    scoring row, the six default past cut-offs hold the training rows, the fits used some of them."""
    import duckdb

    r = bench.training_rows(bench_db)
    con = duckdb.connect(str(bench_db), read_only=True)
    total, = con.execute("select count(*) from intermediate.int_customer__training_examples").fetchone()
    customers, = con.execute("select count(*) from intermediate.int_customer__order_facts").fetchone()
    con.close()
    c = r["examples"]["int_customer__training_examples"]
    assert c["past_rows"] + c["scoring_rows"] == total
    assert r["as_of_customers"] == customers == c["scoring_rows"] > 50
    assert c["past_cutoffs"] == 6 and 0 < c["past_contacts"] <= customers + 10
    assert set(r["examples"]) == set(bench.EXAMPLE_TABLES)
    assert 0 < r["max_fit_rows"] <= sum(x["past_rows"] for x in r["examples"].values())


def _predictive(run_seconds, predict_seconds, peak, customers=360_000, n=200_000):
    return {"run_seconds": run_seconds, "predict_seconds": predict_seconds, "dbt_peak": peak, "predict_peak": 0.5,
            "parse_peak": 0.2, "parse_seconds": 2.0, "dbt_wall": run_seconds + 3, "node_seconds": 2 * run_seconds,
            "nodes": [("int_predict__orders", run_seconds)], "memory_limit": "1500MB", "detail": "x training rows",
            "examples": {"int_customer__training_examples": {"past_rows": 1_000, "past_contacts": 200,
                                                             "past_cutoffs": 6, "scoring_rows": 300}},
            "as_of_customers": customers, "max_training_customers": n, "max_fit_rows": 900}


@pytest.mark.parametrize("run_seconds,predict_seconds,peak,verdict", [
    (30.0, 25.0, 1.5, "**predictive part: 55.0 s, peak RSS 1.50 GiB** (training examples 30.0 s + predict step 25.0 s; "
                      "within 60 s and 2 GiB"),
    (40.0, 25.0, 1.5, "**predictive part: 65.0 s, peak RSS 1.50 GiB** (training examples 40.0 s + predict step 25.0 s; "
                      "NOT within 60 s and 2 GiB"),
    (30.0, 25.0, 2.1, "NOT within 60 s and 2 GiB"),
])
def test_predictive_verdict(run_seconds, predict_seconds, peak, verdict):
    lines = bench.predictive_lines(_predictive(run_seconds, predict_seconds, peak), {"predict": 20.0})
    assert verdict in lines[0]
    assert "training rows read by the predict step: 1,300 (customer: 1,000 rows of 200 contacts on 6 past cut-offs, " \
           "300 scoring rows)" in lines[3]
    assert "200,000 of the 360,000 customers of the as-of date, 55.6%" in lines[3]


def test_predictive_sample_of_everyone():
    lines = bench.predictive_lines(_predictive(30.0, 25.0, 1.5, customers=7_193), {})
    assert "everyone: 7,193 customers, at most 200,000" in lines[3]


def test_only_names_the_steps_and_needs_an_earlier_build(tmp_path, capsys):
    """`bench --only` times steps on an earlier build's work database: a step it does not know is named with the
    choices (exit 2), a data folder without a build says what to run first (exit 1); nothing is appended."""
    import argparse

    results = tmp_path / "RESULTS.md"
    a = argparse.Namespace(contacts=1000, threads=2, results=str(results))
    manifest = {"contacts": 1000, "rows": {}}
    assert bench.main_only(a, ["offer"], tmp_path / "raw", tmp_path / "work", manifest, (0.0, 0.0, 0.0)) == 2
    assert "unknown step(s) offer: choose from RFM, engagement, co-purchase, offers" in capsys.readouterr().err
    assert bench.main_only(a, ["offers"], tmp_path / "raw", tmp_path / "work", manifest, (0.0, 0.0, 0.0)) == 1
    assert "customer-scoring bench --contacts 1000" in capsys.readouterr().err
    assert not results.exists()


def test_refresh_new_rows_are_those_loaded_between_the_two_builds(tmp_path, monkeypatch):
    """--refresh-days: the new data of the incremental refresh are the rows loaded after the full build's as-of date
    and up to the data's end, out of those loaded up to the end (later rows are in no build)."""
    import datetime as dt

    import duckdb

    (tmp_path / "shop").mkdir()
    end = bench.END_DATE
    con = duckdb.connect()
    con.execute(f"""copy (select * from (values
        (timestamp '{end - dt.timedelta(days=30)} 10:00:00'), (timestamp '{end - dt.timedelta(days=7)} 23:59:59'),
        (timestamp '{end - dt.timedelta(days=6)} 00:00:00'), (timestamp '{end} 23:59:59'),
        (timestamp '{end + dt.timedelta(days=1)} 00:00:00')) as t(_loaded_at)) to '{tmp_path / "shop/orders.parquet"}'""")
    con.close()
    shares = bench.new_row_shares(tmp_path, end - dt.timedelta(days=7))
    assert shares == {"shop.orders": (2, 4)}
    r = {"wall": 10.0, "peak": 1.0, "new_rows": shares,
         "result": {"refresh": {"mode": "incremental", "reason": "after the build as of x"}, "steps": [],
                    "dbt_time": {"seconds_by_folder": {"staging": 1.0}, "slowest": []}}}
    lines = bench.refresh_lines(r, 200.0, end, end - dt.timedelta(days=7))
    assert "5% of the full build" in lines[0] and "shop.orders 2 of 4 (50.00%)" in lines[1]
