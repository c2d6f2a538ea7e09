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
        assert len(check["columns"]) >= 8, (table, check["columns"])  # the scores themselves are compared
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
])
def test_comparison_catches_a_different_query(bench_db, step, old, new):
    original = next(s for s in bench.STEPS if s.name == step)
    assert old in original.sql
    changed = dataclasses.replace(original, sql=original.sql.replace(old, new))
    _, _, report = bench.hand_written(changed, bench_db, 2, "1500MB", project_dir())
    assert sum(c["mismatches"] for c in report["checks"].values()) > 0
