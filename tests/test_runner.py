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


def build_db(res: runner.BuildResult) -> Path:
    """The work database of a build, published or not (a partial build publishes nothing)."""
    return res.dbt_log.parent.parent / "customer_scoring.duckdb"


def test_build_publishes_every_public_table(built):
    assert built.publication.name == "customer_scoring.duckdb"
    names = [s.name for s in built.steps]
    order = ["parse", "dbt build", "checks", "export", "publish", "export (place)"]
    assert [n for n in names if n in order] == order and names[-1] == "export (place)", names
    con = duckdb.connect(str(built.publication), read_only=True)
    try:
        names = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        # the YAML descriptions travel with the tables, for BI tools (D105): every public table and column has one
        undocumented = con.execute(
            "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
            "where schema_name in ('marts', 'audit') and coalesce(comment, '') = ''").fetchall()
        tables = con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
    finally:
        con.close()
    assert undocumented == [] and len(tables) > 15, undocumented[:5]
    assert all(c for _t, c in tables), tables
    assert dict(tables)["customer_scores"].startswith("Scored customers, wide.")
    assert {"audit.quarantine", "audit.dq_reconciliation", "audit.dq_repairs", "audit.dq_freshness",
            "meta.publication"} <= names
    assert not any(n.startswith(("staging.", "intermediate.")) for n in names), "private layers must not be published"


@pytest.fixture(scope="module")
def end_date_work(tmp_path_factory) -> Path:
    """One work folder for this module's builds as of END_DATE without vars (generated Parquet files, read by the
    default raw_format auto): the first one parses the project, the later ones reuse that parse (dbt's partial
    parsing needs the same vars and database path). Each build publishes to its own folder; the tests read
    publications, results and relations their build rebuilt, never what an earlier build left in the database."""
    return tmp_path_factory.mktemp("end_date_work")


