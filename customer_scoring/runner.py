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
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("customer_scoring")

PUBLISHED_SCHEMAS = ("marts", "audit")
PUBLICATION_FILE = "customer_scoring.duckdb"


class BuildError(RuntimeError):
    """A step failed; the message says which and why."""


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

    @property
    def work_db(self) -> Path:
        return self.work_dir / "customer_scoring.duckdb"


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

    @property
    def failed_step(self) -> str | None:
        return next((s.name for s in self.steps if not s.success), None)

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
        }


@contextlib.contextmanager
def _exclusive_lock(path: Path):
    """One build at a time per work directory: a second one fails at once with a clear message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildError(f"another build holds {path}; wait for it to finish") from exc
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    return env


def invoke_dbt(args: list[str], project: Path, settings: BuildSettings, manifest=None, callbacks=None):
    """One dbt invocation through dbtRunner. dbtRunner never raises: check success and surface the exception.

    With `manifest` (the result of a `parse` invocation with the same settings and vars), dbt skips parsing the
    project: the runner parses once per build and every later step reuses it. dbt writes nothing to the console
    (the runner speaks for it); its full log goes to <work dir>/logs/dbt.log. `callbacks` receive dbt's events."""
    from dbt.cli.main import dbtRunner

    base = [
        "--project-dir", str(project), "--profiles-dir", str(project), "--target", settings.target,
        "--target-path", str((settings.work_dir / "target").resolve()),
        "--log-path", str((settings.work_dir / "logs").resolve()),
        "--log-level", "none", "--log-level-file", "debug",
    ]
    dbt_vars = {"as_of_date": settings.as_of.isoformat(), **settings.extra_vars}
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


def _status(r) -> str:
    status = getattr(r, "status", "")
    return str(getattr(status, "value", status)).lower()


