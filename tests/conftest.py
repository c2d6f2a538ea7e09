"""Shared fixtures: one small generated data set and one published build per test session."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from customer_scoring import runner
from customer_scoring.generate import generate_demo_data

PROJECT = Path(__file__).resolve().parents[1]

# The salt of audit.erasure_log's key hashes is a secret input, like the raw data: without CS_ERASURE_SALT each work
# folder draws a random one (pii.erasure_salt), so two builds in two folders differ in erasure_log.key_hash. The
# session's builds share one configured salt, as a deployment's builds do; test_erasure_salt covers the drawn one.
os.environ.setdefault("CS_ERASURE_SALT", "pytest-session-erasure-salt")
# One parse cache for the whole run (runner D99): the workers, and the CLI processes the tests start, load the parse
# of a project, target and vars another one made instead of parsing again (15-25 s each). Removed at the end.
PARSE_CACHE = Path(tempfile.gettempdir()) / f"cs_parse_cache_{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
os.environ.setdefault(runner.PARSE_CACHE_ENV, str(PARSE_CACHE))
END_DATE = dt.date(2026, 6, 30)
CONTACTS = 2000
# Backtests score as of END_DATE - HOLDOUT_DAYS and compare with what happened up to END_DATE.
HOLDOUT_DAYS = 182


# --- parallel runs (pytest-xdist, scripts/test.sh runs `-n 2 --dist loadfile`) ------------------------------------
# Each worker is a process of its own with its own session fixtures. The demo data and its builds are made once per
# run all the same (shared_once: the first worker to ask builds, the others wait and read the result), and each
# worker builds on PostgreSQL in a database of its own (customer_scoring_gw0, ...), so two workers' builds never
# write the same schemas. Without xdist nothing changes.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")

# The modules that take longest, slowest first: a worker starts them before the quick ones, so the two workers end
# together (longest-first scheduling; scripts/test.sh passes --no-loadscope-reorder so that xdist keeps this order).
# A module missing here keeps its place after them.
SLOW_MODULES = ["test_history_postgres", "test_postgres_build", "test_backtest", "test_offers", "test_score_history",
                "test_privacy", "test_activation", "test_exports", "test_own_data",
                "test_runner", "test_customer_scoring", "test_lead_scoring", "test_calibrate",
                "test_lead_training_examples", "test_training_examples", "test_input_faults", "test_publication"]


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    def module_rank(item) -> int:
        module = getattr(item, "module", None)
        return rank.get(module.__name__ if module else "", len(rank))

    items.sort(key=module_rank)  # stable: a module's tests keep their order


# Seconds per module (setup, call and teardown of its tests, module fixtures included), printed after pytest's own
# summary: where the suite's time goes, module by module, for the next one who makes it faster.
_MODULE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    module = report.nodeid.split("::", 1)[0]
    _MODULE_SECONDS[module] = _MODULE_SECONDS.get(module, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if WORKER is not None or not _MODULE_SECONDS:
        return  # a worker's reports reach the controller, which prints the table once
    terminalreporter.section("seconds per module (setup + call + teardown)")
    for module, seconds in sorted(_MODULE_SECONDS.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:8.1f}s  {module}")


def _worker_database() -> str | None:
    """Create a fresh PostgreSQL database for this worker and point CS_PG_DATABASE at it (None: no server, or a DSN
    names the database)."""
    if WORKER is None or os.environ.get("CS_PG_DSN"):
        return None
    from customer_scoring import postgres

    name = f"{os.environ.get('CS_PG_DATABASE', 'customer_scoring')}_{WORKER}"
    try:
        admin = postgres.connect(connect_timeout=3)
    except Exception:  # noqa: BLE001 - no server: the PostgreSQL tests skip or fail as connect_postgres says
        return None
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {name} with (force)")
        cur.execute(f"create database {name}")
    admin.close()
    os.environ["CS_PG_DATABASE"] = name
    return name


def pytest_configure(config):
    config._cs_worker_database = (os.environ.get("CS_PG_DATABASE"), _worker_database())


def pytest_unconfigure(config):
    if WORKER is None:
        shutil.rmtree(PARSE_CACHE, ignore_errors=True)
    base, mine = getattr(config, "_cs_worker_database", (None, None))
    if mine is None:
        return
    from customer_scoring import postgres

    if base is None:
        os.environ.pop("CS_PG_DATABASE", None)
    else:
        os.environ["CS_PG_DATABASE"] = base
    try:
        admin = postgres.connect(connect_timeout=3)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {mine} with (force)")
        admin.close()
    except Exception:  # noqa: BLE001 - the throwaway server may be gone already
        pass


def shared_once(tmp_path_factory, name: str, make):
    """make(folder) once per test run: in a session fixture of its own without xdist; with xdist, under a file lock in
    the run's common temporary folder, so the first worker makes it and the others read its pickled result. What it
    makes is read-only for its users (a test that changes it copies it first)."""
    if WORKER is None:
        return make(tmp_path_factory.mktemp(name))
    common = tmp_path_factory.getbasetemp().parent
    folder, done = common / name, common / f"{name}.pickle"
    with open(common / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return pickle.loads(done.read_bytes())
        if folder.exists():  # a worker that failed half-way: start again
            shutil.rmtree(folder)
        folder.mkdir()
        value = make(folder)
        done.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    def make(raw: Path) -> Path:
        generate_demo_data(raw, contacts=CONTACTS, seed=7, end_date=END_DATE)
        return raw

    return shared_once(tmp_path_factory, "raw", make)


@pytest.fixture(scope="session")
def manifest(demo_raw) -> dict:
    return json.loads((demo_raw / "_manifest.json").read_text())


# Which dbt tests a test build runs. The dbt unit tests do not depend on the data: they run once per engine, in the
# session's `built` build and in the PostgreSQL build. Data tests run in the session's builds, the PostgreSQL build and
# the builds on users' own data; a build that only serves a pytest assertion skips them (half of a build's time).
DBT_TESTS = {"all": [], "data": ["test_type:unit"], "none": ["resource_type:test", "test_type:unit"]}


def run_build(raw: Path, root: Path, as_of: dt.date = END_DATE, dbt_tests: str = "none", exclude=(),
              work_dir: Path | None = None, **kw) -> runner.BuildResult:
    """Build (and publish, for a full build) `raw` as of `as_of` under root/build and root/publish.
    dbt_tests: "all", "data" (no unit tests) or "none" (see DBT_TESTS); `exclude` adds dbt exclusions.
    work_dir: a work folder shared by builds of one as-of date and the same vars, in place of root/build. dbt keeps
    its parse there (target/partial_parse.msgpack) and reuses it when the vars and the database path are the same,
    which saves most of the parse step (about 10 s); the work database keeps what earlier builds made, so read only
    the publication or relations this build rebuilt."""
    settings = runner.BuildSettings(as_of=as_of, raw_path=raw, work_dir=work_dir or root / "build",
                                    publish_dir=root / "publish", exclude=[*DBT_TESTS[dbt_tests], *exclude],
                                    unit_tests=dbt_tests == "all", **kw)
    return runner.build(settings)


@pytest.fixture(scope="session")
def built(demo_raw, tmp_path_factory):
    """The demo data built and published as of END_DATE (dbt data and unit tests included)."""
    def make(root: Path) -> runner.BuildResult:
        res = run_build(demo_raw, root, dbt_tests="all")
        assert res.success, res.error
        return res

    return shared_once(tmp_path_factory, "built", make)


@pytest.fixture(scope="session")
def holdout_build(demo_raw, tmp_path_factory) -> runner.BuildResult:
    """The same demo data built as of END_DATE - HOLDOUT_DAYS: what the scores said half a year before the end."""
    def make(root: Path) -> runner.BuildResult:
        res = run_build(demo_raw, root, as_of=END_DATE - dt.timedelta(days=HOLDOUT_DAYS), dbt_tests="data")
        assert res.success, res.error
        return res

    return shared_once(tmp_path_factory, "holdout", make)


# The point-in-time tests of the training examples (test_training_examples for customers, test_lead_training_examples
# for leads and campaigns) share one small demo data set and one partial build of it as of the latest labelled
# cut-off (default vars: END_DATE less the 180-day horizon), holding the production models both compare with; each
# module builds its own changed copy of the data as of END_DATE.
PIT_CONTACTS = 300
PIT_CUTOFF = END_DATE - dt.timedelta(days=180)
PIT_MODELS = ["+int_customer__rfm", "+int_customer__satisfaction", "+int_contact__engagement", "+int_lead__fit_inputs",
              "+int_contact__lifecycle"]


@pytest.fixture(scope="session")
def pit_raw(tmp_path_factory) -> Path:
    def make(raw: Path) -> Path:
        generate_demo_data(raw, contacts=PIT_CONTACTS, seed=7, end_date=END_DATE)
        return raw

    return shared_once(tmp_path_factory, "pit_raw", make)


@pytest.fixture(scope="session")
def pit_past(pit_raw, tmp_path_factory) -> Path:
    """The work database of pit_raw built as of PIT_CUTOFF with PIT_MODELS (a partial build publishes nothing)."""
    def make(root: Path) -> Path:
        res = run_build(pit_raw, root, as_of=PIT_CUTOFF, select=PIT_MODELS)
        assert res.success, res.error
        return root / "build" / "customer_scoring.duckdb"

    return shared_once(tmp_path_factory, "pit_past", make)


@pytest.fixture(scope="session")
def partial_work(tmp_path_factory):
    """partial_work(as_of): a work folder shared across modules by partial builds of generated data (no vars) as of
    one date, e.g. the backtests' builds of their own data sets: a later build reuses the parse of an earlier one
    (dbt's partial parsing, about 10 s). Such a test reads only relations its own build rebuilt, and closes its
    connections to the database before its module ends."""
    folders: dict[dt.date, Path] = {}

    def folder(as_of: dt.date) -> Path:
        if as_of not in folders:
            folders[as_of] = tmp_path_factory.mktemp(f"partial_{as_of:%Y%m%d}")
        return folders[as_of]

    return folder


def work_db(res: runner.BuildResult) -> Path:
    """The private work database of a build made by run_build (root/build next to root/publish)."""
    return res.publication.parent.parent / "build" / "customer_scoring.duckdb"


def attach_builds(past_db: Path, now_db: Path) -> duckdb.DuckDBPyConnection:
    """A connection that reads an earlier build as `past` and a later one as `now`, for backtests."""
    con = duckdb.connect()
    con.execute(f"attach '{past_db}' as past (read_only)")
    con.execute(f"attach '{now_db}' as now (read_only)")
    return con


# Every contact id of the later build (a golden contact or one merged into it) whose golden contact has a completed
# order after the earlier build's as-of date (first parameter) and on or before the second: the earlier build's
# golden contacts are followed to the later build's, since a later record may merge into them.
LATER_BUYERS = """
    select identity.contact_id
    from now.intermediate.int_contacts__identity as identity
    where identity.master_contact_id in (
        select contact_id from now.intermediate.int_orders where is_completed and ordered_on > ? and ordered_on <= ?
    )
"""


@pytest.fixture(scope="session")
def pub(built):
    con = duckdb.connect(str(built.publication), read_only=True)
    yield con
    con.close()


def tiers_by_threshold(con: duckdb.DuckDBPyConnection, profile: str, catalog: str = "") -> list[str]:
    """The tier names of a profile, best first: tiers are ordered by min_score (seeds/scoring/tier_thresholds.csv as
    loaded by the build), never by name. `catalog`: an attached build's name ("past"), or "" for the connection's."""
    prefix = f"{catalog}." if catalog else ""
    return [r[0] for r in con.execute(f"select tier from {prefix}config.tier_thresholds where profile = ? "
                                      "order by min_score desc", [profile]).fetchall()]


def connect_postgres(autocommit: bool = False):
    """A psycopg2 connection to the server named by CS_PG_* (or CS_PG_DSN). Skips the calling test when none answers,
    or fails it when CS_REQUIRE_POSTGRES=1 (scripts/test.sh sets it after starting a throwaway server)."""
    import os

    from customer_scoring import postgres

    try:
        conn = postgres.connect(connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
        where = os.environ.get("CS_PG_DSN") or (
            f"{os.environ.get('CS_PG_HOST', '127.0.0.1')}:{os.environ.get('CS_PG_PORT', '5432')}")
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if os.environ.get("CS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required (CS_REQUIRE_POSTGRES=1) but not reachable at {where}: {reason}")
        pytest.skip(f"no PostgreSQL server reachable at {where} ({reason}); "
                    f'start one with: eval "$(scripts/pg_throwaway.sh start)"')
    conn.autocommit = autocommit
    return conn


def fresh_pg_database(suffix: str) -> str:
    """Create (or recreate, empty) the database `<CS_PG_DATABASE>_<suffix>` (the worker's own database name plus
    `suffix`) and return its name: for a test whose build must not publish over another test's publication. Skips or
    fails the calling test as connect_postgres does when no server answers."""
    base = os.environ.get("CS_PG_DATABASE", "customer_scoring")
    name = f"{base}_{suffix}"
    admin = connect_postgres(autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
    finally:
        admin.close()
    return name


def copy_project(dest: Path) -> Path:
    """A private copy of the dbt project, for tests that break it on purpose."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT / name, dest / name)
    for folder in ("models", "macros", "seeds", "tests/dbt"):
        shutil.copytree(PROJECT / folder, dest / folder)
    return dest


# CS_TEST_BUILD_LOG=file: one JSON line per runner.build of the run (the test that asked, seconds, how the build was
# called), to see where the suite's time goes; unset, nothing is written.
if os.environ.get("CS_TEST_BUILD_LOG"):
    import time as _time

    _real_build = runner.build

    def _logged_build(settings, *args, **kwargs):
        start = _time.monotonic()
        try:
            return _real_build(settings, *args, **kwargs)
        finally:
            row = {"test": os.environ.get("PYTEST_CURRENT_TEST", ""), "worker": WORKER,
                   "seconds": round(_time.monotonic() - start, 1), "target": settings.target,
                   "as_of": str(settings.as_of), "select": list(settings.select or []),
                   "exclude": list(settings.exclude or []), "full_checks": bool(settings.unit_tests),
                   "predict": settings.predict, "raw": str(settings.raw_path)}
            with open(os.environ["CS_TEST_BUILD_LOG"], "a") as log:
                log.write(json.dumps(row) + "\n")

    runner.build = _logged_build