@pytest.fixture(scope="module")
def republished(demo_raw, holdout_build, end_date_work, tmp_path_factory):
    """The demo data built and published as of END_DATE over a copy of the holdout build's publication (as of
    END_DATE - HOLDOUT_DAYS), while a reader holds that older publication open from before the build to after it.
    Yields (root, build result, what the reader printed before the build, what it printed after)."""
    root = tmp_path_factory.mktemp("republished")
    shutil.copytree(holdout_build.publication.parent, root / "publish", symlinks=True)
    assert published_as_of(root / "publish" / "customer_scoring.duckdb") == holdout_build.as_of
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(root / "publish" / "customer_scoring.duckdb")!r}, read_only=True)
            print(con.execute("select as_of_date from meta.publication").fetchone()[0], flush=True)
            sys.stdin.readline()  # hold the file open until the build below is done
            print(con.execute("select as_of_date from meta.publication").fetchone()[0], flush=True)
            print(con.execute("select count(*) from audit.dq_reconciliation").fetchone()[0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        before = reader.stdout.readline().strip()  # the reader has the old file open before the build starts
        res = run_build(demo_raw, root, as_of=END_DATE, work_dir=end_date_work)
        after, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    return root, res, before, after


def test_same_input_and_as_of_give_identical_marts(built, republished):
    _, again, _, _ = republished
    assert again.success, again.error
    first, second = dump_tables(built.publication), dump_tables(again.publication)
    assert first and first == second


def test_reader_keeps_old_publication_and_never_blocks_a_build(holdout_build, republished):
    _, second, before, after = republished
    old = holdout_build.as_of
    assert old < END_DATE and before == str(old)
    assert second.success, second.error  # the reader held the old file open all along
    held_as_of, held_rows = after.split()
    assert held_as_of == str(old), "an open reader must keep its complete snapshot"
    assert int(held_rows) > 0
    assert published_as_of(second.publication) == END_DATE, "a new reader sees the new publication"


def test_failed_build_leaves_last_publication_untouched(demo_raw, republished, end_date_work, tmp_path):
    root, good, _, _ = republished
    assert good.success, good.error
    before = sha256(good.publication)
    broken = tmp_path / "broken_raw"
    shutil.copytree(demo_raw, broken)
    (broken / "shop" / "orders.parquet").write_bytes(b"this is not parquet")
    bad = run_build(broken, root, as_of=END_DATE - dt.timedelta(days=1), work_dir=end_date_work)
    assert not bad.success
    # Caught by the raw pre-flight check, or by dbt reading the file: either way the table is named.
    assert not bad.steps[-1].success and ("shop/orders.parquet" in bad.error or "stg_shop__orders" in bad.error)
    assert sha256(good.publication) == before
    assert published_as_of(good.publication) == END_DATE
    assert not list((root / "publish").glob(".*.tmp")), "no temporary file left behind"


def test_a_broken_staging_model_fails_the_build_and_each_test_says_what_broke(demo_raw, tmp_path, monkeypatch):
    """stg_shop__orders edited to lose a row and to break three column checks: the reconciliation test fails (a row
    lost), and the model's one columns_are_valid test fails saying which column broke which check, on how many rows;
    nothing is published."""
    project = copy_project(tmp_path / "project")
    model = project / "models" / "staging" / "stg_shop__orders.sql"
    sql = model.read_text()
    assert sql.rstrip().endswith("select * from classified")
    model.write_text(sql.rstrip().removesuffix("select * from classified")
                     + "select * replace (\n"
                       "case when raw_row_key in (select raw_row_key from classified order by raw_row_key limit 3)"
                       " then null else dq_status end as dq_status,\n"
                       "case when raw_row_key in (select raw_row_key from classified order by raw_row_key desc"
                       " limit 2) then -5 else refunded_amount end as refunded_amount,\n"
                       "case when raw_row_key = (select max(raw_row_key) from classified) then 'bogus'"
                       " else dq_reason_code end as dq_reason_code) from classified\n"
                       "where raw_row_key <> (select raw_row_key from classified order by raw_row_key limit 1"
                       " offset 10)\n")
    monkeypatch.setenv("CS_PROJECT_DIR", str(project))
    # Unit tests would catch this edit too (and skip the model); leave them out to see the data tests act.
    res = run_build(demo_raw, tmp_path, select=["+stg_shop__orders"], dbt_tests="data")
    assert not res.success
    assert any("row_count_matches_source_stg_shop__orders" in f and ": fail:" in f for f in res.failures), res.failures
    failed = [f for f in res.failures if "columns_are_valid_stg_shop__orders" in f]
    assert failed and ": fail:" in failed[0], res.failures
    assert "dq_status not_null: 3 rows" in failed[0], failed[0]
    assert "refunded_amount accepted_range [0, ]: 2 rows" in failed[0], failed[0]
    assert "dq_reason_code accepted_values erased, malformed_line" in failed[0], failed[0]
    assert failed[0].endswith(": 1 row"), failed[0]
    assert not (tmp_path / "publish" / "customer_scoring.duckdb").exists()


def test_cli_exit_codes(demo_raw, end_date_work, tmp_path):
    ok = cli.main(["build", "--as-of", str(END_DATE), "--raw", str(demo_raw), "--work-dir", str(end_date_work),
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
    switches = ["enable_opportunities", "enable_consents", "enable_erasure_requests", "enable_do_not_contact",
                "enable_campaigns", "enable_surveys", "enable_enrichment"]
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


# ---------------------------------------------------------------------------------------------------------------
# What the runner says: the result file, stdout, stderr; freshness against the as-of date; audit warnings
# ---------------------------------------------------------------------------------------------------------------
REFERENCE_TABLES = {"shop.products", "marketing.campaigns", "enrichment.firmographics", "crm.erasure_requests",
                    "crm.do_not_contact"}
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


@pytest.fixture(scope="module")
def small_csv_build(small_raw, tmp_path_factory) -> runner.BuildResult:
    """small_raw's CSV files read with raw_format csv as of END_DATE: the freshness and reconciliation models and what
    they read (a partial build: read from its work database)."""
    res = run_build(small_raw, tmp_path_factory.mktemp("small_csv"), select=["+dq_freshness", "+dq_reconciliation"],
                    extra_vars={"raw_format": "csv"})
    assert res.success, res.error
    return res


def test_raw_csv_files_build_like_parquet(small_raw, small_csv_build, end_date_work, tmp_path):
    """--csv demo files, read with raw_format csv, give the same accounting as the Parquet files."""
    parquet = run_build(small_raw, tmp_path, select=["+dq_reconciliation"], work_dir=end_date_work)
    assert parquet.success, parquet.error
    # raw_format auto reads the Parquet file of every table, the CSV one with raw_format csv
    assert len(parquet.inputs["tables"]) == len(small_csv_build.inputs["tables"]) == 14
    assert all(path.endswith(".parquet") for path in parquet.inputs["tables"].values()), parquet.inputs["tables"]
    assert all(path.endswith(".csv") for path in small_csv_build.inputs["tables"].values())
    sql = "select source_table, raw_rows, kept_rows, quarantined_rows, merged_rows from audit.dq_reconciliation"
    counts = []
    for res in (parquet, small_csv_build):
        with duckdb.connect(str(build_db(res)), read_only=True) as con:
            counts.append(sorted(con.execute(sql).fetchall()))
    assert len(counts[0]) == 14 and sum(r[1] for r in counts[0]) > 0
    assert counts[0] == counts[1]


def test_demo_build_is_fresh_as_of_its_end_date_and_has_no_warnings(built):
    """The session's demo build: every raw table judged against the as-of date; reference tables loaded once are not
    checked (freshness: null in __sources.yml), so the demo shows no failure and no warning."""
    assert set(built.freshness) == {
        "crm.accounts", "crm.contacts", "crm.opportunities", "crm.consents", "crm.erasure_requests", "shop.products",
        "shop.orders", "shop.order_items", "marketing.events", "marketing.campaigns", "marketing.campaign_members",
        "feedback.surveys", "enrichment.firmographics", "crm.do_not_contact"}
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


def test_cli_prints_a_summary_and_writes_the_json_result_to_a_file(small_raw, end_date_work, tmp_path):
    work = end_date_work  # shared with this module's other builds as of END_DATE: dbt reuses their parse
    log = work / "logs" / "dbt.log"
    logged = log.stat().st_size if log.exists() else 0
    out = run_cli("build", "--as-of", str(END_DATE), "--raw", str(small_raw), "--work-dir", str(work),
                  "--publish-dir", str(tmp_path / "p"), "--select", "+stg_crm__accounts", "--exclude",
                  "resource_type:test", "test_type:unit")
    assert out.returncode == 0, out.stderr
    result = json.loads((work / "logs" / "last_run.json").read_text())
    assert result["success"] and result["as_of_date"] == str(END_DATE)
    assert result["warnings"] == [] and "warnings" in result
    # where the dbt steps' time went (every dbt step: the config step's seeds and checks, then the selection)
    timing = result["dbt_time"]
    assert timing["nodes"]["seed"] >= 30 and timing["nodes"]["model"] >= 3 and "data_test" not in timing["nodes"]
    assert {"staging", "seeds", "intermediate/scoring"} <= set(timing["seconds_by_folder"]), timing
    seconds = [n["seconds"] for n in timing["slowest"]]
    assert len(seconds) == 15 and seconds == sorted(seconds, reverse=True)
    assert sum(timing["seconds_by_kind"].values()) >= sum(seconds) > 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.stdout)
    # +stg_crm__accounts builds no public table: nothing to publish, and the summary says so.
    assert out.stdout.splitlines()[0] == f"build {result['run_id']} as of {END_DATE}: ok, publish: skipped: this " \
                                         f"selection rebuilt none of the {len(result['public_relations'])} public " \
                                         "relations; the previous publication, if any, stays"
    assert out.stdout.splitlines()[-1] == f"  result: {work / 'logs' / 'last_run.json'}; " \
                                          f"dbt log: {log}"
    assert "Running with dbt" not in out.stdout + out.stderr, "dbt's own console lines stay in its log file"
    assert log.stat().st_size > logged, "dbt's file log is kept"
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


def test_freshness_of_csv_raw_files_is_judged_against_the_as_of_date(small_raw, small_csv_build, tmp_path):
    """CSV raw files (text columns, where `dbt source freshness` cannot compare): the newest row of shop.orders was
    loaded on END_DATE, so it is fresh as of END_DATE, and stale (error_after 7 days) as of 10 days later: a warning
    without --fail-on-stale, a failed build (exit 1, nothing published, the table named) with it."""
    csv = {"raw_format": "csv"}
    later = END_DATE + dt.timedelta(days=10)
    same_day = small_csv_build
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

    # The same build with --fail-on-stale, in the same work folder: same vars, so dbt's partial parsing applies.
    work = tmp_path / "ten_days"
    code = cli.main(["build", "--as-of", str(later), "--raw", str(small_raw), "--work-dir", str(work / "build"),
                     "--publish-dir", str(work / "publish"), "--select", "+dq_freshness", "--exclude",
                     "resource_type:test", "test_type:unit",
                     "--vars", json.dumps(csv), "--fail-on-stale"])
    assert code == 1
    result = json.loads((work / "build" / "logs" / "last_run.json").read_text())
    assert result["run_id"] != ten_days.run_id
    assert [s["name"] for s in result["steps"]][-1] == "checks"
    assert result["error"].startswith(f"checks: stale raw tables as of {later} (--fail-on-stale): ")
    assert "shop.orders (10 days, error after 7)" in result["error"]
    assert not (work / "publish" / "customer_scoring.duckdb").exists()


def test_rows_loaded_after_the_as_of_date_warn(small_raw, end_date_work, tmp_path):
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
    res = run_build(raw, tmp_path, work_dir=end_date_work)
    assert res.success, res.error
    con = duckdb.connect(str(res.publication), read_only=True)
    try:
        rows = {r[0]: r[1:] for r in con.execute(
            "select source_table, raw_rows, after_as_of_rows, erased_rows, after_as_of_share, warning "
            "from audit.dq_reconciliation").fetchall()}
    finally:
        con.close()
    fix = ("if the export is a snapshot whose _loaded_at is the extraction time, build as of a later date, or pass "
           "--vars '{\"ignore_loaded_at\": true}' so visibility follows the business dates")
    for table, n in counts.items():
        raw_rows, later, erased, share, warning = rows[table]
        # every row is either loaded after the as-of date or a row of a person erased by then (counted apart,
        # whenever it was loaded: the demo's erasure requests were loaded on time)
        assert raw_rows == n and later + erased == n and erased < 0.02 * n and later > 0.9 * n
        assert share == later / n
        assert warning == f"most rows ({later} of {n}) were loaded after the as-of date {END_DATE}: {fix}"
        assert f"{table}: {warning}" in res.warnings
    assert rows["crm.contacts"][2] > 0, "the demo erases people: their rows are counted apart"
    assert rows["crm.accounts"][3:] == (0.0, None), "a table loaded before the as-of date does not warn"
    empty = [w for w in res.warnings if w.startswith("no customer and no lead scored")]
    assert empty == [f"no customer and no lead scored as of {END_DATE} although crm.contacts has "
                     f"{counts['crm.contacts']:,} raw rows (0 visible as of {END_DATE}): marts.customer_scores and "
                     "marts.lead_scores are empty"]


@pytest.mark.parametrize("named_by", ["_parse_key", "_parse_digest"])
def test_a_parsed_project_is_reused_for_another_as_of_date_only(tmp_path, named_by):
    """runner._parse_key (the parse kept in this process) and runner._parse_digest (the name of the parse kept on disk
    for another process, D99): two builds that differ only by their as-of date, work or raw folder and threads share
    a parse; any var, the target or an edited project file parses again. On disk, a file touched but unchanged (a
    fresh checkout) keeps the name, so only content counts; in the process, its time counts too."""
    import os

    project = copy_project(tmp_path / "project")

    def key(**kw):
        s = dict(as_of=END_DATE, raw_path=tmp_path / "raw", work_dir=tmp_path / "w1")
        s.update(kw)
        return getattr(runner, named_by)(runner.BuildSettings(**s), project)

    base = key()
    assert key(as_of=END_DATE - dt.timedelta(days=90), work_dir=tmp_path / "w2", threads=1,
               raw_path=tmp_path / "other_raw") == base
    assert key(extra_vars={"enable_surveys": False}) != base
    assert key(target="postgres") != base
    seed = next((project / "seeds").rglob("*.csv"))
    os.utime(seed, ns=(1, 1))
    assert (key() == base) is (named_by == "_parse_digest")
    model = next((project / "models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n-- edited\n")
    assert key() != base and key() != key(target="postgres")


def test_a_damaged_parse_cache_file_is_parsed_again(tmp_path, monkeypatch):
    """A file of the parse cache that cannot be read as a manifest costs a parse, never a failed build."""
    (tmp_path / "x.msgpack").write_bytes(b"not a manifest")
    assert runner._load_parsed(tmp_path / "x.msgpack") is None
    assert runner._load_parsed(tmp_path / "missing.msgpack") is None
    monkeypatch.setenv(runner.PARSE_CACHE_ENV, "off")
    assert runner._parse_cache_dir(runner.BuildSettings(as_of=END_DATE, work_dir=tmp_path)) is None
    monkeypatch.delenv(runner.PARSE_CACHE_ENV)
    assert runner._parse_cache_dir(runner.BuildSettings(as_of=END_DATE, work_dir=tmp_path)) == \
        tmp_path / "target" / "parse_cache"


def test_builds_of_two_raw_folders_share_a_parse_and_each_reads_its_own_files(tmp_path, monkeypatch):
    """The raw folder is read when the models are compiled, not at parse time: a second build of other data in the
    same process reuses the parse and still reads its own files (its row counts, not the first folder's). A third, as
    of another date in a process that has parsed nothing (the parse cache on disk, D99), does too."""
    from customer_scoring.generate import generate_demo_data

    counts, details = {}, {}
    for n, seed in ((1, 21), (2, 22), (3, 23)):
        raw = tmp_path / f"raw{n}"
        manifest = generate_demo_data(raw, contacts=60 * n, seed=seed, end_date=END_DATE)
        if n == 3:
            monkeypatch.setattr(runner, "_PARSED", {})  # as a new process
        res = run_build(raw, tmp_path / f"b{n}", select=["+dq_reconciliation"],
                        as_of=END_DATE - dt.timedelta(days=30 if n == 3 else 0))
        assert res.success, res.error
        details[n] = next(s for s in res.steps if s.name == "parse").detail
        con = duckdb.connect(str(tmp_path / f"b{n}" / "build" / "customer_scoring.duckdb"), read_only=True)
        try:
            counts[n] = dict(con.execute("select source_table, raw_rows from audit.dq_reconciliation").fetchall())
        finally:
            con.close()
        assert counts[n]["crm.contacts"] == manifest["rows"]["crm.contacts"], (n, counts[n])
        assert counts[n]["shop.orders"] == manifest["rows"]["shop.orders"], (n, counts[n])
    assert "parsed earlier in this process" in details[2], details
    assert "(parse cache " in details[3], details
    assert counts[1] != counts[2] != counts[3]


def test_demo_with_a_partial_selection_reports_the_run_not_a_publication(tmp_path, monkeypatch, capsys):
    """`demo --select ...` builds without publishing: it prints the run's summary and exits 0 (it used to open a
    publication that does not exist and crash)."""
    import customer_scoring.generate as generate

    monkeypatch.setattr(generate, "generate_demo_data", lambda *a, **k: None)
    result = runner.BuildResult(run_id="r1", as_of=END_DATE, success=True, publication=None,
                                steps=[runner.Step("publish", 0.0, True, "skipped: a partial build")])
    monkeypatch.setattr(runner, "build", lambda settings: result)
    code = cli.main(["demo", "--as-of", str(END_DATE), "--raw", str(tmp_path / "raw"), "--work-dir",
                     str(tmp_path / "w"), "--publish-dir", str(tmp_path / "p"), "--select", "+stg_crm__accounts"])
    assert code == 0
    assert "skipped: a partial build" in capsys.readouterr().out


@pytest.mark.parametrize("unit_tests", [False, True])
def test_a_build_runs_the_unit_tests_only_when_asked(small_raw, tmp_path, monkeypatch, unit_tests):
    """The dbt unit tests and the structural data tests check the project, never the data: a build leaves them out
    of both dbt steps unless BuildSettings.unit_tests (`--full-checks`, alias `--unit-tests`); the caller's
    exclusions are kept either way."""
    from types import SimpleNamespace

    calls, json_written = [], []

    def fake_dbt(args, project, settings, manifest=None, callbacks=None, write_json=True):
        calls.append(list(args))
        json_written.append(write_json)
        if args[0] == "parse":
            return SimpleNamespace(success=True, result=SimpleNamespace(nodes={}), exception=None)
        if len(calls) == 2:  # the config step passes
            return SimpleNamespace(success=True, result=SimpleNamespace(results=[]), exception=None)
        # the dbt build step fails here: nothing else needs to run to see its arguments
        return SimpleNamespace(success=False, result=None, exception="stopped by the test")

    monkeypatch.setattr(runner, "_PARSED", {})  # the fake parse must not serve another test's build
    monkeypatch.setenv(runner.PARSE_CACHE_ENV, "off")  # nor a parse kept on disk
    monkeypatch.setattr(runner, "invoke_dbt", fake_dbt)
    # a partial build: one dbt build step after the config step, no predict step
    res = runner.build(runner.BuildSettings(as_of=END_DATE, raw_path=small_raw, work_dir=tmp_path / "build",
                                            publish_dir=tmp_path / "publish", exclude=["tag:offer"],
                                            select=["+stg_crm__accounts"], unit_tests=unit_tests))
    assert not res.success and [s.name for s in res.steps][-3:] == ["config", "refresh", "dbt build"]
    _, config, build = calls
    for args, end in ((config, len(config)), (build, build.index("--select"))):
        excluded = args[args.index("--exclude") + 1:end]
        assert "tag:offer" in excluded
        assert ("test_type:unit" in excluded) is not unit_tests, args
        assert ("tag:structural" in excluded) is not unit_tests, args
    assert cli.build_parser().parse_args(["build", "--unit-tests"]).unit_tests is True
    assert cli.build_parser().parse_args(["build", "--full-checks"]).unit_tests is True
    assert cli.build_parser().parse_args(["build"]).unit_tests is False
    # the build's dbt steps write no manifest.json or run_results.json unless --dbt-artifacts (D103)
    assert json_written == [True, False, False]  # the parse keeps dbt's partial-parse file: it writes as it always did
    assert cli.build_parser().parse_args(["build", "--dbt-artifacts"]).dbt_artifacts is True
    assert cli.build_parser().parse_args(["build"]).dbt_artifacts is False
