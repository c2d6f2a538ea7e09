"""Runs the dbt project programmatically, one step at a time, with timings, and publishes the result atomically.

A build writes into a private working database (DuckDB file under the work directory, or `build_*` schemas on
PostgreSQL) that no BI tool reads. Only when every step succeeded does `publish` copy the public schemas into a new
file and swap it in with one atomic rename (DuckDB), or swap the schemas in one transaction (PostgreSQL). A reader
that has the previous publication open keeps reading it; a failed build leaves it in place.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("customer_scoring")

PUBLISHED_SCHEMAS = ("marts", "audit")
# dbt selector of what reads the predict step's output: built after it.
PREDICTION_READERS = "source:predict+"
# The training examples (what only the predict step reads): a build without a predict step leaves them out.
PREDICT_FEATURES = "path:models/intermediate/predict"
REFIT_RULES = ("auto", "always", "never")
# Targets left without a model when the project switches a training-example model off, and why.
SWITCHED_OFF_TARGETS = {
    "int_customer__training_examples": {},
    "int_lead__training_examples": {},
    "int_campaign__training_examples": {"p_campaign_response": "var enable_campaigns is false"},
}
# The training examples the predict step reads, and the function of customer_scoring.predict that learns from each.
TRAINING_EXAMPLES = {
    "int_customer__training_examples": "predict_customers",
    "int_lead__training_examples": "predict_leads",
    "int_campaign__training_examples": "predict_campaign_response",
}
PUBLICATION_FILE = "customer_scoring.duckdb"

# Exit codes of `customer-scoring build` and `publish` (README "Exit codes"); an interruption exits 128 + the signal
# number (130 SIGINT, 143 SIGTERM).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_REFUSED = 4


class BuildError(RuntimeError):
    """A step failed; the message says which and why."""


class LockHeld(BuildError):
    """Another build (or publication) holds the work folder's lock."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: the current step stops, nothing is published."""

    def __init__(self, signame: str):
        super().__init__(signame)
        self.signame = signame


def project_dir() -> Path:
    """The dbt project: CS_PROJECT_DIR, else the folder holding dbt_project.yml above this package or the cwd."""
    env = os.environ.get("CS_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for p in (start, *start.parents):
            if (p / "dbt_project.yml").is_file():
                return p
    raise BuildError("cannot find dbt_project.yml: run from the project folder or set CS_PROJECT_DIR")


def parse_date(value: str | dt.date | None) -> dt.date:
    if value is None:
        return dt.datetime.now(dt.timezone.utc).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BuildError(f"--as-of must be a date written YYYY-MM-DD, got {value!r}") from exc


@dataclass
class Step:
    name: str
    seconds: float
    success: bool
    detail: str = ""


@dataclass
class BuildSettings:
    as_of: dt.date
    target: str = "duckdb"
    select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    raw_path: Path | None = None
    work_dir: Path = Path("build")
    publish_dir: Path = Path("publish")
    publish_parquet: bool = False
    threads: int | None = None
    fail_on_stale: bool = False
    extra_vars: dict = field(default_factory=dict)
    # The checks of the project (PROJECT_CHECKS: dbt unit tests, hand-made rows through one model, and the
    # intermediate models' data tests): they check the project's logic, never the data, so a production build skips
    # them; the test suite runs them once per engine. True (--full-checks): run them in the build.
    unit_tests: bool = False
    # dbt's JSON artifacts (target/manifest.json, run_results.json): dbt rewrites the whole manifest (about 1.5 s on
    # this project) at the end of every invocation, three per build, for files the runner never reads (the JSON result
    # holds the failures and node times). True (--dbt-artifacts): write them, for tools that read dbt's artifacts.
    dbt_artifacts: bool = False
    # Publication guards: a public mart may lose at most this share of its rows unless accept_row_loss.
    max_row_loss: float = 0.5
    accept_row_loss: bool = False
    # PostgreSQL publication: mvcc (delete and insert in one transaction) or swap (rename schemas); lock waits.
    pg_publish: str = "mvcc"
    pg_lock_timeout: float = 10.0
    pg_lock_tries: int = 3
    # The work folder's lock: None fails at once when another build holds it; seconds to wait (negative: forever).
    wait: float | None = None
    # Predictive scoring: the predict step between the two dbt steps (False: one dbt step, predictions null), the
    # refit rule (always, auto, never: score with the saved models) and where fitted models are kept
    # (default <work dir>/models).
    predict: bool = True
    refit: str = "auto"
    model_dir: Path | None = None
    # Activation exports (customer_scoring.activation): written into <export dir>/<as-of date>/ once the publication
    # succeeded; None: an `exports` folder beside the publish folder (the command line's default, `exports`).
    export: bool = True
    export_dir: Path | None = None
    # Incremental refresh (D104): False lets the runner choose (incremental when the work database holds a complete
    # build of the same project, target, raw location and vars as of this date or before), True (--full-refresh)
    # rebuilds every incremental model from nothing. refresh_since is the runner's own: the previous build's cutoff,
    # passed to dbt as var refresh_since when it chose an incremental build.
    full_refresh: bool = False
    refresh_since: str | None = None

    @property
    def work_db(self) -> Path:
        return self.work_dir / "customer_scoring.duckdb"

    @property
    def export_root(self) -> Path:
        return Path(self.export_dir) if self.export_dir is not None else Path(self.publish_dir).parent / "exports"


@dataclass
class BuildResult:
    run_id: str
    as_of: dt.date
    steps: list[Step]
    success: bool
    publication: Path | None = None
    error: str | None = None
    failures: list[str] = field(default_factory=list)
    # Things a reader of the result must know although the build passed (a snapshot seen before its extraction,
    # empty marts, stale tables without --fail-on-stale): logged as warnings and listed in the JSON result.
    warnings: list[str] = field(default_factory=list)
    # audit.dq_freshness as read after the build: raw table -> status, age in days, error threshold.
    freshness: dict[str, dict] = field(default_factory=dict)
    result_file: Path | None = None
    dbt_log: Path | None = None
    # The pre-flight check of the raw tables: where each table was found, notes, detected dialects.
    inputs: dict = field(default_factory=dict)
    # Public relations ("schema.table" in the work database) of the project, and those this run rebuilt: only a run
    # that rebuilt all of them (one as-of date) publishes; `publishable` says it did and every check passed.
    public_relations: list[str] = field(default_factory=list)
    built_public: list[str] = field(default_factory=list)
    publishable: bool = False
    refused: bool = False
    interrupted: str | None = None
    # publish-only runs (`customer-scoring publish`): the build whose work they published.
    build_run_id: str | None = None
    # The export set this run made current (<export dir>/<as-of date>/), None when it exported nothing.
    exports: Path | None = None
    # Every dbt node this run executed: (name, kind, folder, seconds); summarised by dbt_time() in the JSON result.
    dbt_nodes: list[tuple[str, str, str, float]] = field(default_factory=list)
    # Incremental refresh (D104): {"mode": "incremental" | "full", "reason": ..., "since": previous cutoff or None}.
    refresh: dict = field(default_factory=dict)

    @property
    def failed_step(self) -> str | None:
        return next((s.name for s in self.steps if not s.success), None)

    @property
    def exit_code(self) -> int:
        if self.success:
            return EXIT_OK
        if self.interrupted:
            return 128 + int(signal.Signals[self.interrupted])
        return EXIT_REFUSED if self.refused else EXIT_FAILED

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "as_of_date": self.as_of.isoformat(),
            "success": self.success,
            "publication": str(self.publication) if self.publication else None,
            "error": self.error,
            "failures": self.failures,
            "warnings": self.warnings,
            "freshness": self.freshness,
            "inputs": self.inputs,
            "steps": [s.__dict__ for s in self.steps],
            "dbt_log": str(self.dbt_log) if self.dbt_log else None,
            "exit_code": self.exit_code,
            "refused": self.refused,
            "interrupted": self.interrupted,
            "publishable": self.publishable,
            "public_relations": self.public_relations,
            "built_public": self.built_public,
            "build_run_id": self.build_run_id or self.run_id,
            "exports": str(self.exports) if self.exports else None,
            "refresh": self.refresh,
            "dbt_time": self.dbt_time(),
        }

    def dbt_time(self, top: int = 15) -> dict:
        """Where the dbt steps' time went: node seconds (summed over threads, so more than the steps' wall time
        with 2 threads) by kind (model, data_test, unit_test, seed) and by folder (staging, intermediate/offer,
        marts/customer, seeds, tests: a test counts in its model's folder), and the `top` slowest nodes."""
        by_kind: dict[str, float] = {}
        by_folder: dict[str, float] = {}
        counts: dict[str, int] = {}
        for _name, kind, folder, seconds in self.dbt_nodes:
            by_kind[kind] = by_kind.get(kind, 0.0) + seconds
            counts[kind] = counts.get(kind, 0) + 1
            by_folder[folder] = by_folder.get(folder, 0.0) + seconds
        slowest = sorted(self.dbt_nodes, key=lambda n: -n[3])[:top]
        return {
            "nodes": counts,
            "seconds_by_kind": {k: round(v, 1) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])},
            "seconds_by_folder": {k: round(v, 1) for k, v in sorted(by_folder.items(), key=lambda kv: -kv[1])},
            "slowest": [{"node": n, "kind": k, "folder": f, "seconds": round(t, 2)} for n, k, f, t in slowest],
        }


