"""The runner: exit codes, atomic publication, readers during a build, failed builds, reproducibility."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_scoring import cli, runner
from conftest import END_DATE, PROJECT, copy_project, run_build


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_as_of(path: Path) -> dt.date:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select as_of_date from meta.publication").fetchone()[0]
    finally:
        con.close()


def dump_tables(db: Path) -> dict[str, str]:
    """sha256 of every published table written as CSV in a total order."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_schema in ('marts', 'audit') order by 1, 2").fetchall()
        for schema, table in tables:
            rows = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
            out[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        con.close()
    return out


def test_build_publishes_every_public_table(built):
    assert built.publication.name == "customer_scoring.duckdb"
    names = [s.name for s in built.steps]
    order = ["parse", "dbt build", "checks", "publish"]
    assert [n for n in names if n in order] == order and names[-1] == "publish", names
    con = duckdb.connect(str(built.publication), read_only=True)
    try:
        names = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
    finally:
        con.close()
    assert {"audit.quarantine", "audit.dq_reconciliation", "audit.dq_repairs", "audit.dq_freshness",
            "meta.publication"} <= names
    assert not any(n.startswith(("staging.", "intermediate.")) for n in names), "private layers must not be published"


def test_same_input_and_as_of_give_identical_marts(demo_raw, built, tmp_path):
    again = run_build(demo_raw, tmp_path)
    assert again.success, again.error
    first, second = dump_tables(built.publication), dump_tables(again.publication)
    assert first and first == second


def test_reader_keeps_old_publication_and_never_blocks_a_build(demo_raw, tmp_path):
    first = run_build(demo_raw, tmp_path, as_of=END_DATE - dt.timedelta(days=30))
    assert first.success, first.error
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(first.publication)!r}, read_only=True)
            print(con.execute("select as_of_date from meta.publication").fetchone()[0], flush=True)
            sys.stdin.readline()  # hold the file open until the build below is done
            print(con.execute("select as_of_date from meta.publication").fetchone()[0], flush=True)
            print(con.execute("select count(*) from audit.dq_reconciliation").fetchone()[0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().strip() == str(END_DATE - dt.timedelta(days=30))
        second = run_build(demo_raw, tmp_path, as_of=END_DATE)  # the reader holds the old file open all along
        assert second.success, second.error
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    held_as_of, held_rows = out.split()
    assert held_as_of == str(END_DATE - dt.timedelta(days=30)), "an open reader must keep its complete snapshot"
    assert int(held_rows) > 0
    assert published_as_of(second.publication) == END_DATE, "a new reader sees the new publication"


def test_failed_build_leaves_last_publication_untouched(demo_raw, tmp_path):
    good = run_build(demo_raw, tmp_path)
    assert good.success, good.error
    before = sha256(good.publication)
    broken = tmp_path / "broken_raw"
    import shutil
    shutil.copytree(demo_raw, broken)
    (broken / "shop" / "orders.parquet").write_bytes(b"this is not parquet")
    bad = run_build(broken, tmp_path, as_of=END_DATE - dt.timedelta(days=1))
    assert not bad.success
    # Caught by the raw pre-flight check, or by dbt reading the file: either way the table is named.
    assert not bad.steps[-1].success and ("shop/orders.parquet" in bad.error or "stg_shop__orders" in bad.error)
    assert sha256(good.publication) == before
    assert published_as_of(good.publication) == END_DATE
    assert not list((tmp_path / "publish").glob(".*.tmp")), "no temporary file left behind"


def test_staging_model_dropping_a_row_fails_the_build(demo_raw, tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    model = project / "models" / "staging" / "stg_shop__orders.sql"
    sql = model.read_text()
    assert sql.rstrip().endswith("select * from classified")
    model.write_text(sql.rstrip() + "\nwhere raw_row_key <> (select min(raw_row_key) from classified)\n")
    monkeypatch.setenv("CS_PROJECT_DIR", str(project))
    # Unit tests would catch this edit too (and skip the model); leave them out to see the reconciliation test act.
    res = run_build(demo_raw, tmp_path, select=["+stg_shop__orders"], dbt_tests="data")
    assert not res.success
    assert any("row_count_matches_source_stg_shop__orders" in f and ": fail:" in f for f in res.failures), res.failures
    assert not (tmp_path / "publish" / "customer_scoring.duckdb").exists()


def test_cli_exit_codes(demo_raw, tmp_path):
    ok = cli.main(["build", "--as-of", str(END_DATE), "--raw", str(demo_raw), "--work-dir", str(tmp_path / "b"),
                   "--publish-dir", str(tmp_path / "p"), "--select", "+stg_crm__accounts", "--exclude",
                   "resource_type:test", "test_type:unit"])
    assert ok == 0
    assert cli.main(["build", "--as-of", "30/06/2026", "--raw", str(demo_raw)]) == 2
    assert cli.main(["build", "--as-of", str(END_DATE), "--raw", str(tmp_path / "missing"),
                     "--work-dir", str(tmp_path / "b")]) == 1


def test_cli_runs_as_a_module(tmp_path):
    out = subprocess.run([sys.executable, "-m", "customer_scoring", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "demo" in out.stdout


def test_two_builds_on_one_work_dir_do_not_run_at_once(tmp_path):
    lock = tmp_path / ".build.lock"
    with runner._exclusive_lock(lock):
        with pytest.raises(runner.BuildError, match="another build"):
            with runner._exclusive_lock(lock):
                pass


def test_optional_tables_switched_off_keep_the_build_green(tmp_path):
    """With every optional table off and their files absent, the build passes and accounts for the rest."""
    from customer_scoring.generate import generate_demo_data

    raw = tmp_path / "raw"
    generate_demo_data(raw, contacts=300, seed=3, end_date=END_DATE, include_optional=False)
    switches = ["enable_opportunities", "enable_consents", "enable_erasure_requests", "enable_campaigns",
                "enable_surveys", "enable_enrichment"]
    res = run_build(raw, tmp_path, extra_vars={s: False for s in switches}, dbt_tests="data")
    assert res.success, res.error
    con = duckdb.connect(str(res.publication), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select source_table from audit.dq_reconciliation").fetchall()}
        customers = con.execute("select count(*), count(nps_class) from marts.customer_scores").fetchone()
    finally:
        con.close()
    assert tables == {"crm.accounts", "crm.contacts", "shop.products", "shop.orders", "shop.order_items",
                      "marketing.events"}
    assert customers[0] > 0 and customers[1] == 0, "without surveys, customers are scored with no NPS"


def test_raw_csv_files_build_like_parquet(tmp_path):
    """--csv demo files, read with raw_format csv, give the same accounting as the Parquet files."""
    from customer_scoring.generate import generate_demo_data

    raw = tmp_path / "raw"
    generate_demo_data(raw, contacts=300, seed=5, end_date=END_DATE, csv=True)
    sql = "select source_table, raw_rows, kept_rows, quarantined_rows, merged_rows from audit.dq_reconciliation"
    counts = []
    for fmt in ("parquet", "csv"):
        res = run_build(raw, tmp_path / fmt, extra_vars={"raw_format": fmt})
        assert res.success, res.error
        con = duckdb.connect(str(res.publication), read_only=True)
        counts.append(sorted(con.execute(sql).fetchall()))
        con.close()
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------------------------------------------
# What the runner says: the result file, stdout, stderr; freshness against the as-of date; audit warnings
# ---------------------------------------------------------------------------------------------------------------
REFERENCE_TABLES = {"shop.products", "marketing.campaigns", "enrichment.firmographics", "crm.erasure_requests"}
DATED_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z? (INFO|WARNING|ERROR|DEBUG) ")  # Z: UTC


def run_cli(*args: str, project: Path = PROJECT) -> subprocess.CompletedProcess:
    """`customer-scoring <args>` in a child process: its stdout and stderr apart, as a user sees them."""
    return subprocess.run([sys.executable, "-m", "customer_scoring", *args], capture_output=True, text=True,
                          cwd=PROJECT, timeout=600, env={**os.environ, "CS_PROJECT_DIR": str(project)})


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    """300 generated contacts, Parquet and CSV, history ending on END_DATE (last rows loaded END_DATE 23:59:59)."""
    from customer_scoring.generate import generate_demo_data

    raw = tmp_path_factory.mktemp("small_raw")
    generate_demo_data(raw, contacts=300, seed=11, end_date=END_DATE, csv=True)
    return raw


def test_demo_build_is_fresh_as_of_its_end_date_and_has_no_warnings(built):
    """The session's demo build: every raw table judged against the as-of date; reference tables loaded once are not
    checked (freshness: null in __sources.yml), so the demo shows no failure and no warning."""
    assert set(built.freshness) == {
        "crm.accounts", "crm.contacts", "crm.opportunities", "crm.consents", "crm.erasure_requests", "shop.products",
        "shop.orders", "shop.order_items", "marketing.events", "marketing.campaigns", "marketing.campaign_members",
        "feedback.surveys", "enrichment.firmographics"}
    statuses = {t: f["status"] for t, f in built.freshness.items()}
    assert {t for t, s in statuses.items() if s == "not_checked"} == REFERENCE_TABLES
    assert not {t for t, s in statuses.items() if s in ("stale", "empty")}, statuses
    orders = built.freshness["shop.orders"]
    assert orders["status"] == "fresh" and orders["days_since_load"] == 0
    assert (orders["warn_after_days"], orders["error_after_days"]) == (2, 7), "thresholds from __sources.yml"
    assert built.warnings == []
    con = duckdb.connect(str(built.publication), read_only=True)
    try:
        later = con.execute("select count(*) from audit.dq_reconciliation "
                            "where warning is not null or after_as_of_share <> 0").fetchone()[0]
    finally:
        con.close()
    assert later == 0, "as of the last load day nothing was loaded later"


def test_cli_prints_a_summary_and_writes_the_json_result_to_a_file(small_raw, tmp_path):
    out = run_cli("build", "--as-of", str(END_DATE), "--raw", str(small_raw), "--work-dir", str(tmp_path / "b"),
                  "--publish-dir", str(tmp_path / "p"), "--select", "+stg_crm__accounts", "--exclude",
                  "resource_type:test", "test_type:unit")
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "b" / "logs" / "last_run.json").read_text())
    assert result["success"] and result["as_of_date"] == str(END_DATE)
    assert result["warnings"] == [] and "warnings" in result
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.stdout)
    # +stg_crm__accounts builds no public table: nothing to publish, and the summary says so.
    assert out.stdout.splitlines()[0] == f"build {result['run_id']} as of {END_DATE}: ok, publish: skipped: this " \
                                         f"selection rebuilt none of the {len(result['public_relations'])} public " \
                                         "relations; the previous publication, if any, stays"
    assert out.stdout.splitlines()[-1] == f"  result: {tmp_path / 'b' / 'logs' / 'last_run.json'}; " \
                                          f"dbt log: {tmp_path / 'b' / 'logs' / 'dbt.log'}"
    assert "Running with dbt" not in out.stdout + out.stderr, "dbt's own console lines stay in its log file"
    assert (tmp_path / "b" / "logs" / "dbt.log").stat().st_size > 0, "dbt's file log is kept"
    lines = out.stderr.splitlines()
    assert lines and all(DATED_LINE.match(line) for line in lines), lines
    assert any(re.search(r"step dbt build +ok in", line) for line in lines)


@pytest.mark.parametrize("broken", ["raw file", "model"])
def test_cli_failure_speaks_once_and_json_goes_to_stdout_only_when_asked(small_raw, tmp_path, broken):
    """A corrupt raw file (caught before dbt runs) and a model that fails inside dbt: either way the message is
    printed once on stderr, without dbt's own coloured lines, and the JSON result on stdout is the file's."""
    raw, project = small_raw, PROJECT
    if broken == "raw file":
        raw = tmp_path / "raw"
        shutil.copytree(small_raw, raw, ignore=shutil.ignore_patterns("*.csv"))
        (raw / "shop" / "orders.parquet").write_bytes(b"this is not parquet")
    else:
        project = copy_project(tmp_path / "project")
        model = project / "models" / "staging" / "stg_shop__orders.sql"
        model.write_text(model.read_text().rstrip() + "\nwhere no_such_column_in_orders = 1\n")
    out = run_cli("build", "--as-of", str(END_DATE), "--raw", str(raw), "--work-dir", str(tmp_path / "b"),
                  "--publish-dir", str(tmp_path / "p"), "--select", "+stg_shop__orders", "--exclude",
                  "resource_type:test", "test_type:unit", "--vars", '{"raw_format": "parquet"}', "--json",
                  project=project)
    assert out.returncode == 1, out.stderr
    printed = json.loads(out.stdout)
    assert printed == json.loads((tmp_path / "b" / "logs" / "last_run.json").read_text())
    assert not printed["success"] and printed["publication"] is None
    step = printed["steps"][-1]
    assert not step["success"] and printed["error"] == f"{step['name']}: {step['detail']}"
    assert "orders" in step["detail"], "the message names the broken table or model"
    if broken == "model":
        assert step["name"] == "dbt build" and "no_such_column_in_orders" in step["detail"]
        assert "model.customer_scoring.stg_shop__orders" in step["detail"]
    # Said once: the step's log line carries the whole message, nothing repeats it (nor any line of it).
    assert out.stderr.count(step["detail"]) == 1, out.stderr
    for line in step["detail"].splitlines():
        assert out.stderr.count(line.strip()) == 1, line
    assert out.stderr.count("FAILED") == 1
    assert "\x1b[" not in out.stderr, "no coloured dbt lines"
    assert not (tmp_path / "p" / "customer_scoring.duckdb").exists()


def test_freshness_of_csv_raw_files_is_judged_against_the_as_of_date(small_raw, tmp_path):
    """CSV raw files (text columns, where `dbt source freshness` cannot compare): the newest row of shop.orders was
    loaded on END_DATE, so it is fresh as of END_DATE, and stale (error_after 7 days) as of 10 days later: a warning
    without --fail-on-stale, a failed build (exit 1, nothing published, the table named) with it."""
    csv = {"raw_format": "csv"}
    later = END_DATE + dt.timedelta(days=10)
    same_day = run_build(small_raw, tmp_path / "same_day", select=["+dq_freshness"], extra_vars=csv)
    assert same_day.success, same_day.error
    assert same_day.freshness["shop.orders"]["status"] == "fresh"
    assert same_day.freshness["shop.orders"]["days_since_load"] == 0
    assert same_day.freshness["shop.orders"]["newest_loaded_at"].startswith(f"{END_DATE} 23:59:59")
    for table in ("crm.contacts", "marketing.events", "shop.order_items"):  # also loaded up to END_DATE
        assert same_day.freshness[table]["status"] == "fresh", same_day.freshness

    ten_days = run_build(small_raw, tmp_path / "ten_days", as_of=later, select=["+dq_freshness"], extra_vars=csv)
    assert ten_days.success, ten_days.error
    orders = ten_days.freshness["shop.orders"]
    assert (orders["status"], orders["days_since_load"], orders["error_after_days"]) == ("stale", 10, 7)
    assert ten_days.freshness["shop.products"]["status"] == "not_checked"
    stale_lines = [w for w in ten_days.warnings if w.startswith(f"stale raw tables as of {later}")]
    assert len(stale_lines) == 1 and "shop.orders (10 days, error after 7)" in stale_lines[0]
    assert "shop.products" not in stale_lines[0]

    work = tmp_path / "fail"
    code = cli.main(["build", "--as-of", str(later), "--raw", str(small_raw), "--work-dir", str(work / "b"),
                     "--publish-dir", str(work / "p"), "--select", "+dq_freshness", "--exclude",
                     "resource_type:test", "test_type:unit",
                     "--vars", json.dumps(csv), "--fail-on-stale"])
    assert code == 1
    result = json.loads((work / "b" / "logs" / "last_run.json").read_text())
    assert [s["name"] for s in result["steps"]][-1] == "checks"
    assert result["error"].startswith(f"checks: stale raw tables as of {later} (--fail-on-stale): ")
    assert "shop.orders (10 days, error after 7)" in result["error"]
    assert not (work / "p" / "customer_scoring.duckdb").exists()


def test_rows_loaded_after_the_as_of_date_warn(small_raw, tmp_path):
    """A snapshot export extracted the day after the as-of date (every contact and order has _loaded_at END_DATE + 1
    day): the build passes but sees no contact and no order; dq_reconciliation says so with the fix, the runner lists
    those warnings and the empty customer and lead marts."""
    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw, ignore=shutil.ignore_patterns("*.csv"))
    extracted = dt.datetime.combine(END_DATE + dt.timedelta(days=1), dt.time(6, 0))
    counts = {}
    for name in ("crm/contacts", "shop/orders"):
        path = raw / f"{name}.parquet"
        tbl = pq.read_table(path)
        i = tbl.schema.get_field_index("_loaded_at")
        tbl = tbl.set_column(i, tbl.schema.field(i), pa.array([extracted] * tbl.num_rows, tbl.schema.field(i).type))
        pq.write_table(tbl, path)
        counts[name.replace("/", ".")] = tbl.num_rows
    res = run_build(raw, tmp_path)
    assert res.success, res.error
    con = duckdb.connect(str(res.publication), read_only=True)
    try:
        rows = {r[0]: r[1:] for r in con.execute(
            "select source_table, raw_rows, after_as_of_rows, after_as_of_share, warning "
            "from audit.dq_reconciliation").fetchall()}
    finally:
        con.close()
    fix = ("if the export is a snapshot whose _loaded_at is the extraction time, build as of a later date, or pass "
           "--vars '{\"ignore_loaded_at\": true}' so visibility follows the business dates")
    for table, n in counts.items():
        assert rows[table][:3] == (n, n, 1.0)
        assert rows[table][3] == f"most rows ({n} of {n}) were loaded after the as-of date {END_DATE}: {fix}"
        assert f"{table}: {rows[table][3]}" in res.warnings
    assert rows["crm.accounts"][2:] == (0.0, None), "a table loaded before the as-of date does not warn"
    empty = [w for w in res.warnings if w.startswith("no customer and no lead scored")]
    assert empty == [f"no customer and no lead scored as of {END_DATE} although crm.contacts has "
                     f"{counts['crm.contacts']:,} raw rows (0 visible as of {END_DATE}): marts.customer_scores and "
                     "marts.lead_scores are empty"]
