"""`customer-scoring backtest`: the scores as of past dates, from the same raw data, into the score history.

For each as-of date, oldest first, the models score_history and score_factor_history need are built as of that date
(point in time, as every build is) and the two incremental history models append, or replace, that date's rows.
Everything but the history tables lands in `backtest_<schema>` (var backtest_schema_prefix, read by
macros/utils/generate_schema_name.sql), so the regular build's work tables, its logs/last_run.json and the
publication are never touched. The project is parsed once, with that var; every later dbt invocation reuses the
parsed manifest with the date in --vars (dbt compiles each node again with the new date: checked by
tests/test_backtest.py). A model that does not depend on the as-of date, nor on a model that does, is built once.
No predict step runs: the predict source holds rows of the regular build's as-of date only, so on a past date the
predictive columns are null and the `predict` profile scores with its fallback (recency).

After the dates, tier_changes, tier_performance and score_drift are built (in the backtest schemas) as of the regular
build's as-of date (logs/last_run.json) or --as-of, and tier_performance is printed. The published marts get them at
the next regular build.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from customer_scoring import runner

log = logging.getLogger("customer_scoring")

PREFIX = "backtest"
HISTORY_MODELS = ("score_history", "score_factor_history")
PERFORMANCE_MODELS = ("tier_changes", "tier_performance", "score_drift")
# Words in a model's or macro's code that make it depend on the as-of date.
DATE_WORDS = re.compile(r"as_of|run_started_at|current_date|current_timestamp|now\(\)")


@dataclass
class DateResult:
    as_of: dt.date
    seconds: float
    success: bool
    score_rows: int = 0
    factor_rows: int = 0
    nodes: int = 0
    error: str | None = None


@dataclass
class BacktestResult:
    run_id: str
    dates: list[DateResult] = field(default_factory=list)
    planned: list[dt.date] = field(default_factory=list)
    steps: list[runner.Step] = field(default_factory=list)
    success: bool = False
    error: str | None = None
    failures: list[str] = field(default_factory=list)
    performance_as_of: dt.date | None = None
    performance: list[dict] = field(default_factory=list)
    parses: int = 0
    built_once: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: str | None = None
    locked: bool = False

    @property
    def exit_code(self) -> int:
        if self.success:
            return runner.EXIT_OK
        if self.locked:
            return runner.EXIT_LOCKED
        if self.interrupted:
            import signal

            return 128 + int(signal.Signals[self.interrupted])
        return runner.EXIT_FAILED

    def as_dict(self) -> dict:
        return {
            "kind": "backtest",
            "run_id": self.run_id,
            "success": self.success,
            "error": self.error,
            "failures": self.failures,
            "dates": [{**d.__dict__, "as_of": d.as_of.isoformat()} for d in self.dates],
            "planned": [d.isoformat() for d in self.planned],
            "steps": [s.__dict__ for s in self.steps],
            "performance_as_of": self.performance_as_of.isoformat() if self.performance_as_of else None,
            "parses": self.parses,
            "built_once": self.built_once,
            "notes": self.notes,
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
        }


@dataclass
class BacktestSettings:
    start: dt.date
    end: dt.date
    every: str = "30d"
    target: str = "duckdb"
    raw_path: Path | None = None
    work_dir: Path = Path("build")
    threads: int | None = None
    extra_vars: dict = field(default_factory=dict)
    wait: float | None = None
    # The as-of date of tier_performance, score_drift and tier_changes: default the regular build's (last_run.json).
    performance_as_of: dt.date | None = None
    performance: bool = True


# ------------------------------------------------------------------------------------------------ dates
def backtest_dates(start: dt.date, end: dt.date, every: str) -> list[dt.date]:
    """The as-of dates from `start` to `end` (both included when on the grid), oldest first. `every`: Nd (days), Nw
    (weeks), Nm or 'monthly' (months: month ends when `start` is a month end, else the same day of the month, or the
    month's last day when it is shorter)."""
    if end < start:
        raise runner.BuildError(f"--to {end} is before --from {start}")
    text = (every or "").strip().lower()
    if text == "monthly":
        text = "1m"
    match = re.fullmatch(r"(\d+)\s*([dwm])", text)
    if not match or int(match.group(1)) < 1:
        raise runner.BuildError(f"--every must be Nd, Nw, Nm or monthly (30d, 2w, 1m), got {every!r}")
    n, unit = int(match.group(1)), match.group(2)
    if unit in "dw":
        step = dt.timedelta(days=n * (7 if unit == "w" else 1))
        out, d = [], start
        while d <= end:
            out.append(d)
            d += step
        return out
    month_end = start.day == calendar.monthrange(start.year, start.month)[1]
    out, k = [], 0
    while True:
        months = start.month - 1 + k * n
        year, month = start.year + months // 12, months % 12 + 1
        last = calendar.monthrange(year, month)[1]
        d = dt.date(year, month, last if month_end else min(start.day, last))
        if d > end:
            return out
        out.append(d)
        k += 1


# ------------------------------------------------------------------------------------------------ the manifest
def _macro_uses_date(manifest, unique_id: str, seen: dict[str, bool]) -> bool:
    if unique_id in seen:
        return seen[unique_id]
    seen[unique_id] = False  # a cycle guard
    macro = manifest.macros.get(unique_id)
    if macro is None:
        return False
    # adapter.dispatch hides the implementations (default__name, duckdb__name, ...) from depends_on: read them too
    implementations = [uid for uid, m in manifest.macros.items() if m.name.endswith(f"__{macro.name}")
                       and m.package_name == macro.package_name]
    uses = bool(DATE_WORDS.search(macro.macro_sql or "")) or any(
        _macro_uses_date(manifest, m, seen) for m in [*macro.depends_on.macros, *implementations])
    seen[unique_id] = uses
    return uses


def date_dependent_models(manifest) -> set[str]:
    """unique_ids of the models whose SQL depends on the as-of date: their code, or a macro they call (at any depth),
    names it, or a model they read does. The rest is the same on every date and is built once per backtest."""
    macros: dict[str, bool] = {}
    models = {uid: n for uid, n in manifest.nodes.items() if n.resource_type == "model"}
    own = {uid: bool(DATE_WORDS.search(n.raw_code or ""))
           or any(_macro_uses_date(manifest, m, macros) for m in n.depends_on.macros)
           for uid, n in models.items()}
    result: dict[str, bool] = {}

    def dependent(uid: str) -> bool:
        if uid not in result:
            result[uid] = False
            result[uid] = own[uid] or any(dependent(p) for p in models[uid].depends_on.nodes if p in models)
        return result[uid]

    return {uid for uid in models if dependent(uid)}


def ancestors(manifest, names: tuple[str, ...], stop: tuple[str, ...] = ()) -> set[str]:
    """unique_ids of the models `names` and every model upstream of them, without going through the models `stop`."""
    models = {uid: n for uid, n in manifest.nodes.items() if n.resource_type == "model"}
    by_name = {n.name: uid for uid, n in models.items()}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise runner.BuildError(f"the project has no model {', '.join(missing)}: the backtest needs the history "
                                f"models (models/marts/history)")
    out, todo = set(), [by_name[n] for n in names]
    stopped = {by_name[n] for n in stop if n in by_name}
    while todo:
        uid = todo.pop()
        if uid in out:
            continue
        out.add(uid)
        todo += [p for p in models[uid].depends_on.nodes if p in models and p not in stopped]
    return out


# ------------------------------------------------------------------------------------------------ the run
def _settings(bs: BacktestSettings, as_of: dt.date) -> runner.BuildSettings:
    # the date of each build is the backtest's, whatever --vars says
    extra = {k: v for k, v in bs.extra_vars.items() if k != "as_of_date"}
    return runner.BuildSettings(as_of=as_of, target=bs.target, raw_path=bs.raw_path, work_dir=bs.work_dir,
                                threads=bs.threads, extra_vars={**extra, "backtest_schema_prefix": PREFIX},
                                wait=bs.wait, predict=False)


def _target_args(bs: BacktestSettings) -> list[str]:
    # The backtest's own dbt target folder: the regular build's parse cache (target/partial_parse.msgpack) and
    # manifest stay as they are.
    return ["--target-path", str((bs.work_dir / "backtest" / "target").resolve())]


def _dbt(args: list[str], bs: BacktestSettings, s: runner.BuildSettings, manifest, what: str):
    # no manifest.json or run_results.json: nothing reads them, and dbt would rewrite the manifest after every date
    res = runner.invoke_dbt([*args, *_target_args(bs)], runner.project_dir(), s, manifest=manifest, write_json=False)
    if not res.success:
        fails = runner._failures(res, s)
        if not fails:
            raise runner.BuildError(f"{what} failed: {runner._plain(str(res.exception))}")
        shown = "\n  ".join(fails[:10])
        raise runner.BuildError(f"{what} failed on {len(fails)} node(s):\n  {shown}")
    return res


def _count(s: runner.BuildSettings, relation: tuple[str, str], as_of: dt.date) -> int:
    return int(runner._read(s, relation, f"select count(*) from {{rel}} where as_of_date = "
                                         f"cast('{as_of.isoformat()}' as date)")[0][0])


def _regular_as_of(work_dir: Path) -> dt.date | None:
    path = work_dir / "logs" / "last_run.json"
    try:
        return dt.date.fromisoformat(json.loads(path.read_text())["as_of_date"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def latest_allowed(bs: BacktestSettings) -> tuple[dt.date, str]:
    """The last date a backtest may score, and why: --as-of, else the regular build's as-of date, else today (UTC)."""
    if bs.performance_as_of is not None:
        return bs.performance_as_of, "--as-of"
    regular = _regular_as_of(Path(bs.work_dir))
    if regular is not None:
        return regular, "the regular build's as-of date in logs/last_run.json"
    return dt.datetime.now(dt.timezone.utc).date(), "today, UTC: no regular build in the work folder"


def run(bs: BacktestSettings) -> BacktestResult:
    """The backtest; never raises for a failed step (the result says what failed), except LockHeld."""
    bs.work_dir = Path(bs.work_dir).resolve()
    bs.work_dir.mkdir(parents=True, exist_ok=True)
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    result = BacktestResult(run_id=run_id)
    result.planned = backtest_dates(bs.start, bs.end, bs.every)
    signals = runner._Signals()
    try:
        with signals:
            with runner._exclusive_lock(bs.work_dir / ".build.lock", bs.wait):
                _steps(bs, result)
    except runner.LockHeld as exc:
        result.locked, result.error = True, str(exc)
        log.error("%s", exc)
    except runner.Interrupted as exc:
        result.interrupted = exc.signame
        result.error = f"interrupted by {exc.signame}: the dates done so far are in the history"
        log.error("%s", result.error)
    _record(bs, result)
    return result


def _step(result: BacktestResult, name: str, fn) -> bool:
    t0 = time.perf_counter()
    try:
        detail, ok = fn() or "", True
    except runner.BuildError as exc:
        detail, ok = str(exc), False
    step = runner.Step(name, round(time.perf_counter() - t0, 3), ok, detail)
    result.steps.append(step)
    if ok:
        log.info("backtest step %-12s ok in %.1fs%s", name, step.seconds, f": {detail}" if detail else "")
    else:
        log.error("backtest step %-12s FAILED in %.1fs: %s", name, step.seconds, detail)
        result.error = f"{name}: {detail}"
    return ok


def _steps(bs: BacktestSettings, result: BacktestResult) -> None:
    from customer_scoring import rawcheck

    dates = result.planned
    state: dict = {}
    log.info("backtest %s: %d date(s) from %s to %s (every %s), target %s", result.run_id, len(dates), dates[0],
             dates[-1], bs.every, bs.target)

    def preflight():
        if bs.raw_path is not None and bs.target == "duckdb" and not Path(bs.raw_path).exists():
            raise runner.BuildError(f"raw path {bs.raw_path} does not exist")
        # A backtest scores past dates: a date after the regular build's (or --as-of, or today without either) would
        # put scores of a day no build has reached into the history, which the next build publishes and tier_changes
        # turns into changes caused only by time passing without data.
        limit, why = latest_allowed(bs)
        late = [d for d in dates if d > limit]
        if late:
            raise runner.BuildError(
                f"{len(late)} backtest date(s) after {limit} ({why}): {', '.join(str(d) for d in late[:3])}"
                f"{' ...' if len(late) > 3 else ''}; a backtest scores past dates only (use --to {limit} or earlier)")
        try:
            found = rawcheck.check(bs.raw_path, bs.target, bs.extra_vars)
        except rawcheck.RawCheckError as exc:
            raise runner.BuildError(str(exc)) from exc
        if found.errors:
            raise runner.BuildError("the raw data does not meet the input contract (docs/INPUT_CONTRACT.md):\n  "
                                    + "\n  ".join(found.errors))
        bs.extra_vars = {**bs.extra_vars, **found.dbt_vars}
        threads = ""
        if not bs.threads and not os.environ.get("CS_THREADS"):
            bs.threads, why = runner.default_threads(_settings(bs, dates[0]))
            threads = f"; dbt threads {bs.threads} ({why})"
        return f"{sum(1 for t in found.tables if t.location)} of {len(found.tables)} raw tables present{threads}"

    def parse():
        s = _settings(bs, dates[0])
        # from the parse cache when an earlier backtest of this project and these vars left it there (D99)
        manifest, how = runner.parse_project(s, runner.project_dir(), bs.work_dir / "backtest" / "target")
        result.parses += how == "parsed"
        state["manifest"] = manifest
        history = ancestors(manifest, HISTORY_MODELS)
        dependent = date_dependent_models(manifest)
        nodes = manifest.nodes
        state["relations"] = {}
        for name in HISTORY_MODELS:
            node = next(n for n in nodes.values() if n.resource_type == "model" and n.name == name)
            if node.schema.startswith(f"{PREFIX}_"):
                raise runner.BuildError(f"{name} would be built in {node.schema}: the history models must be "
                                        f"incremental and tagged history (macros/utils/generate_schema_name.sql)")
            state["relations"][name] = (node.schema, node.alias or node.name)
        config = {uid for uid in history if nodes[uid].name == "int_scoring__config_errors"}
        state["every_date"] = sorted(nodes[u].name for u in history - config if u in dependent)
        state["once"] = sorted(nodes[u].name for u in history - config if u not in dependent)
        result.built_once = state["once"]
        return (f"{len(nodes)} nodes, parsed once for every date; {len(state['every_date'])} models per date, "
                f"{len(state['once'])} built once (they do not depend on the as-of date)")

    def config():
        # Seeds and the scoring configuration's validation (int_scoring__config_errors fails naming every bad row),
        # into the backtest schemas, once. The seeds' own data tests are the regular build's (they do not depend on
        # the date; 4/5 of this step's time at 300 contacts).
        s = _settings(bs, dates[0])
        res = _dbt(["build", "--select", "resource_type:seed", "int_scoring__config_errors",
                    "--exclude", "resource_type:test", "test_type:unit", "--indirect-selection", "cautious"],
                   bs, s, state["manifest"], "configuration check")
        return f"{len(res.result.results)} nodes"

    def one_date(index: int, as_of: dt.date):
        s = _settings(bs, as_of)
        models = state["every_date"] + (state["once"] if index == 0 else [])
        t0 = time.perf_counter()
        res = _dbt(["build", "--select", *models, "--indirect-selection", "empty", "--full-refresh"], bs, s, state["manifest"],
                   f"build as of {as_of}")
        nodes = len(res.result.results)
        # The data tests of the history models (never the unit tests: they check the project on hand-made rows, not
        # the data, and run in the test suite, as for a regular build).
        tests = ["test", "--select", *HISTORY_MODELS, "--indirect-selection", "buildable",
                 "--exclude", "test_type:unit"]
        res = _dbt(tests, bs, s, state["manifest"], f"tests of the history as of {as_of}")
        nodes += len(res.result.results)
        rows = [_count(s, state["relations"][m], as_of) for m in HISTORY_MODELS]
        seconds = round(time.perf_counter() - t0, 2)
        result.dates.append(DateResult(as_of, seconds, True, rows[0], rows[1], nodes))
        return f"{seconds:.1f}s, {rows[0]:,} score rows and {rows[1]:,} factor rows in the history, {nodes} nodes"

    def performance():
        as_of = bs.performance_as_of or _regular_as_of(bs.work_dir)
        if as_of is None:
            as_of = dates[-1]
            result.notes.append(f"no regular build in {bs.work_dir} (logs/last_run.json): tier performance as of the "
                                f"latest backtest date {as_of}")
        result.performance_as_of = as_of
        manifest = state["manifest"]
        nodes = manifest.nodes
        wanted = ancestors(manifest, PERFORMANCE_MODELS, stop=HISTORY_MODELS)
        dependent = date_dependent_models(manifest)
        models = sorted(nodes[u].name for u in wanted if u in dependent and nodes[u].name not in HISTORY_MODELS)
        s = _settings(bs, as_of)
        _dbt(["build", "--select", *models, "--indirect-selection", "empty", "--full-refresh"], bs, s, manifest,
             f"tier performance as of {as_of}")
        _dbt(["test", "--select", *PERFORMANCE_MODELS, "--indirect-selection", "buildable", "--exclude",
              "test_type:unit"], bs, s, manifest,
             f"tests of tier performance as of {as_of}")
        relation = next((n.schema, n.alias or n.name) for n in nodes.values()
                        if n.resource_type == "model" and n.name == "tier_performance")
        columns = ["profile", "period", "tier", "population", "conversions", "conversion_rate", "conversion_rate_low",
                   "conversion_rate_high", "lift", "tiers_in_order", "is_window_complete", "tier_rank",
                   "meets_min_population"]
        rows = runner._read(s, relation, f"select {', '.join(columns)} from {{rel}} order by profile, period, "
                                         f"tier_rank, tier")
        result.performance = [dict(zip(columns, r)) for r in rows]
        return f"as of {as_of}: {len(rows)} tier_performance rows in {relation[0]}.{relation[1]}"

    def history():
        # PostgreSQL: the history tables in build_<schema> must hold every earlier date before the incremental models
        # append (after a swap publication they are copied back from the public schema), as a regular build does.
        return runner._pg_history(state["manifest"])

    steps = [("preflight", preflight), ("parse", parse),
             *((("history", history),) if bs.target == "postgres" else ()), ("config", config)]
    steps += [(f"as of {d}", (lambda i=i, d=d: one_date(i, d))) for i, d in enumerate(dates)]
    if bs.performance:
        steps.append(("performance", performance))
    result.success = all(_step(result, name, fn) for name, fn in steps)
    failed = next((st for st in result.steps if not st.success), None)
    if failed is not None and failed.name.startswith("as of "):
        result.dates.append(DateResult(dt.date.fromisoformat(failed.name[6:]), failed.seconds, False,
                                       error=failed.detail))


def _record(bs: BacktestSettings, result: BacktestResult) -> None:
    """A line in <work dir>/logs/runs.jsonl (kind 'backtest'); last_run.json is the regular build's and stays."""
    logs = bs.work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        with open(logs / "runs.jsonl", "a") as fh:
            fh.write(json.dumps(result.as_dict(), default=str) + "\n")
    except OSError as exc:
        log.error("cannot append the backtest's result to %s: %s", logs / "runs.jsonl", exc)


# ------------------------------------------------------------------------------------------------ output
def _pct(value) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def summary(result: BacktestResult) -> str:
    lines = []
    state = "ok" if result.success else ("INTERRUPTED" if result.interrupted else "FAILED")
    lines.append(f"backtest {result.run_id}: {state}, {len(result.dates)} of {len(result.planned)} date(s), "
                 f"{result.parses} parse(s)" + (f"; {result.error}" if result.error and not result.success else ""))
    if result.dates:
        lines.append(f"  {'as of':<10} {'seconds':>8} {'score rows':>11} {'factor rows':>12}")
        for d in result.dates:
            lines.append(f"  {d.as_of.isoformat():<10} {d.seconds:>8.1f} {d.score_rows:>11,} {d.factor_rows:>12,}"
                         + ("" if d.success else "  FAILED"))
    lines.append("  no predict step: predictive columns are null on past dates and the predict profile scores with "
                 "its fallback (recency)")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if result.performance:
        lines.append("")
        lines.append(f"tier_performance as of {result.performance_as_of} (backtest schemas; the published mart gets it "
                     f"at the next regular build):")
        lines.append(f"  {'profile':<10} {'period':<10} {'tier':<6} {'population':>10} {'conv. rate':>10} "
                     f"{'95% interval':>17} {'lift':>6}  in order")
        for r in result.performance:
            if r["is_window_complete"]:
                interval = ("-" if r["conversion_rate_low"] is None else
                            f"{_pct(r['conversion_rate_low'])}-{_pct(r['conversion_rate_high'])}")
                rate, lift = _pct(r["conversion_rate"]), "-" if r["lift"] is None else f"{float(r['lift']):.2f}"
                # a tier below tier_performance_min_population is shown, not judged: the profile's verdict is not
                # its own
                order = ({True: "yes", False: "NO", None: "-"}[r["tiers_in_order"]]
                         if r.get("meets_min_population", True) else "not judged (too few)")
            else:
                interval, rate, lift, order = "window open", "-", "-", "-"
            lines.append(f"  {r['profile']:<10} {str(r['period']):<10} {r['tier']:<6} {r['population']:>10,} "
                         f"{rate:>10} {interval:>17} {lift:>6}  {order}")
    return "\n".join(lines)