@contextlib.contextmanager
def _exclusive_lock(path: Path, wait: float | None = None):
    """One build at a time per work directory. A second one fails at once (LockHeld, exit 3) with a clear message, or
    with `wait` waits that many seconds for it (negative: as long as it takes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        started = time.monotonic()
        said = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                fh.seek(0)
                holder = fh.read().strip() or "?"
                waited = time.monotonic() - started
                if wait is None or (wait >= 0 and waited >= wait):
                    after = f" after waiting {waited:.0f}s" if wait is not None else ""
                    advice = ("wait for it to finish, or pass --wait to queue behind it" if wait is None else
                              "wait for it to finish, or pass a longer --wait (no value: as long as it takes)")
                    raise LockHeld(f"another build (pid {holder}) holds {path}{after}; {advice}") from exc
                if not said:
                    log.info("waiting for the build holding %s (pid %s)%s", path, holder,
                             f", at most {wait:g}s" if wait >= 0 else "")
                    said = True
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Signals:
    """SIGINT and SIGTERM during a run: the running step stops (Interrupted), the run is recorded, nothing is
    published. During the publication's final renames the signal waits until they are done. A second signal acts as
    the default would."""

    def __init__(self):
        self.received: str | None = None
        self.pending: str | None = None
        self.old: dict = {}

    def _handler(self, signum, frame):
        from customer_scoring import publish

        name = signal.Signals(signum).name
        self.received = name
        for sig, old in self.old.items():  # the next signal acts at once
            signal.signal(sig, old)
        if publish.committing:
            self.pending = name
            return
        raise Interrupted(name)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.old[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, old in self.old.items():
            signal.signal(sig, old)
        return False


# dbt threads on DuckDB when neither --threads nor CS_THREADS says (D100): two threads overlap one node's Python work
# (compiling, dbt's bookkeeping) with another's query, which pays on small data (the 2,000-contact demo: dbt steps
# 34.6 s with two, 41.1 s with one); on larger data two heavy queries share DuckDB's one memory limit and each already
# uses every core: at 100,000 contacts (135 MB of raw files) two threads ran out of memory in a data test where one
# built in 140 s, and at 1,000,000 one thread took 417 s against 775 s with two.
SMALL_RAW_BYTES = 64_000_000


# The checks of the project rather than of the data, which a build runs only with --full-checks (settings.unit_tests):
# the dbt unit tests, and the data tests of the intermediate models (dbt_project.yml tags them `structural`), which
# hold only what the project's own SQL guarantees once staging has classified the rows; they are 344 of the 607
# data tests, and took 30 s of a build's 41 s of tests at 100,000 contacts (D101).
PROJECT_CHECKS = ("test_type:unit", "tag:structural")


def default_threads(settings: BuildSettings) -> tuple[int, str]:
    """(threads, why) for a build that did not set them: 2 on PostgreSQL; on DuckDB 2 when the raw folder's files
    weigh under SMALL_RAW_BYTES, else 1."""
    if settings.target != "duckdb":
        return 2, f"{settings.target}"
    raw = Path(settings.raw_path) if settings.raw_path is not None else None
    if raw is None or not raw.exists():
        return 2, "no raw folder to weigh"
    size = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file())
    if size < SMALL_RAW_BYTES:
        return 2, f"raw files {size / 1e6:,.0f} MB, under {SMALL_RAW_BYTES / 1e6:,.0f} MB"
    return 1, (f"raw files {size / 1e6:,.0f} MB, over {SMALL_RAW_BYTES / 1e6:,.0f} MB: one model at a time, each "
               f"query on every core")


def _interrupted_message(signame: str, where: str) -> str:
    return f"interrupted by {signame} {where}: nothing published, the previous publication is untouched"


def _dbt_env(s: BuildSettings, project: Path) -> dict[str, str]:
    env = {
        "CS_TARGET": s.target,
        "CS_DUCKDB_PATH": str(s.work_db.resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if s.raw_path is not None:
        env["CS_RAW_PATH"] = str(Path(s.raw_path).resolve())
    if s.threads:
        env["CS_THREADS"] = str(s.threads)
    if s.target != "duckdb":
        # Warehouse builds land in build_* schemas; publish swaps them in.
        env["CS_SCHEMA_PREFIX"] = "build"
    if s.target == "postgres":
        env["PGOPTIONS"] = pg_options()
    return env


def pg_options(current: str | None = None) -> str:
    """libpq's PGOPTIONS for dbt's PostgreSQL sessions: the user's, with `-c jit=off` added unless they set jit.

    The models' transactions already run without JIT (macro session_settings, a pre-hook); the data and unit tests
    have no hooks, and JIT compiled their queries for longer than they ran (9 s of a 12 s uniqueness test on the
    demo, D97)."""
    current = os.environ.get("PGOPTIONS", "") if current is None else current
    if "jit" in current:
        return current
    return f"{current} -c jit=off".strip()


# Parsed projects of this process, by everything a parse depends on except the as-of date (a var read when a model is
# compiled, at run time) and the raw folder (read at compile time too): a second build in the same process (the test
# suite, a backtest, a Python caller building several dates) reuses the manifest instead of parsing again (about
# 10 s). dbt's own partial parsing cannot help there: a change of --vars makes it parse everything again.
_PARSED: dict[tuple, object] = {}
PARSED_KEPT = 4


def _project_fingerprint(project: Path) -> tuple:
    """Size and modification time of every file dbt parses: an edit between two builds of one process parses again."""
    out = []
    for name in ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml"):
        f = project / name
        if f.is_file():
            st = f.stat()
            out.append((name, st.st_size, st.st_mtime_ns))
    for folder in ("models", "macros", "seeds", "tests/dbt", "analyses", "snapshots"):
        root = project / folder
        if root.is_dir():
            for f in sorted(root.rglob("*")):
                if f.is_file():
                    st = f.stat()
                    out.append((str(f.relative_to(project)), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _parse_key(settings: BuildSettings, project: Path) -> tuple:
    """What a parsed manifest depends on: project files, target, the environment the project reads at parse time
    (schema prefix, database file name) and every var but as_of_date. Not the raw folder: on DuckDB the staging
    models find their files when they are compiled (macro raw_file_reader reads CS_RAW_PATH then); the sources'
    external_location, rendered at parse time, is read by no model, so builds of other raw folders (the test suite's
    modules, each with its own generated data) share one parse."""
    env = _dbt_env(settings, project)
    env_part = tuple(sorted((k, v) for k, v in env.items()
                            if k not in ("CS_DUCKDB_PATH", "CS_THREADS", "CS_RAW_PATH")))
    other = tuple(sorted((k, v) for k, v in os.environ.items()
                         if k.startswith("CS_") and k not in dict(env) and k != PARSE_CACHE_ENV))
    return (str(project), settings.target, Path(env["CS_DUCKDB_PATH"]).name, env_part, other,
            json.dumps(settings.extra_vars, sort_keys=True, default=str), _project_fingerprint(project))


# The parse also kept on disk (D99), so that another process (the next day's build, a CLI call, a test worker) skips
# it: dbt's own partial parsing starts again from nothing whenever a --vars value (the as-of date) or the database
# path changes, that is on every build of a new date and in every new work folder. The file is dbt's own
# partial_parse.msgpack, named by a digest of everything _parse_key holds, with the files' contents in place of their
# modification times and the dbt, adapter and Python versions added.
PARSE_CACHE_ENV = "CS_PARSE_CACHE"
PARSE_CACHE_KEPT = 8


def _parse_digest(settings: BuildSettings, project: Path) -> str:
    """Hex digest naming a parse in the parse cache: _parse_key's parts with file contents instead of times."""
    import hashlib
    import platform
    from importlib import metadata

    h = hashlib.sha256()
    key = _parse_key(settings, project)
    h.update(repr(key[:-1]).encode())  # everything but the files' sizes and times
    for name in ("dbt-core", f"dbt-{settings.target}", "dbt-adapters"):
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=none;".encode())
    h.update(platform.python_version().encode())
    for rel, _size, _mtime in key[-1]:
        h.update(rel.encode() + b"\0" + (project / rel).read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _parse_cache_dir(settings: BuildSettings) -> Path | None:
    """CS_PARSE_CACHE (a folder shared by work folders, or `off`), else <work dir>/target/parse_cache."""
    value = os.environ.get(PARSE_CACHE_ENV, "").strip()
    if value.lower() in ("off", "0", "false", "no"):
        return None
    return Path(value) if value else settings.work_dir / "target" / "parse_cache"


def _load_parsed(path: Path):
    """The manifest kept at `path`, ready for dbtRunner(manifest=...) as dbt readies a partial parse that found
    nothing changed (maps and flat graph built); None when there is none or it cannot be read (dbt then parses)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        manifest = Manifest.from_msgpack(data, decoder=extended_mashumuro_decoder)
        manifest.build_parent_and_child_maps()
        manifest.build_group_map()
        manifest.build_flat_graph()
        return manifest
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file only costs a parse
        log.debug("parse cache %s not usable (%s): parsing", path, exc)
        return None


def _keep_parsed(written: Path, cache: Path, name: str) -> None:
    """Copy the parse dbt just wrote (`written`: <target path>/partial_parse.msgpack) into the cache, atomically;
    keep the newest PARSE_CACHE_KEPT files."""
    if not written.is_file():
        return
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        shutil.copyfile(written, tmp)
        os.replace(tmp, cache / name)
        kept = sorted(cache.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[PARSE_CACHE_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only or full cache folder only costs the next build a parse
        log.debug("parse cache %s not written: %s", cache, exc)


def parse_project(settings: BuildSettings, project: Path, target_path: Path | None = None):
    """(manifest, how): the project parsed for `settings`, from the parse cache when it holds this parse (D99), else
    by `dbt parse` (into `target_path`, default <work dir>/target), then kept in the cache. Raises BuildError."""
    cache = _parse_cache_dir(settings)
    name = f"{_parse_digest(settings, project)}.msgpack" if cache is not None else ""
    manifest = _load_parsed(cache / name) if cache is not None else None
    if manifest is not None:
        return manifest, f"parse cache {cache / name}"
    target = target_path or settings.work_dir / "target"
    res = invoke_dbt(["parse", "--target-path", str(Path(target).resolve())], project, settings)
    if not res.success or res.result is None:
        fails = _failures(res)
        raise BuildError("dbt parse failed: " + ("; ".join(fails) if fails else _plain(str(res.exception))))
    if cache is not None:
        _keep_parsed(Path(target) / "partial_parse.msgpack", cache, name)
    return res.result, "parsed"


def invoke_dbt(args: list[str], project: Path, settings: BuildSettings, manifest=None, callbacks=None,
               write_json: bool = True):
    """One dbt invocation through dbtRunner. dbtRunner never raises: check success and surface the exception.

    With `manifest` (the result of a `parse` invocation with the same settings and vars), dbt skips parsing the
    project: the runner parses once per build and every later step reuses it. dbt writes nothing to the console
    (the runner speaks for it); its full log goes to <work dir>/logs/dbt.log. `callbacks` receive dbt's events.
    write_json False: dbt writes no manifest.json and run_results.json (`--no-write-json`; its parse cache,
    target/partial_parse.msgpack, is written all the same)."""
    from dbt.cli.main import dbtRunner

    base = [
        "--project-dir", str(project), "--profiles-dir", str(project), "--target", settings.target,
        "--target-path", str((settings.work_dir / "target").resolve()),
        "--log-path", str((settings.work_dir / "logs").resolve()),
        "--log-level", "none", "--log-level-file", "debug",
        *(() if write_json else ("--no-write-json",)),
    ]
    dbt_vars = {"as_of_date": settings.as_of.isoformat(), **settings.extra_vars}
    if settings.refresh_since:
        dbt_vars["refresh_since"] = settings.refresh_since
    words = 2 if args[0] == "source" else 1  # `source freshness` is a two-word command
    command = args[:words] + base + ["--vars", json.dumps(dbt_vars)] + args[words:]
    old = {k: os.environ.get(k) for k in _dbt_env(settings, project)}
    os.environ.update(_dbt_env(settings, project))
    try:
        return dbtRunner(manifest=manifest, callbacks=callbacks or []).invoke(command)
    finally:
        _release_duckdb()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _release_duckdb() -> None:
    """dbt-duckdb keeps the database open in-process after an invocation; close it so that publishing (and the
    next invocation) can open the file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # adapter not installed: nothing to release
        return
    env = DuckDBConnectionManager._ENV
    if env is not None and hasattr(env, "close"):
        env.close()
    DuckDBConnectionManager.close_all_connections()


def _node_times(res) -> list[tuple[str, str, str, float]]:
    """(name, kind, folder, seconds) of each node a dbt invocation executed (BuildResult.dbt_time)."""
    out = []
    for r in getattr(res.result, "results", None) or []:
        node = getattr(r, "node", None)
        if node is None:
            continue
        rtype = str(getattr(node.resource_type, "value", node.resource_type))
        kind = {"test": "data_test"}.get(rtype, rtype)
        parts = Path(getattr(node, "original_file_path", "") or "").parts
        if parts[:1] == ("models",):
            folder = "/".join(p for p in parts[1:3] if not p.endswith((".sql", ".yml", ".yaml", ".py")))
        else:
            folder = parts[0] if parts else "?"
        out.append((node.name, kind, folder or "models", float(getattr(r, "execution_time", 0.0) or 0.0)))
    return out


def _status(r) -> str:
    status = getattr(r, "status", "")
    return str(getattr(status, "value", status)).lower()


def _failures(res, settings: "BuildSettings | None" = None) -> list[str]:
    """One line per failed node: its id, status and dbt's message. With `settings`, a failed columns_are_valid test
    (one test for all the column checks of a model) also says which checks failed, read again from the work
    database: 'recency_days accepted_range [0, ]: 3 rows'."""
    out = []
    results = getattr(res.result, "results", None) or []
    for r in results:
        status = _status(r)
        if status in ("error", "fail", "runtime error", "runtimeerror"):
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", "?") if node is not None else "?"
            msg = _plain(getattr(r, "message", "") or "")
            if settings is not None and status == "fail" and _test_name(node) == "columns_are_valid":
                msg += _column_checks_detail(settings, node)
            # Keep the whole message (a configuration error lists every offending row), on one line.
            text = " | ".join(line.strip() for line in msg.splitlines() if line.strip())
            out.append(f"{name}: {status}: {text[:2000]}")
    return out


def _test_name(node) -> str | None:
    meta = getattr(node, "test_metadata", None)
    return getattr(meta, "name", None)


def _column_checks_detail(settings: "BuildSettings", node) -> str:
    """The failing checks of a failed columns_are_valid test, from its compiled query (columns column_name,
    check_name, rule, failing_rows); empty when they cannot be read."""
    sql = getattr(node, "compiled_code", None)
    if not sql:
        return ""
    try:
        rows = _query(settings, sql)
    except Exception as exc:  # the failure itself is already reported; the detail is a help
        log.debug("could not read the failing checks of %s: %s", getattr(node, "unique_id", "?"), exc)
        return ""
    return ": " + "; ".join(f"{c} {check}{' ' + rule if rule else ''}: {n:,} row{'s' if n != 1 else ''}"
                            for c, check, rule, n in rows)


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text or "").strip()