def _failures(res) -> list[str]:
    out = []
    results = getattr(res.result, "results", None) or []
    for r in results:
        status = _status(r)
        if status in ("error", "fail", "runtime error", "runtimeerror"):
            node = getattr(r, "node", None)
            name = getattr(node, "unique_id", "?") if node is not None else "?"
            msg = _plain(getattr(r, "message", "") or "")
            # Keep the whole message (a configuration error lists every offending row), on one line.
            text = " | ".join(line.strip() for line in msg.splitlines() if line.strip())
            out.append(f"{name}: {status}: {text[:2000]}")
    return out


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
    """parse, dbt build (seeds, models, data and unit tests), checks (freshness against the as-of date and the
    audit warnings), then publish. Never raises for a failed step: the result says which step failed; the previous
    publication stays in place. The result is written to <work dir>/logs/last_run.json (and appended to runs.jsonl)."""
    project = project_dir()
    settings.work_dir = Path(settings.work_dir).resolve()
    settings.publish_dir = Path(settings.publish_dir).resolve()
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    result = BuildResult(run_id=run_id, as_of=settings.as_of, steps=[], success=False,
                         dbt_log=settings.work_dir / "logs" / "dbt.log")
    log.info("build %s: as of %s, target %s, project %s", run_id, settings.as_of, settings.target, project)

    def step(name, fn):
        t0 = time.perf_counter()
        try:
            detail = fn() or ""
            ok = True
        except BuildError as exc:
            detail, ok = str(exc), False
        st = Step(name, round(time.perf_counter() - t0, 3), ok, detail)
        result.steps.append(st)
        # The one place a step's outcome, and a failure's message, is printed.
        if ok:
            log.info("step %-10s ok in %.1fs%s", name, st.seconds, f": {detail}" if detail else "")
        else:
            log.error("step %-10s FAILED in %.1fs: %s", name, st.seconds, detail)
            result.error = f"{name}: {detail}"
        return ok

    parsed = {}

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
        return f"{present} of {len(found.tables)} raw tables present"

    def parse():
        # Parsed once: the build step reuses the manifest instead of parsing the project again.
        if settings.raw_path is not None and settings.target == "duckdb" and not Path(settings.raw_path).exists():
            raise BuildError(f"raw path {settings.raw_path} does not exist")
        res = invoke_dbt(["parse"], project, settings)
        if not res.success or res.result is None:
            fails = _failures(res)
            raise BuildError("dbt parse failed: " + ("; ".join(fails) if fails else _plain(str(res.exception))))
        parsed["manifest"] = res.result
        return f"{len(res.result.nodes)} nodes"

    def validate_config():
        # Seeds and the scoring configuration's validation first: a broken seed fails here, with the offending rows
        # named, before any raw table is read.
        args = ["build", "--select", "resource_type:seed", "int_scoring__config_errors",
                "--indirect-selection", "cautious"]
        if settings.exclude:
            args += ["--exclude", *settings.exclude]
        res = invoke_dbt(args, project, settings, manifest=parsed.get("manifest"))
        if not res.success:
            fails = _failures(res)
            result.failures = fails
            if not fails:
                raise BuildError(f"configuration check failed: {_plain(str(res.exception))}")
            raise BuildError("the configuration (seeds) is not valid:\n  " + "\n  ".join(fails[:10]))
        return f"{len(getattr(res.result, 'results', None) or [])} nodes"

    def dbt_build():
        args = ["build", "--exclude", "resource_type:seed", "int_scoring__config_errors"]
        if settings.select:
            # Partial builds run only the tests whose every parent is built, not those that would read a missing
            # relation.
            args += ["--select", *settings.select, "--indirect-selection", "cautious"]
        if settings.exclude:
            args[2:2] = settings.exclude
        progress = _Progress("dbt build")
        res = invoke_dbt(args, project, settings, manifest=parsed.get("manifest"), callbacks=[progress])
        results = getattr(res.result, "results", None) or []
        # Relations this run built: the checks read only these (never a table left over from an earlier build).
        parsed["built"] = {
            r.node.name: (r.node.schema, r.node.alias or r.node.name)
            for r in results
            if getattr(r, "node", None) is not None and r.node.resource_type == "model" and _status(r) == "success"
        }
        if not res.success:
            fails = _failures(res)
            result.failures = fails
            if not fails:
                raise BuildError(f"dbt build failed: {_plain(str(res.exception))}")
            shown = "\n  ".join(fails[:10])
            more = f"\n  ... and {len(fails) - 10} more (see failures in the JSON result)" if len(fails) > 10 else ""
            raise BuildError(f"dbt build failed on {len(fails)} node(s):\n  {shown}{more}")
        return f"{len(results)} nodes"

    def checks():
        return _checks(settings, result, parsed.get("built", {}))

    # The steps, in order; the first failure stops the build and nothing is published.
    steps = [
        ("preflight", preflight),
        ("parse", parse),
        ("config", validate_config),
        ("dbt build", dbt_build),
        ("checks", checks),
        ("publish", lambda: _publish(settings, result)),
    ]
    with _exclusive_lock(settings.work_dir / ".build.lock"):
        ok = all(step(name, fn) for name, fn in steps)  # all() stops at the first failed step
    result.success = ok
    _record_run(settings, result)
    return result


def _read(settings: BuildSettings, relation: tuple[str, str], sql: str) -> list[tuple]:
    """Rows of `sql` where `{rel}` is a relation of the work database (quoted schema.table)."""
    schema, table = relation
    query = sql.format(rel=f'"{schema}"."{table}"')
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
                     "select source_table, raw_rows, after_as_of_rows, quarantined_rows, warning from {rel} "
                     "order by source_table")
        for table, raw, later, quarantined, message in rows:
            if table == "crm.contacts":
                contacts = (raw, raw - later)
            if table == "shop.orders":
                orders = (raw, raw - later, quarantined)
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
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, result.result_file)
    with open(logs / "runs.jsonl", "a") as fh:
        fh.write(json.dumps(data) + "\n")


def _publish(settings: BuildSettings, result: BuildResult) -> str:
    from customer_scoring import publish

    if settings.target == "duckdb":
        try:
            path = publish.publish_duckdb(
                settings.work_db, settings.publish_dir, run_id=result.run_id, as_of=settings.as_of,
                parquet=settings.publish_parquet,
            )
        except publish.NothingToPublish as exc:
            return f"skipped: {exc}"
        result.publication = path
        return str(path)
    if settings.target == "postgres":
        try:
            publish.publish_postgres(run_id=result.run_id, as_of=settings.as_of)
        except publish.NothingToPublish as exc:
            return f"skipped: {exc}"
        return "schemas " + ", ".join(PUBLISHED_SCHEMAS)
    raise BuildError(f"no publication method for target {settings.target}")
