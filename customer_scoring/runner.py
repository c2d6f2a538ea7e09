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

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "as_of_date": self.as_of.isoformat(),
            "success": self.success,
            "publication": str(self.publication) if self.publication else None,
            "error": self.error,
            "failures": self.failures,
            "steps": [s.__dict__ for s in self.steps],
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


def invoke_dbt(args: list[str], project: Path, settings: BuildSettings, manifest=None):
    """One dbt invocation through dbtRunner. dbtRunner never raises: check success and surface the exception.

    With `manifest` (the result of a `parse` invocation with the same settings and vars), dbt skips parsing the
    project: the runner parses once per build and every later step reuses it."""
    from dbt.cli.main import dbtRunner

    base = [
        "--project-dir", str(project), "--profiles-dir", str(project), "--target", settings.target,
        "--target-path", str((settings.work_dir / "target").resolve()),
        "--log-path", str((settings.work_dir / "logs").resolve()),
    ]
    dbt_vars = {"as_of_date": settings.as_of.isoformat(), **settings.extra_vars}
    words = 2 if args[0] == "source" else 1  # `source freshness` is a two-word command
    command = args[:words] + base + ["--vars", json.dumps(dbt_vars)] + args[words:]
    old = {k: os.environ.get(k) for k in _dbt_env(settings, project)}
    os.environ.update(_dbt_env(settings, project))
    try:
        return dbtRunner(manifest=manifest).invoke(command)
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
            msg = re.sub(r"\x1b\[[0-9;]*m", "", getattr(r, "message", "") or "").strip()
            # Keep the whole message (a configuration error lists every offending row), on one line.
            text = " | ".join(line.strip() for line in msg.splitlines() if line.strip())
            out.append(f"{name}: {status}: {text[:2000]}")
    return out


def _stale_sources(res) -> tuple[list[str], list[str]]:
    warn, error = [], []
    for r in getattr(res.result, "results", None) or []:
        status = _status(r)
        name = getattr(getattr(r, "node", None), "unique_id", "?")
        if status == "warn":
            warn.append(name)
        elif status in ("error", "runtime error", "runtimeerror"):
            error.append(name)
    return warn, error


def build(settings: BuildSettings) -> BuildResult:
    """seed + run + test (dbt build), source freshness, then publish. Never raises for a failed step: the result
    says which step failed; the previous publication stays in place."""
    project = project_dir()
    settings.work_dir = Path(settings.work_dir).resolve()
    settings.publish_dir = Path(settings.publish_dir).resolve()
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    result = BuildResult(run_id=run_id, as_of=settings.as_of, steps=[], success=False)
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
        log.info("step %-10s %s in %.1fs%s", name, "ok" if ok else "FAILED", st.seconds,
                 f": {detail}" if detail else "")
        if not ok:
            result.error = f"{name}: {detail}"
        return ok

    parsed = {}

    def parse():
        # Parsed once: freshness and build reuse the manifest instead of each parsing the project again.
        if settings.raw_path is not None and settings.target == "duckdb" and not Path(settings.raw_path).exists():
            raise BuildError(f"raw path {settings.raw_path} does not exist")
        res = invoke_dbt(["parse"], project, settings)
        if not res.success or res.result is None:
            fails = _failures(res)
            raise BuildError("dbt parse failed: " + ("; ".join(fails) if fails else repr(res.exception)))
        parsed["manifest"] = res.result
        return f"{len(res.result.nodes)} nodes"

    def dbt_build():
        args = ["build"]
        if settings.select:
            # Partial builds run only the tests whose every parent is built, not those that would read a missing
            # relation.
            args += ["--select", *settings.select, "--indirect-selection", "cautious"]
        if settings.exclude:
            args += ["--exclude", *settings.exclude]
        res = invoke_dbt(args, project, settings, manifest=parsed.get("manifest"))
        if not res.success:
            fails = _failures(res)
            result.failures = fails
            why = "; ".join(fails[:10]) if fails else repr(res.exception)
            if len(fails) > 10:
                why += f"; and {len(fails) - 10} more (see failures)"
            raise BuildError(f"dbt build failed: {why}")
        n = len(getattr(res.result, "results", []) or [])
        return f"{n} nodes"

    def freshness():
        res = invoke_dbt(["source", "freshness"], project, settings, manifest=parsed.get("manifest"))
        if res.result is None:
            raise BuildError(f"source freshness could not run: {res.exception!r}")
        warn, error = _stale_sources(res)
        detail = f"{len(warn)} warn, {len(error)} stale"
        if error:
            detail += f" ({', '.join(e.split('.', 2)[-1] for e in error[:6])})"
            if settings.fail_on_stale:
                raise BuildError("stale sources: " + detail)
        return detail

    with _exclusive_lock(settings.work_dir / ".build.lock"):
        ok = step("parse", parse) and step("freshness", freshness) and step("dbt build", dbt_build)
        if ok:
            ok = step("publish", lambda: _publish(settings, result))
    result.success = ok
    _record_run(settings, result)
    return result


def _record_run(settings: BuildSettings, result: BuildResult) -> None:
    logs = settings.work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "runs.jsonl", "a") as fh:
        fh.write(json.dumps(result.as_dict()) + "\n")


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