class _Progress:
    """dbt event callback: a log line every `every` finished nodes or every `seconds`, with nodes done / total."""

    def __init__(self, label: str, seconds: float = 30.0, every: int | None = None):
        self.label, self.seconds, self.every = label, seconds, every
        self.total = self.done = self.failed = 0
        self.started = self.last = time.monotonic()
        self.last_done = 0
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        name = event.info.name
        if name == "LogStartLine":
            self.total = max(self.total, int(getattr(event.data, "total", 0) or 0))
        elif name == "NodeFinished":
            status = str(getattr(getattr(event.data, "run_result", None), "status", "")).lower()
            with self.lock:
                self.done += 1
                self.failed += status in ("error", "fail", "runtime error")
                now = time.monotonic()
                every = self.every or max(100, self.total // 4)
                if now - self.last >= self.seconds or self.done - self.last_done >= every:
                    self.last, self.last_done = now, self.done
                    log.info("%s: %d/%s nodes done%s, %.0fs", self.label, self.done, self.total or "?",
                             f", {self.failed} failed" if self.failed else "", now - self.started)


def build(settings: BuildSettings) -> BuildResult:
    """parse, dbt build (seeds, models and data tests; the unit tests too with settings.unit_tests), checks
    (freshness against the as-of date and the audit warnings), then publish. Never raises for a failed step: the result says which step failed; the previous
    publication stays in place. The result is written to <work dir>/logs/last_run.json (and appended to runs.jsonl)."""
    project = project_dir()
    settings.work_dir = Path(settings.work_dir).resolve()
    settings.publish_dir = Path(settings.publish_dir).resolve()
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    result = BuildResult(run_id=run_id, as_of=settings.as_of, steps=[], success=False,
                         dbt_log=settings.work_dir / "logs" / "dbt.log")
    log.info("build %s: as of %s, target %s, project %s", run_id, settings.as_of, settings.target, project)

    signals = _Signals()

    def step(name, fn):
        return _run_step(settings, result, signals, name, fn)

    parsed = {}
    # what the dbt steps leave out: the caller's exclusions, and the checks of the project itself (unit tests, the
    # intermediate models' data tests, tag structural: D100) unless asked for
    exclusions = [*settings.exclude, *([] if settings.unit_tests else list(PROJECT_CHECKS))]
    if not settings.predict and not settings.select:
        # nothing but the predict step reads the training examples (about a sixth of a build's model time)
        exclusions.append(PREDICT_FEATURES)

    def preflight():
        # The raw tables against the input contract, before dbt: a missing required table or column stops the build
        # here, in one line each; the rest is said once (notes) and detected dialects become dbt vars.
        from customer_scoring import rawcheck

        try:
            found = rawcheck.check(settings.raw_path, settings.target, settings.extra_vars)
        except rawcheck.RawCheckError as exc:
            raise BuildError(str(exc)) from exc
        result.inputs = found.as_dict()
        for note in found.notes:
            log.info("input: %s", note)
        if found.errors:
            raise BuildError("the raw data does not meet the input contract (docs/INPUT_CONTRACT.md):\n  "
                             + "\n  ".join(found.errors))
        settings.extra_vars = {**settings.extra_vars, **found.dbt_vars}
        present = sum(1 for t in found.tables if t.location)
        threads = ""
        if not settings.threads and not os.environ.get("CS_THREADS"):
            settings.threads, why = default_threads(settings)
            threads = f"; dbt threads {settings.threads} ({why})"
        return f"{present} of {len(found.tables)} raw tables present{threads}"

    def parse():
        # Parsed once: the build step reuses the manifest instead of parsing the project again.
        if settings.raw_path is not None and settings.target == "duckdb" and not Path(settings.raw_path).exists():
            raise BuildError(f"raw path {settings.raw_path} does not exist")
        key = _parse_key(settings, project)
        cached = _PARSED.get(key)
        if cached is not None:
            # (the work folder's target/ then holds no manifest.json of its own: nothing reads it)
            parsed["manifest"] = cached
            return f"{len(cached.nodes)} nodes (parsed earlier in this process: same project, target and vars)"
        manifest, how = parse_project(settings, project)
        how = "" if how == "parsed" else f" ({how})"
        parsed["manifest"] = manifest
        _PARSED[key] = manifest
        while len(_PARSED) > PARSED_KEPT:
            _PARSED.pop(next(iter(_PARSED)))
        return f"{len(manifest.nodes)} nodes{how}"

    def validate_config():
        # Seeds and the scoring configuration's validation first: a broken seed fails here, with the offending rows
        # named, before any raw table is read.
        args = ["build", "--select", "resource_type:seed", "int_scoring__config_errors",
                "int_activation__config_errors", "--indirect-selection", "cautious"]
        if exclusions:
            args += ["--exclude", *exclusions]
        res = invoke_dbt(args, project, settings, manifest=parsed.get("manifest"), write_json=settings.dbt_artifacts)
        result.dbt_nodes += _node_times(res)
        if not res.success:
            fails = _failures(res, settings)
            result.failures = fails
            if not fails:
                raise BuildError(f"configuration check failed: {_plain(str(res.exception))}")
            raise BuildError("the configuration (seeds) is not valid:\n  " + "\n  ".join(fails[:10]))
        return f"{len(getattr(res.result, 'results', None) or [])} nodes"

    def clear_predictions():
        # Without a predict step (--no-predict) the models must not read an earlier run's predictions of the same
        # as-of date left in the work database: drop them, so the predictions are null and model_status says not_run.
        from customer_scoring import predict_io

        return predict_io.drop_predictions(settings)

    def dbt_build(stage: str = "all"):
        # stage "all": the whole project in one invocation (a partial build, or predictions off). With predictions,
        # "features" builds everything that does not read the predict step's relations (source predict: staging,
        # facts, training examples) and "scores" builds what does (criteria, scoring, marts, model_* marts), with the
        # predict step in between.
        args = ["build", "--exclude", "resource_type:seed", "int_scoring__config_errors",
                "int_activation__config_errors"]
        if stage == "features":
            args.append(PREDICTION_READERS)
        if settings.select:
            # Partial builds run only the tests whose every parent is built, not those that would read a missing
            # relation.
            args += ["--select", *settings.select, "--indirect-selection", "cautious"]
        elif stage == "scores":
            args += ["--select", PREDICTION_READERS]
        if exclusions:
            args[2:2] = exclusions
        if stage != "scores" and not settings.refresh_since:
            # a full build: the incremental models (the large staging tables) are rebuilt from nothing
            args.append("--full-refresh")
        progress = _Progress("dbt build" if stage == "all" else f"dbt build ({stage})")
        res = invoke_dbt(args, project, settings, manifest=parsed.get("manifest"), callbacks=[progress],
                         write_json=settings.dbt_artifacts)
        result.dbt_nodes += _node_times(res)
        results = getattr(res.result, "results", None) or []
        # Relations this run built: the checks read only these (never a table left over from an earlier build).
        parsed.setdefault("built", {}).update({
            r.node.name: (r.node.schema, r.node.alias or r.node.name)
            for r in results
            if getattr(r, "node", None) is not None and r.node.resource_type == "model" and _status(r) == "success"
        })
        if not res.success:
            fails = _failures(res, settings)
            result.failures = fails
            if not fails:
                raise BuildError(f"dbt build failed: {_plain(str(res.exception))}")
            shown = "\n  ".join(fails[:10])
            more = f"\n  ... and {len(fails) - 10} more (see failures in the JSON result)" if len(fails) > 10 else ""
            raise BuildError(f"dbt build failed on {len(fails)} node(s):\n  {shown}{more}")
        return f"{len(results)} nodes"

    def refresh():
        return _refresh_decide(settings, result, project)

    def refresh_saved():
        return _refresh_save(settings, result, project, parsed.get("manifest"), parsed.get("built", {}))

    def predict_step():
        return _predict(settings, result, project, parsed.get("manifest"), parsed.get("built", {}))

    def checks():
        return _checks(settings, result, parsed.get("built", {}))

    def publication():
        public = _public_relations(parsed.get("manifest"), settings.target)
        return _publish(settings, result, public, parsed.get("built", {}))

    exported: dict = {}

    def export():
        public = _public_relations(parsed.get("manifest"), settings.target)
        built = set(parsed.get("built", {}).values())
        missing = sorted(f"{s}.{t}" for s, t in public - built)
        if missing:
            return (f"skipped: a partial build exports nothing ({len(missing)} of the {len(public)} public relations "
                    f"not rebuilt); the previous exports, if any, stay")
        return _export_prepare(settings, result, exported, built)

    # The steps, in order; the first failure stops the build and nothing is published.
    steps = [
        ("preflight", preflight),
        ("parse", parse),
        *((("history", lambda: _pg_history(parsed.get("manifest"))),) if settings.target == "postgres" else ()),
        ("config", validate_config),
        ("refresh", refresh),
        *((("clear predictions", clear_predictions),) if not settings.predict and not settings.select else ()),
        *((("dbt build", dbt_build),) if settings.select or not settings.predict else (
            ("dbt build", lambda: dbt_build("features")),
            ("predict", predict_step),
            ("dbt build (scores)", lambda: dbt_build("scores")),
        )),
        ("checks", checks),
        *((("export", export),) if settings.export else ()),
        ("publish", publication),
        ("refresh state", refresh_saved),
    ]
    return _locked_run(settings, result, signals, lambda: _run_steps(settings, result, signals, steps, exported))


# ------------------------------------------------------------------------------------------ incremental refresh
# D104. The large staging tables (events, orders, order lines) are incremental models: a build after a complete build
# of the same project, target, raw location and vars, as of the same date or later, recomputes only the business
# keys whose rows changed (models/staging/base/base_*_refresh). The state is <work dir>/refresh_state.json, written
# after a build that published and removed when a build starts: a failed, interrupted or partial build leaves none,
# and the next build is full.
REFRESH_STATE = "refresh_state.json"


def _refresh_identity(settings: BuildSettings, project: Path) -> dict:
    """What an incremental build must share with the build whose tables it updates."""
    return {
        "target": settings.target,
        "project": _parse_digest(settings, project),
        "raw": str(Path(settings.raw_path).resolve()) if settings.raw_path is not None else None,
        "database": str(settings.work_db.resolve()) if settings.target == "duckdb" else None,
    }


def _cutoff(as_of: dt.date) -> str:
    """The exclusive upper bound of what a build as of `as_of` reads (macro as_of_cutoff): the next day, 00:00."""
    return f"{(as_of + dt.timedelta(days=1)).isoformat()} 00:00:00"


def _refresh_decide(settings: BuildSettings, result: BuildResult, project: Path) -> str:
    """Full or incremental, and why; removes the saved state (a build that does not finish leaves none)."""
    path = settings.work_dir / REFRESH_STATE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = None
    path.unlink(missing_ok=True)
    settings.refresh_since = None
    if settings.full_refresh:
        reason = "asked (--full-refresh)"
    elif settings.target == "spark":
        reason = "Spark tables are rebuilt whole"
    elif not isinstance(state, dict) or "as_of_date" not in state:
        reason = "no complete earlier build in this work folder"
    elif state.get("identity") != _refresh_identity(settings, project):
        changed = sorted(k for k, v in _refresh_identity(settings, project).items()
                         if (state.get("identity") or {}).get(k) != v)
        reason = "changed since the earlier build: " + ", ".join(changed)
    elif dt.date.fromisoformat(state["as_of_date"]) > settings.as_of:
        reason = f"the as-of date is before the earlier build's ({state['as_of_date']})"
    else:
        settings.refresh_since = _cutoff(dt.date.fromisoformat(state["as_of_date"]))
        result.refresh = {"mode": "incremental", "reason": f"after the build as of {state['as_of_date']}",
                          "since": settings.refresh_since}
        return f"incremental: rows loaded or dated from {settings.refresh_since}, as of {state['as_of_date']} before"
    result.refresh = {"mode": "full", "reason": reason, "since": None}
    return f"full: {reason}"


def _refresh_models(manifest) -> set[str]:
    """The incremental staging models (materialized by macro refresh_materialization) and their refresh models."""
    nodes = [n for n in getattr(manifest, "nodes", {}).values() if n.resource_type == "model"]
    staged = {n.name for n in nodes if n.name.endswith("_refresh") and n.name.startswith("base_")}
    return staged | {n.name for n in nodes if any(p.split(".")[-1] in staged for p in n.depends_on.nodes)
                     and n.config.materialized == "incremental"}


def _refresh_save(settings: BuildSettings, result: BuildResult, project: Path, manifest, built: dict) -> str:
    """After a build that passed every step: the state the next build starts from, when this build brought every
    incremental staging model and its refresh model up to its as-of date (a partial build that left one out keeps
    none: the next build is full)."""
    if settings.target == "spark":
        return "none kept (Spark tables are rebuilt whole)"
    needed = _refresh_models(manifest)
    missing = sorted(needed - set(built))
    if not needed or missing:
        return f"none kept: {', '.join(missing) or 'no incremental model'} not rebuilt (the next build is full)"
    path = settings.work_dir / REFRESH_STATE
    tmp = path.with_name(f".{REFRESH_STATE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"as_of_date": settings.as_of.isoformat(), "run_id": result.run_id,
                               "identity": _refresh_identity(settings, project)}, indent=2) + "\n")
    os.replace(tmp, path)
    return f"kept: the next build as of {settings.as_of.isoformat()} or later can be incremental"


def _predict(settings: BuildSettings, result: BuildResult, project: Path, manifest, built: dict) -> str:
    """The predict step: training examples -> customer_scoring.predict -> source `predict` relations."""
    from customer_scoring import predict, predict_io

    if settings.refit not in REFIT_RULES:
        raise BuildError(f"--refit must be one of {', '.join(REFIT_RULES)}, got {settings.refit!r}")
    # A training-example model switched off by the project (int_campaign__training_examples with enable_campaigns
    # false) leaves its targets without a model, said in model_status; one that exists but was not built (a failed or
    # excluded node) stops the step.
    enabled = {n.name for n in manifest.nodes.values() if n.resource_type == "model"} if manifest else set(built)
    missing = [m for m in TRAINING_EXAMPLES if m not in built and m in enabled]
    if missing:
        raise BuildError(f"{', '.join(missing)} not built: the predict step has nothing to learn from")
    dbt_vars = predict_io.project_vars(project, settings.extra_vars)
    model_dir = Path(settings.model_dir or settings.work_dir / "models").resolve()
    common = dict(
        horizon_days=int(dbt_vars["prediction_horizon_days"]),
        min_examples=int(dbt_vars["prediction_min_examples"]),
        min_positives=int(dbt_vars["prediction_min_positives"]),
        cutoff_spacing_days=int(dbt_vars["prediction_cutoff_spacing_days"]),
        refit=settings.refit, registry_dir=model_dir, as_of=settings.as_of,
    )
    runs, rows, switched_off = [], 0, []
    for model_name, function in TRAINING_EXAMPLES.items():
        if model_name not in built:
            switched_off.append(model_name)
            continue
        examples = predict_io.read_frame(settings, built[model_name], "cutoff_date, contact_id")
        rows += len(examples)
        try:
            runs.append(getattr(predict, function)(examples, **common))
        except predict.PredictionError as exc:
            raise BuildError(f"predict: {exc}") from exc
    run = predict_io.combine(runs)
    for model_name in switched_off:
        for target in SWITCHED_OFF_TARGETS[model_name]:
            run.prediction_status.loc[len(run.prediction_status)] = {
                "target": target, "status": "not_fitted", "model_id": None, "examples": None, "positives": None,
                "message": f"not scored: {model_name} is switched off ({SWITCHED_OFF_TARGETS[model_name][target]})"}
            run.log.append(f"{target}: not_fitted: {model_name} is switched off")
    for message in run.log:
        log.info("predict: %s", message)
    frames = {name: getattr(run, name) for name in predict_io.TABLES}
    # the registry's as_of_date is the date the model was trained as of; every table's as_of_date is this build's
    registry = frames["model_registry"].rename(columns={"as_of_date": "trained_as_of"})
    # artifact paths relative to the model folder: where the work folder lives is not an output
    registry["artifact_path"] = [
        str(Path(p).relative_to(model_dir)) if p and Path(p).is_relative_to(model_dir) else p
        for p in registry["artifact_path"]]
    frames["model_registry"] = registry
    written = predict_io.write_frames(settings, manifest, frames)
    status = frames["prediction_status"]
    counts = status["status"].value_counts().to_dict() if len(status) else {}
    return (f"{rows:,} training rows; " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()))
            + f"; {written.get('prediction_scores', 0):,} predictions")


def _locked_run(settings: BuildSettings, result: BuildResult, signals: "_Signals", body) -> BuildResult:
    """Run `body` (the steps; all() stops at the first failed one) under the work folder's lock with SIGINT and
    SIGTERM handled, after removing what a killed run left behind; record the result. Raises LockHeld."""
    with signals:
        try:
            with _exclusive_lock(settings.work_dir / ".build.lock", settings.wait):
                _clean_stale(settings)
                result.success = bool(body())
        except Interrupted as exc:  # between steps, or while waiting for the lock
            result.interrupted = exc.signame
            where = f"after step {result.steps[-1].name}" if result.steps else "before the first step"
            result.error = _interrupted_message(exc.signame, where)
            log.error("%s", result.error)
            result.success = False
        if signals.pending and result.success:
            message = f"{signals.pending} arrived while the publication was being made current: it was completed"
            log.warning("%s", message)
            result.warnings.append(message)
        _record_run(settings, result)
    return result


def _run_step(settings: BuildSettings, result: BuildResult, signals: "_Signals", name: str, fn) -> bool:
    """One step, timed and logged on one line; a BuildError, an interruption or a full disk fails it."""
    from customer_scoring import publish

    t0 = time.perf_counter()
    try:
        detail = fn() or ""
        ok = True
    except Interrupted as exc:
        detail, ok = _interrupted_message(exc.signame, f"during step {name}"), False
    except publish.PublicationRefused as exc:
        detail, ok = _publish_again_command(settings, str(exc)), False
        result.refused = True
    except (publish.PublishError, publish.NothingToPublish) as exc:
        detail, ok = str(exc), False
    except BuildError as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # noqa: BLE001 - only a full disk is turned into a message; anything else is a bug
        if not publish.is_disk_full(exc):
            raise
        detail, ok = str(exc), False
    if not ok and signals.received and not result.interrupted:
        # dbt catches the interruption itself and reports a failed run: say what happened instead.
        detail = _interrupted_message(signals.received, f"during step {name}")
    if not ok and signals.received:
        result.interrupted = signals.received
    if not ok and publish.is_disk_full(Exception(detail)) and not detail.startswith("disk full"):
        try:
            free = f"{shutil.disk_usage(settings.work_dir).free / 1e6:,.0f} MB free"
        except OSError:
            free = "free space unknown"
        detail = (f"disk full: no space left on device during step {name} ({settings.work_dir}: {free}); nothing "
                  f"published, the previous publication is untouched")
    st = Step(name, round(time.perf_counter() - t0, 3), ok, detail)
    result.steps.append(st)
    # The one place a step's outcome, and a failure's message, is printed.
    if ok:
        log.info("step %-10s ok in %.1fs%s", name, st.seconds, f": {detail}" if detail else "")
    else:
        log.error("step %-10s FAILED in %.1fs: %s", name, st.seconds, detail)
        result.error = f"{name}: {detail}"
    return ok


def _publish_again_command(settings: BuildSettings, message: str) -> str:
    """The refusal's suggested command, with this run's own folders and target: a build with --work-dir elsewhere
    is published again from there, not from the default folder."""
    import shlex

    args = ["customer-scoring", "publish"]
    if settings.target != "duckdb":
        args += ["--target", settings.target]
    args += ["--work-dir", shlex.quote(str(settings.work_dir)), "--publish-dir", shlex.quote(str(settings.publish_dir)),
             "--accept-row-loss"]
    return message.replace("`customer-scoring publish --accept-row-loss`", f"`{' '.join(args)}`")


def _clean_stale(settings: BuildSettings) -> None:
    """Temporary files of a killed run: the publication's (publish.clean_stale) and the result file's."""
    from customer_scoring import publish

    removed = publish.clean_stale(settings.publish_dir)
    logs = settings.work_dir / "logs"
    if logs.is_dir():
        for p in logs.glob(".last_run.*.tmp"):
            p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run: %s", len(removed),
                 ", ".join(str(p) for p in removed[:5]) + (" ..." if len(removed) > 5 else ""))


def _pg_history(manifest) -> str:
    """PostgreSQL, before the first dbt step: the history tables (every incremental model tagged `history`, in a
    build_<schema> schema) must hold every earlier as-of date when the build's incremental models append to them. An
    mvcc publication keeps them in build_<schema>; after a swap publication (or a database restore) they are copied
    back from the public schema (publish.pg_prepare_history, which also lists them for the publication)."""
    import psycopg2

    from customer_scoring import publish

    tables = {(node.schema[len("build_"):], node.alias or node.name) for node in manifest.nodes.values()
              if node.resource_type == "model" and node.config.materialized == "incremental"
              and "history" in node.tags and node.schema.startswith("build_")}
    try:
        return publish.pg_prepare_history(tables)
    except psycopg2.Error as exc:
        raise BuildError(f"cannot prepare the history tables {', '.join(f'{s}.{t}' for s, t in sorted(tables))} "
                         f"on PostgreSQL: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}") from exc


def _public_relations(manifest, target: str) -> set[tuple[str, str]]:
    """The project's public relations (schema, table) in the work database: every enabled, non-ephemeral model in a
    published schema (build_<schema> on a warehouse)."""
    if manifest is None:
        return set()
    prefix = "" if target == "duckdb" else "build_"
    schemas = {f"{prefix}{s}" for s in PUBLISHED_SCHEMAS}
    out = set()
    for node in manifest.nodes.values():
        if node.resource_type != "model" or node.config.materialized == "ephemeral":
            continue
        if node.schema in schemas:
            out.add((node.schema, node.alias or node.name))
    return out


def publish_last(settings: BuildSettings) -> BuildResult:
    """`customer-scoring publish`: publish the work folder's last build again, without rebuilding (after a refused
    publication, with --accept-row-loss; after an interrupted or failed publish step). Only a build whose every step
    before publish passed and that rebuilt every public relation can be published."""
    settings.work_dir = Path(settings.work_dir).resolve()
    settings.publish_dir = Path(settings.publish_dir).resolve()
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    result = BuildResult(run_id=run_id, as_of=settings.as_of, steps=[], success=False,
                         dbt_log=settings.work_dir / "logs" / "dbt.log")
    signals = _Signals()

    def publication():
        last_file = settings.work_dir / "logs" / "last_run.json"
        if not last_file.is_file():
            raise BuildError(f"no build in {settings.work_dir} ({last_file} is missing): build first")
        last = json.loads(last_file.read_text())
        result.build_run_id = last.get("build_run_id") or last.get("run_id")
        result.as_of = settings.as_of = dt.date.fromisoformat(last["as_of_date"])
        result.public_relations, result.built_public = last.get("public_relations", []), last.get("built_public", [])
        if not last.get("publishable"):
            why = last.get("error") or "it did not rebuild every public relation"
            raise BuildError(f"the last build in {settings.work_dir} ({result.build_run_id}) cannot be published: "
                             f"{why}")
        result.publishable = True
        log.info("publishing build %s as of %s from %s", result.build_run_id, result.as_of, settings.work_dir)
        return _publish_relations(settings, result, [tuple(r.split(".", 1)) for r in result.built_public])

    exported: dict = {}

    def export():
        # The last build's work, exported as it is published: prepared before the publication, placed after it.
        last_file = settings.work_dir / "logs" / "last_run.json"
        last = json.loads(last_file.read_text()) if last_file.is_file() else {}
        if not last.get("publishable"):
            return "skipped: the last build cannot be published (see the publish step)"
        settings.as_of = dt.date.fromisoformat(last["as_of_date"])
        # (relations of the work database: build_marts.<table> on a warehouse)
        built = {tuple(r.split(".", 1)) for r in last.get("built_public", [])}
        return _export_prepare(settings, result, exported, built, private=False)

    steps = [*((("export", export),) if settings.export else ()), ("publish", publication)]
    return _locked_run(settings, result, signals, lambda: _run_steps(settings, result, signals, steps, exported))


EXPORT_PLACE = "export (place)"


def _run_steps(settings: BuildSettings, result: BuildResult, signals: "_Signals", steps, exported: dict) -> bool:
    """The steps in order, the first failure stopping the run; then, when the export step prepared a set and every
    step passed (the publication succeeded), the step that makes it current. A prepared set not placed (a failed,
    refused or interrupted publication) is removed."""
    from customer_scoring import activation

    try:
        ok = all(_run_step(settings, result, signals, name, fn) for name, fn in steps)
        if ok and exported.get("prepared") is not None:
            ok = _run_step(settings, result, signals, EXPORT_PLACE, lambda: _export_place(result, exported))
        return ok
    finally:
        activation.discard(exported.get("prepared"))


def _export_prepare(settings: BuildSettings, result: BuildResult, exported: dict, built: set[tuple[str, str]],
                    private: bool = True) -> str:
    """The export step: every audience, the triggers and the manifest written into a temporary folder beside
    <export dir>/<as-of date>/, from the relations this run's work holds (nothing current changes yet)."""
    from customer_scoring import activation

    export_dir = settings.export_root.resolve()
    removed = activation.clean_stale(export_dir)
    if removed:
        log.info("removed %d temporary export folder(s) left by an interrupted run: %s", len(removed),
                 ", ".join(str(p) for p in removed[:5]) + (" ..." if len(removed) > 5 else ""))
    prefix = "" if settings.target == "duckdb" else "build_"
    members = (f"{prefix}{activation.RELATIONS['audience_members'][0]}", activation.RELATIONS["audience_members"][1])
    if members not in built:
        return f"skipped: no audiences ({members[0]}.{members[1]} is not part of this build)"
    # The models an export reads (not the seeds): all built by this run. `publish` knows only the public ones it
    # records; a private one missing from the work database fails the step (activation.ExportError).
    needed = [(f"{prefix}{s}", t) for name, (s, t) in activation.RELATIONS.items() if s != "config"
              and (private or s in PUBLISHED_SCHEMAS)]
    missing = [f"{s}.{t}" for s, t in needed if (s, t) not in built]
    if missing:
        return f"skipped: {', '.join(missing)} not part of this build; the previous exports, if any, stay"
    threads = settings.threads or 2
    memory = os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB")
    try:
        if settings.target == "duckdb":
            source = activation.duckdb_source(settings.work_db, threads=threads, memory_limit=memory)
        else:
            source = activation.postgres_source(prefix, threads=threads, memory_limit=memory)
        try:
            prepared = activation.prepare(source, export_dir, settings.as_of, result.run_id, threads=threads)
        finally:
            source.close()
    except activation.MissingRelation as exc:
        if private:
            raise BuildError(str(exc)) from exc
        # `publish` of a build made before a model an export reads was part of the project
        return f"skipped: {exc}; the previous exports, if any, stay"
    except activation.ExportError as exc:
        raise BuildError(str(exc)) from exc
    exported["prepared"] = prepared
    return f"{prepared.summary()}; placed in {prepared.final} once published"


def _export_place(result: BuildResult, exported: dict) -> str:
    """After the publication: the prepared set becomes <export dir>/<as-of date>/ in one atomic exchange (a signal
    waits until it is done, as during the publication's renames)."""
    from customer_scoring import activation, publish

    prepared = exported["prepared"]
    publish.committing = True
    try:
        result.exports = activation.place(prepared)
    finally:
        publish.committing = False
    detail = f"{result.exports} ({prepared.summary()})"
    if prepared.erasures:
        # An erasure applied by this build: the sets of other dates may hold the person (as the publication's older
        # versions do, which are deleted too); only this date's set, written without them, stays.
        removed = activation.purge_other_dates(result.exports.parent, prepared.as_of)
        if removed:
            detail += (f"; {prepared.erasures} erasure request(s) applied as of {prepared.as_of}: removed the "
                       f"export sets of {', '.join(p.name for p in removed)}")
    return detail


def _read(settings: BuildSettings, relation: tuple[str, str], sql: str) -> list[tuple]:
    """Rows of `sql` where `{rel}` is a relation of the work database (quoted schema.table)."""
    schema, table = relation
    return _query(settings, sql.format(rel=f'"{schema}"."{table}"'))


def _query(settings: BuildSettings, query: str) -> list[tuple]:
    """Rows of one query on the work database (read-only on DuckDB)."""
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.work_db), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()
    from customer_scoring import postgres

    conn = postgres.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetchall()
    finally:
        conn.close()


def _checks(settings: BuildSettings, result: BuildResult, built: dict[str, tuple[str, str]]) -> str:
    """After a successful dbt build: freshness of every raw table judged against the as-of date (audit.dq_freshness),
    the warnings of audit.dq_reconciliation, and empty customer and lead marts while raw contacts exist. Warnings are
    logged and listed in result.warnings; stale tables fail the step with --fail-on-stale."""
    def warn(message: str) -> None:
        log.warning("%s", message)
        result.warnings.append(message)

    parts = []
    as_of = settings.as_of.isoformat()
    contacts = None
    orders = None
    if "dq_reconciliation" in built:
        rows = _read(settings, built["dq_reconciliation"],
                     "select source_table, raw_rows, after_as_of_rows, erased_rows, quarantined_rows, warning "
                     "from {rel} order by source_table")
        # visible: loaded by the as-of date and not a row of a person erased by then
        for table, raw, later, erased, quarantined, message in rows:
            if table == "crm.contacts":
                contacts = (raw, raw - later - erased)
            if table == "shop.orders":
                orders = (raw, raw - later - erased, quarantined)
            if message:
                warn(f"{table}: {message}")
    if "customer_scores" in built and orders and orders[1] > 0:
        customers = _read(settings, built["customer_scores"], "select count(*) from {rel}")[0][0]
        if customers == 0:
            warn(f"no customer scored as of {as_of} although shop.orders has {orders[1]:,} rows visible as of {as_of} "
                 f"({orders[2]:,} quarantined): see audit.quarantine for the reasons (an undeclared dialect leaves "
                 f"every date or amount unreadable; the log's input lines say what to declare)")
    if {"customer_scores", "lead_scores"} <= built.keys() and contacts and contacts[0] > 0:
        customers = _read(settings, built["customer_scores"], "select count(*) from {rel}")[0][0]
        leads = _read(settings, built["lead_scores"], "select count(*) from {rel}")[0][0]
        if customers == 0 and leads == 0:
            warn(f"no customer and no lead scored as of {as_of} although crm.contacts has {contacts[0]:,} raw rows "
                 f"({contacts[1]:,} visible as of {as_of}): marts.customer_scores and marts.lead_scores are empty")
    if "dq_freshness" not in built:
        message = "freshness not checked: audit.dq_freshness was not built by this selection"
        if settings.fail_on_stale:
            warn(message)
        return message
    rows = _read(settings, built["dq_freshness"],
                 "select source_table, freshness_status, days_since_load, warn_after_days, error_after_days, "
                 "cast(newest_loaded_at as varchar) from {rel} order by source_table")
    by_status: dict[str, list[str]] = {}
    for table, status, days, warn_days, error_days, newest in rows:
        result.freshness[table] = {"status": status, "days_since_load": days, "newest_loaded_at": newest,
                                   "warn_after_days": warn_days, "error_after_days": error_days}
        by_status.setdefault(status, []).append(table)

    def named(status: str) -> str:
        return ", ".join(f"{t} ({result.freshness[t]['days_since_load']} days, error after "
                         f"{result.freshness[t]['error_after_days']:g})" for t in by_status.get(status, []))

    counts = ", ".join(f"{len(by_status.get(s, []))} {s.replace('_', ' ')}"
                       for s in ("fresh", "warn", "stale", "empty", "not_checked") if by_status.get(s))
    parts.append(f"freshness as of {as_of}: {counts}")
    if by_status.get("warn"):
        parts.append("warn: " + ", ".join(by_status["warn"]))
    if by_status.get("empty"):
        parts.append("empty as of the as-of date: " + ", ".join(by_status["empty"]))
    if by_status.get("stale"):
        if settings.fail_on_stale:
            raise BuildError(f"stale raw tables as of {as_of} (--fail-on-stale): {named('stale')}")
        warn(f"stale raw tables as of {as_of}: {named('stale')} (age of the newest row's _loaded_at, or of its business "
             f"timestamp when the table has no _loaded_at column)")
    if result.warnings:
        parts.append(f"{len(result.warnings)} warning(s)")
    return "; ".join(parts)


def _record_run(settings: BuildSettings, result: BuildResult) -> None:
    """The machine-readable result: <work dir>/logs/last_run.json (replaced atomically) and a line in runs.jsonl."""
    logs = settings.work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result.result_file = logs / "last_run.json"
    data = result.as_dict()
    tmp = logs / f".last_run.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, result.result_file)
        with open(logs / "runs.jsonl", "a") as fh:
            fh.write(json.dumps(data) + "\n")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from customer_scoring import publish

        what = "disk full" if publish.is_disk_full(exc) else str(exc)
        log.error("cannot write the run's result to %s: %s", logs, what)


def _publish(settings: BuildSettings, result: BuildResult, public: set[tuple[str, str]],
             built: dict[str, tuple[str, str]]) -> str:
    """Publish only a complete, consistent set: every public relation of the project, all rebuilt by this run (one
    as-of date). A partial build (--select, --exclude) that did not rebuild all of them publishes nothing: the build
    passes with a warning and the previous publication stays."""
    built_public = {rel for rel in built.values() if rel in public}
    result.public_relations = sorted(f"{s}.{t}" for s, t in public)
    result.built_public = sorted(f"{s}.{t}" for s, t in built_public)
    if not built_public:
        return (f"skipped: this selection rebuilt none of the {len(public)} public relations; "
                "the previous publication, if any, stays")
    missing = sorted(f"{s}.{t}" for s, t in public - built_public)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        message = (f"not published: a partial build rebuilt {len(built_public)} of the {len(public)} public "
                   f"relations (not {shown}); a publication holds every public relation as of one date, so only a "
                   f"build of all of them publishes; the previous publication, if any, stays")
        log.warning("%s", message)
        result.warnings.append(message)
        return "skipped: " + message[len("not published: "):]
    result.publishable = True
    return _publish_relations(settings, result, sorted(built_public))


def _publish_relations(settings: BuildSettings, result: BuildResult, relations: list[tuple[str, str]]) -> str:
    from customer_scoring import publish

    guard = dict(max_row_loss=settings.max_row_loss, accept_row_loss=settings.accept_row_loss)
    if settings.target == "duckdb":
        pub = publish.publish_duckdb(settings.work_db, settings.publish_dir, run_id=result.run_id,
                                     as_of=settings.as_of, parquet=settings.publish_parquet, relations=relations,
                                     **guard)
        result.publication = pub.path
        detail = f"{pub.path} -> {pub.version.relative_to(settings.publish_dir)}"
    elif settings.target == "postgres":
        relations = [(s[len("build_"):] if s.startswith("build_") else s, t) for s, t in relations]
        pub = publish.publish_postgres(run_id=result.run_id, as_of=settings.as_of, relations=relations,
                                       mode=settings.pg_publish, lock_timeout=settings.pg_lock_timeout,
                                       tries=settings.pg_lock_tries, **guard)
        detail = f"schemas {', '.join(PUBLISHED_SCHEMAS)} ({settings.pg_publish}, {len(relations)} tables)"
    else:
        raise BuildError(f"no publication method for target {settings.target}")
    for warning in pub.warnings:
        if warning not in result.warnings:
            log.warning("%s", warning)
            result.warnings.append(warning)
    return detail
