"""Benchmark: generate a scale once, time a full build in a child process, record its peak memory, and append the
figures with the machine and versions to benchmarks/RESULTS.md. The predictive part (training examples, fit and
predict) is recorded as its own figures: the training-example models in a `dbt run` child and the runner's predict
step alone in another child, each with its wall time and peak RSS, and the training rows read and sampled.

    customer-scoring bench --contacts 1000000          # 10M orders, about 25M events (page views included)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

END_DATE = dt.date(2026, 6, 30)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB"


def versions() -> str:
    names = ("dbt-core", "dbt-duckdb", "duckdb")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names) + f", Python {platform.python_version()}"


def timed_child(args: list[str], env: dict[str, str] | None = None,
                stdin: str | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a child; return wall seconds, its own peak RSS in GiB, and the completed process.

    The peak is that child's alone (os.wait4), not RUSAGE_CHILDREN's maximum over every child so far, which would
    hide a small step run after the full build."""
    with tempfile.TemporaryFile("w+") as inp, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        inp.write(stdin or "")
        inp.seek(0)
        t0 = time.perf_counter()
        child = subprocess.Popen(args, stdin=inp, stdout=out, stderr=err, text=True,
                                 env=None if env is None else {**os.environ, **env})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(args, child.returncode, out.read(), err.read())
    return wall, usage.ru_maxrss / 2**20, proc


def node_timings(work_dir: Path, top: int = 8) -> list[tuple[str, float]]:
    """The slowest nodes (name, execution seconds) of the last dbt run that wrote <work dir>/target/run_results.json."""
    path = work_dir / "target" / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    rows = [(r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in results]
    return sorted(rows, key=lambda r: -r[1])[:top]


def main(a) -> int:
    load_before = os.getloadavg()  # the machine may be shared: the entry says how busy it was
    data = Path(a.data_dir).resolve()
    raw = data / "raw"
    gen_seconds = gen_peak = None
    if a.regenerate or not (raw / "_manifest.json").exists():
        gen_seconds, gen_peak, proc = timed_child([
            sys.executable, "-m", "customer_scoring", "generate", "--out", str(raw), "--contacts", str(a.contacts),
            "--end-date", END_DATE.isoformat(), "--seed", "42",
        ])
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
    manifest = json.loads((raw / "_manifest.json").read_text())
    if manifest["contacts"] != a.contacts:
        print(f"{raw} holds {manifest['contacts']} contacts, not {a.contacts}: use --regenerate", file=sys.stderr)
        return 1
    work = data / "work"
    if a.threads is None:  # what a build of this data without --threads uses (runner.default_threads)
        from customer_scoring import runner

        a.threads, _ = runner.default_threads(runner.BuildSettings(as_of=END_DATE, raw_path=raw))
    only = getattr(a, "only", None)
    if only:
        return main_only(a, only, raw, work, manifest, load_before)
    # A child process per build: its peak RSS is the build's alone (dbt, DuckDB and the publication copy). With
    # --refresh-days N the full build is as of END_DATE - N days and an incremental build as of END_DATE follows
    # (D104): the rows loaded in those N days are the refresh's new data.
    refresh_days = getattr(a, "refresh_days", 0) or 0
    full_as_of = END_DATE - dt.timedelta(days=refresh_days)

    def build(as_of: dt.date, *extra: str):
        return timed_child([
            sys.executable, "-m", "customer_scoring", "build", "--as-of", as_of.isoformat(), "--raw", str(raw),
            "--work-dir", str(work), "--publish-dir", str(data / "publish"), "--threads", str(a.threads),
            "--export-dir", str(data / "exports"),
            "--accept-row-loss",  # a scratch publication: a rerun at a smaller scale is not a lost refresh
            *extra,
        ])

    wall, peak, proc = build(full_as_of, "--full-refresh")
    if proc.returncode:
        print(proc.stderr[-5000:], file=sys.stderr)
        return 1
    # dbt logs to stdout too: read the run's record from the runner's log instead.
    result = json.loads((work / "logs" / "runs.jsonl").read_text().splitlines()[-1])
    refresh = None
    if refresh_days:
        r_wall, r_peak, proc = build(END_DATE)
        if proc.returncode:
            print(proc.stderr[-5000:], file=sys.stderr)
            return 1
        refresh = {"wall": r_wall, "peak": r_peak, "new_rows": new_row_shares(raw, full_as_of),
                   "result": json.loads((work / "logs" / "runs.jsonl").read_text().splitlines()[-1])}
    steps = {s["name"]: s["seconds"] for s in result["steps"]}
    rows = manifest["rows"]
    predictive = []
    if (work / "customer_scoring.duckdb").exists():
        for n in (None, *PREDICTIVE_SAMPLE_SIZES):
            try:
                predictive.append(time_predictive(work, raw, a.threads, n))
            except RuntimeError as exc:  # record it: the full build's figures are still worth keeping
                predictive.append({"error": str(exc).strip().splitlines()[-1][:300], "sample_var": n})
    step_results = []
    run_steps = getattr(a, "steps", None)
    if run_steps is None:  # default: on when the full build left a work database
        run_steps = (work / "customer_scoring.duckdb").exists()
    if run_steps:
        for step in STEPS:
            try:
                step_results.append((step, time_step(step, work, raw, a.threads)))
            except RuntimeError as exc:  # record it: the full build's figures above are still worth keeping
                step_results.append((step, {"error": str(exc).strip().splitlines()[-1][:300]}))
    offers = None
    if run_steps:
        try:
            offers = time_offers(work, raw, a.threads)
        except RuntimeError as exc:
            offers = {"error": str(exc).strip().splitlines()[-1][:300]}
    lines = [
        f"## {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: full build, {a.contacts:,} contacts",
        "",
        f"- command: `customer-scoring bench --contacts {a.contacts} --threads {a.threads}`",
        f"- machine: {machine()}; {versions()}",
        f"- load average (1, 5, 15 min) at the start: {', '.join(f'{x:.1f}' for x in load_before)}; at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores: above that, other processes "
        f"were competing for them)",
        f"- rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())),
    ]
    if gen_seconds is not None:
        lines.append(f"- generation: {gen_seconds:.1f} s, peak RSS {gen_peak:.2f} GiB")
    lines += [
        f"- **full build: {wall:.1f} s wall, peak RSS {peak:.2f} GiB** ("
        + ", ".join(f"{s['name']} {s['seconds']:.1f} s" for s in result["steps"]) + ")",
    ]
    if refresh_days:
        lines[0] += f" (as of {full_as_of}), then an incremental refresh as of {END_DATE}"
        lines[2] = lines[2].replace("`customer-scoring bench", "`customer-scoring bench").replace(
            f"--threads {a.threads}`", f"--threads {a.threads} --refresh-days {refresh_days}`")
    timing = result["dbt_time"]  # every dbt step of the build (runner BuildResult.dbt_time)
    lines += [
        f"- dbt node time summed over threads, every dbt step ({a.threads} thread(s)): "
        + ", ".join(f"{k} {v:.1f} s ({timing['nodes'].get(k, 0)} nodes)"
                    for k, v in timing["seconds_by_kind"].items()),
        "- by folder (a test counts in its model's folder): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timing["seconds_by_folder"].items()),
        "- slowest nodes: " + ", ".join(f"{n['node']} {n['seconds']:.1f} s"
                                        + ("" if n["kind"] == "model" else f" ({n['kind']})")
                                        for n in timing["slowest"]),
    ]
    if refresh is not None:
        lines += refresh_lines(refresh, wall, END_DATE, full_as_of)
    for r in predictive:
        lines += predictive_lines(r, steps)
    for step, r in step_results:
        lines += step_lines(step, r, a.threads)
    if offers is not None:
        lines += offer_lines(offers, a.threads)
    lines.append("")
    text = "\n".join(lines) + "\n"
    append_results(Path(a.results), text)
    return 0


# --- The predictive part: training examples, then the runner's predict step alone, each in its own child ----------

# The predictive part is timed with the project's var prediction_max_training_customers, then again with each of these
# (passed as --vars, as a user would): the sample size is the knob of its cost at scale.
PREDICTIVE_SAMPLE_SIZES = (20_000,)

# The training-example models: every model of this folder (spine, point-in-time facts, labels, training examples).
PREDICT_MODELS = "path:models/intermediate/predict"

# The runner's predict step alone (runner._predict, as the build calls it between its two dbt steps), refitting every
# model into a scratch registry so that the fit is timed (the build's own registry would let refit 'auto' reuse the
# models it just saved). It needs the parsed project only for the columns of the predict relations: the peak RSS after
# the parse is reported beside the process's peak.
PREDICT_CHILD = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
from customer_scoring import runner
work, raw, threads, as_of, model_dir, extra_vars = sys.argv[1:7]
settings = runner.BuildSettings(as_of=dt.date.fromisoformat(as_of), raw_path=Path(raw), work_dir=Path(work),
                                threads=int(threads), refit="always", model_dir=Path(model_dir),
                                extra_vars=json.loads(extra_vars))
project = runner.project_dir()
t0 = time.perf_counter()
parsed = runner.invoke_dbt(["parse"], project, settings)
assert parsed.success, parsed.exception
parse_seconds = time.perf_counter() - t0
parse_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
result = runner.BuildResult(run_id="bench", as_of=settings.as_of, steps=[], success=False)
# the relations the predict step reads (runner.TRAINING_EXAMPLES), as the features step built them
built = {name: ("intermediate", name) for name in getattr(runner, "TRAINING_EXAMPLES",
                                                          ["int_customer__training_examples"])}
t0 = time.perf_counter()
detail = runner._predict(settings, result, project, parsed.result, built)
predict_seconds = time.perf_counter() - t0
print(json.dumps({"parse_seconds": parse_seconds, "parse_peak": parse_peak, "predict_seconds": predict_seconds,
                  "detail": detail}))
"""

# The training rows: per training-example model, the rows of the past cut-offs (the training sample) and of the
# scoring cut-off; the customers of the as-of date the sample threshold is taken from; the rows the fits used.
SAMPLE_SQL = """
select
    '{table}' as examples,
    count(*) filter (where not is_scoring_row) as past_rows,
    count(distinct contact_id) filter (where not is_scoring_row) as past_contacts,
    count(distinct cutoff_date) filter (where not is_scoring_row) as past_cutoffs,
    count(*) filter (where is_scoring_row) as scoring_rows
from intermediate.{table}
"""
EXAMPLE_TABLES = ("int_customer__training_examples", "int_lead__training_examples", "int_campaign__training_examples")


REFRESH_TABLES = ("marketing/events", "shop/orders", "shop/order_items")
# the nodes of an incremental refresh worth naming: the incremental staging models and their refresh models
REFRESH_NODES = ("stg_marketing__events", "stg_shop__orders", "stg_shop__order_items",
                 "base_marketing__events_refresh", "base_shop__orders_refresh", "base_shop__order_items_refresh")


def new_row_shares(raw: Path, since: dt.date) -> dict[str, tuple[int, int]]:
    """Per large raw table: (rows loaded after `since`, up to END_DATE; rows loaded up to END_DATE)."""
    import duckdb

    out = {}
    end = dt.datetime.combine(END_DATE + dt.timedelta(days=1), dt.time())
    con = duckdb.connect()
    try:
        for table in REFRESH_TABLES:
            path = raw / f"{table}.parquet"
            if not path.exists():
                continue
            new, seen = con.execute(
                f"select count(*) filter (where _loaded_at >= ? and _loaded_at < ?), count(*) filter (where _loaded_at < ?) "
                f"from read_parquet('{path}')",
                [dt.datetime.combine(since + dt.timedelta(days=1), dt.time()), end, end]).fetchone()
            out[table.replace("/", ".")] = (int(new), int(seen))
    finally:
        con.close()
    return out


def refresh_lines(r: dict, full_wall: float, as_of: dt.date, full_as_of: dt.date) -> list[str]:
    res = r["result"]
    share = ", ".join(f"{t} {n:,} of {m:,} ({100 * n / m:.2f}%)" for t, (n, m) in r["new_rows"].items() if m)
    nodes = {n: s for n, _k, _f, s in ((x["node"], x["kind"], x["folder"], x["seconds"])
                                       for x in res["dbt_time"].get("slowest", []))}
    lines = [
        f"- **incremental refresh as of {as_of}** (after the full build as of {full_as_of}; runner's choice: "
        f"{res.get('refresh', {}).get('mode')}, {res.get('refresh', {}).get('reason')}): **{r['wall']:.1f} s wall, "
        f"peak RSS {r['peak']:.2f} GiB, {100 * r['wall'] / full_wall:.0f}% of the full build** ("
        + ", ".join(f"{s['name']} {s['seconds']:.1f} s" for s in res["steps"]) + ")",
        f"  - new rows (loaded after {full_as_of}, up to {as_of}): {share}",
        "  - dbt node time by folder: " + ", ".join(f"{k} {v:.1f} s" for k, v in res["dbt_time"]["seconds_by_folder"].items()),
    ]
    named = [f"{n} {nodes[n]:.1f} s" for n in REFRESH_NODES if n in nodes]
    if named:
        lines.append("  - incremental staging nodes among the slowest: " + ", ".join(named))
    return lines


def training_rows(db: Path) -> dict:
    """Rows of the training examples (past cut-offs and scoring cut-off), the as-of customers, the rows fitted on."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'intermediate'").fetchall()}
        examples = {}
        for table in EXAMPLE_TABLES:
            if table in tables:
                name, *counts = con.execute(SAMPLE_SQL.format(table=table)).fetchone()
                examples[name] = dict(zip(("past_rows", "past_contacts", "past_cutoffs", "scoring_rows"), counts))
        customers = con.execute("select count(*) from intermediate.int_customer__order_facts").fetchone()[0]
        try:
            fit_rows = con.execute("select max(sample_rows) from predict.model_registry").fetchone()[0]
        except duckdb.Error:
            fit_rows = None
    finally:
        con.close()
    return {"examples": examples, "as_of_customers": customers, "max_fit_rows": fit_rows}


def time_predictive(work: Path, raw: Path, threads: int, max_customers: int | None = None) -> dict:
    """The predictive part on the built work database: the training-example models (`dbt run` from the command line
    in a child: wall, peak RSS, node time per model), the runner's predict step alone in a child (wall, peak RSS),
    and the training rows read and sampled. max_customers: var prediction_max_training_customers for both children
    (None: the project's)."""
    from customer_scoring.runner import project_dir

    project = project_dir()
    db = work / "customer_scoring.duckdb"
    extra_vars = {} if max_customers is None else {"prediction_max_training_customers": max_customers}
    memory_limit = os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB")
    env = {"CS_TARGET": "duckdb", "CS_DUCKDB_PATH": str(db), "CS_RAW_PATH": str(raw), "CS_THREADS": str(threads),
           "CS_DUCKDB_MEMORY_LIMIT": memory_limit, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt_args = dbt_executable() + [
        "run", "--project-dir", str(project), "--profiles-dir", str(project), "--target", "duckdb",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps({"as_of_date": END_DATE.isoformat(), **extra_vars}), "--select", PREDICT_MODELS,
    ]
    dbt_wall, dbt_peak, proc = timed_child(dbt_args, env=env)
    if proc.returncode:
        raise RuntimeError(f"dbt run of the training examples failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    run = json.loads((work / "target" / "run_results.json").read_text())
    nodes = sorted(((r["unique_id"].split(".")[-1], r["execution_time"]) for r in run["results"]), key=lambda r: -r[1])
    with tempfile.TemporaryDirectory(prefix="bench_models_") as model_dir:
        predict_wall, predict_peak, proc = timed_child(
            [sys.executable, "-c", PREDICT_CHILD, str(work), str(raw), str(threads), END_DATE.isoformat(), model_dir,
             json.dumps(extra_vars)],
            env={"CS_DUCKDB_MEMORY_LIMIT": memory_limit, "CS_PROJECT_DIR": str(project)})
    if proc.returncode:
        raise RuntimeError(f"predict step failed:\n{proc.stderr[-3000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"dbt_wall": dbt_wall, "dbt_peak": dbt_peak, "nodes": nodes, "node_seconds": sum(t for _, t in nodes),
            "run_seconds": run["elapsed_time"],
            "predict_wall": predict_wall, "predict_peak": predict_peak, **child, **training_rows(db),
            "max_training_customers": max_customers or _var("prediction_max_training_customers", project),
            "sample_var": max_customers, "memory_limit": memory_limit}


def predictive_lines(r: dict, steps: dict[str, float]) -> list[str]:
    label = "predictive part" if r.get("sample_var") is None else (
        f"predictive part with --vars '{{\"prediction_max_training_customers\": {r['sample_var']}}}'")
    if "error" in r:
        return [f"- **{label}**: FAILED: {r['error']}"]
    total = r["run_seconds"] + r["predict_seconds"]
    peak = max(r["dbt_peak"], r["predict_peak"])
    ok = total < 60 and peak < 2.0
    read = sum(c["past_rows"] + c["scoring_rows"] for c in r["examples"].values())
    n = r["max_training_customers"]
    share = (f"{n:,} of the {r['as_of_customers']:,} customers of the as-of date, {n / r['as_of_customers']:.1%}"
             if r["as_of_customers"] > n else f"everyone: {r['as_of_customers']:,} customers, at most {n:,}")
    rows = "; ".join(
        f"{table.split('__')[0].removeprefix('int_')}: {c['past_rows']:,} rows of {c['past_contacts']:,} contacts on "
        f"{c['past_cutoffs']} past cut-offs, {c['scoring_rows']:,} scoring rows"
        for table, c in r["examples"].items())
    return [
        f"- **{label}: {total:.1f} s, peak RSS {peak:.2f} GiB** (training examples {r['run_seconds']:.1f} s "
        f"+ predict step {r['predict_seconds']:.1f} s; "
        f"{'within' if ok else 'NOT within'} 60 s and 2 GiB; in the full build: predict step "
        f"{steps.get('predict', 0):.1f} s)",
        f"  - training examples (`dbt run --select {PREDICT_MODELS}` in a child, cold: parse included): "
        f"{r['dbt_wall']:.1f} s wall, of which the run itself (dbt's elapsed time, parse excluded) "
        f"{r['run_seconds']:.1f} s; peak RSS {r['dbt_peak']:.2f} GiB, memory_limit {r['memory_limit']}; node time "
        f"summed over threads {r['node_seconds']:.1f} s: "
        + ", ".join(f"{name} {t:.1f} s" for name, t in r["nodes"]),
        f"  - predict step alone (runner._predict in a child, every model refitted into a scratch registry): "
        f"{r['predict_seconds']:.1f} s, peak RSS {r['predict_peak']:.2f} GiB ({r['parse_peak']:.2f} GiB after the "
        f"dbt parse it needs for the relations' columns, {r['parse_seconds']:.1f} s, not counted); {r['detail']}",
        f"  - training rows read by the predict step: {read:,} ({rows}); sample (var prediction_max_training_customers): {share}; fits on at most "
        + (f"{r['max_fit_rows']:,}" if r["max_fit_rows"] is not None else "?") + " rows (model_registry.sample_rows)",
    ]


# --- Steps: the dbt models against a hand-written single DuckDB query, on the built work database ---------------


@dataclass(frozen=True)
class BenchStep:
    name: str
    models: tuple[str, ...]
    sql: str  # creates main.bench_step; {as_of}, {lookback}, {trend} are filled in
    compare: tuple[str, ...]  # intermediate tables compared with main.bench_step on `key`, every common column
    unit: str  # what a row of main.bench_step is
    key: tuple[str, ...] = ("contact_id",)  # the columns a row of the step is identified by


# One statement, written by hand from the models' definitions (int_customer__order_facts, int_customer__rfm, macro
# quintile_score with rfm_tie_rule 'share'): same inputs (the clean orders and order lines, current products, the
# segment map seed), same windows, rounding and tie rule. {as_of}, {lookback}, {trend} are filled in.
HAND_WRITTEN_RFM = """
create or replace table main.bench_step as
with orders as (
    -- credit notes are already netted into their orders (net_amount, refunded_amount): not orders themselves
    select
        contact_id, order_id, ordered_at, ordered_on, net_amount, refunded_amount, is_completed, is_refunded,
        is_cancelled
    from intermediate.int_orders
    where not is_credit_note
),
-- gaps are between purchase days: two checkouts on one day are one purchase occasion
days as (
    select contact_id, ordered_on, lag(ordered_on) over (partition by contact_id order by ordered_on) as previous_on
    from (select distinct contact_id, ordered_on from orders where is_completed)
),
gaps as (
    select
        contact_id,
        count(previous_on) filter (where ordered_on > date '{as_of}' - {lookback}) as purchase_gaps,
        -- exact integer sums, as the model: a double average rounds some x.xxxx5 the other way
        sum(date_diff('day', previous_on, ordered_on)) filter (where ordered_on > date '{as_of}' - {lookback})
            as gap_sum,
        sum(date_diff('day', previous_on, ordered_on) * date_diff('day', previous_on, ordered_on))
            filter (where ordered_on > date '{as_of}' - {lookback}) as gap_square_sum
    from days
    group by contact_id
),
per_contact as (
    select
        contact_id,
        min(ordered_at) filter (where is_completed) as first_order_at,
        max(ordered_at) filter (where is_completed) as last_order_at,
        count(*) filter (where is_completed) as completed_orders_total,
        count(*) filter (where is_completed and ordered_on > date '{as_of}' - {lookback}) as frequency_orders,
        coalesce(sum(net_amount) filter (where is_completed and ordered_on > date '{as_of}' - {lookback}), 0)
            as monetary_net,
        coalesce(sum(net_amount) filter (where is_completed and ordered_on > date '{as_of}' - {trend}), 0)
            as spend_recent,
        coalesce(sum(net_amount) filter (where is_completed and ordered_on > date '{as_of}' - 2 * {trend}
            and ordered_on <= date '{as_of}' - {trend}), 0) as spend_previous,
        count(*) filter (where ordered_on > date '{as_of}' - {lookback}) as orders_placed,
        count(*) filter (where is_refunded and ordered_on > date '{as_of}' - {lookback}) as refunded_orders,
        count(*) filter (where is_cancelled and ordered_on > date '{as_of}' - {lookback}) as cancelled_orders,
        coalesce(sum(refunded_amount) filter (where (is_completed or is_refunded)
            and ordered_on > date '{as_of}' - {lookback}), 0) as refunded_amount
    from orders
    group by contact_id
    having count(*) filter (where is_completed) > 0
),
baskets as (
    select
        o.contact_id,
        count(distinct p.category) as category_breadth,
        sum(case when i.discount_rate > 0 then i.line_amount_local else 0 end) as discounted_amount_local,
        sum(i.line_amount_local) as line_amount_local
    from intermediate.int_orders as o
    inner join intermediate.int_order_items as i on o.order_id = i.order_id
    left join (select product_id, category from staging.stg_shop__products where dq_status = 'current') as p
        on i.product_id = p.product_id
    where o.is_completed and o.ordered_on > date '{as_of}' - {lookback}
    group by o.contact_id
),
facts as (
    select
        c.contact_id,
        c.first_order_at,
        c.last_order_at,
        cast(c.completed_orders_total as integer) as completed_orders_total,
        cast(c.spend_recent as decimal(18, 2)) as spend_recent,
        cast(c.spend_previous as decimal(18, 2)) as spend_previous,
        cast(c.orders_placed as integer) as orders_placed,
        cast(c.refunded_orders as integer) as refunded_orders,
        cast(c.cancelled_orders as integer) as cancelled_orders,
        cast(c.refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(date_diff('day', cast(c.last_order_at as date), date '{as_of}') as integer) as recency_days,
        cast(c.frequency_orders as integer) as frequency_orders,
        cast(c.monetary_net as decimal(18, 2)) as monetary_net,
        -- quotients rounded through decimal(38, 10), as the model (a double would round a half cent down)
        cast(round(cast(c.frequency_orders * 365.25 / greatest(30, least({lookback},
            date_diff('day', cast(c.first_order_at as date), date '{as_of}'))) as decimal(38, 10)), 4)
            as decimal(18, 4)) as orders_per_year,
        cast(round(cast(c.monetary_net / nullif(c.frequency_orders, 0) as decimal(38, 10)), 2) as decimal(18, 2))
            as avg_basket,
        cast(round(c.mean_gap_days, 4) as decimal(18, 4)) as mean_gap_days,
        cast(case when c.purchase_gaps >= 2 then round(cast(sqrt(cast((c.purchase_gaps * c.gap_square_sum
            - c.gap_sum * c.gap_sum) / (cast(c.purchase_gaps as decimal(38, 10)) * (c.purchase_gaps - 1)) as double))
            / nullif(c.mean_gap_days, 0) as decimal(38, 10)), 4) when c.purchase_gaps = 1 then 0 end
            as decimal(18, 4)) as gap_cv,
        cast(round(cast((c.spend_recent - c.spend_previous) / nullif(c.spend_recent + c.spend_previous, 0)
            as decimal(38, 10)), 4) as decimal(18, 4)) as spend_trend,
        cast(date_diff('day', cast(c.first_order_at as date), date '{as_of}') as integer) as tenure_days,
        cast(coalesce(b.category_breadth, 0) as integer) as category_breadth,
        cast(round(cast(cast(c.refunded_orders + c.cancelled_orders as decimal(18, 4)) / nullif(c.orders_placed, 0)
            as decimal(38, 10)), 4) as decimal(18, 4)) as refund_cancel_rate,
        cast(round(cast(date_diff('day', cast(c.last_order_at as date), date '{as_of}') / nullif(c.mean_gap_days, 0)
            as decimal(38, 10)), 4) as decimal(18, 4)) as overdue_ratio,
        cast(round(cast(b.discounted_amount_local / nullif(b.line_amount_local, 0) as decimal(38, 10)), 4)
            as decimal(18, 4)) as discount_dependency
    from (select p.*, coalesce(g.purchase_gaps, 0) as purchase_gaps, g.gap_sum, g.gap_square_sum,
                 cast(g.gap_sum as decimal(38, 10)) / nullif(g.purchase_gaps, 0) as mean_gap_days
          from per_contact as p left join gaps as g on p.contact_id = g.contact_id) as c
    left join baskets as b on c.contact_id = b.contact_id
),
ranked as (
    select
        facts.*,
        count(*) over () as n,
        2 * rank() over (order by round(cast(recency_days as decimal(38, 6)), 0) desc)
            + count(*) over (partition by round(cast(recency_days as decimal(38, 6)), 0)) - count(*) over () - 2 as r_d,
        2 * rank() over (order by round(cast(frequency_orders as decimal(38, 6)), 0))
            + count(*) over (partition by round(cast(frequency_orders as decimal(38, 6)), 0)) - count(*) over () - 2
            as f_d,
        2 * rank() over (order by round(cast(monetary_net as decimal(38, 6)), 2))
            + count(*) over (partition by round(cast(monetary_net as decimal(38, 6)), 2)) - count(*) over () - 2 as m_d
    from facts
),
scored as (
    select
        ranked.* exclude (n, r_d, f_d, m_d),
        cast(3 + sign(r_d) * case when 5 * abs(r_d) - (n - 1) > 2 * (n - 1) then 2
            when 5 * abs(r_d) - (n - 1) > 0 then 1 else 0 end as integer) as r_score,
        cast(3 + sign(f_d) * case when 5 * abs(f_d) - (n - 1) > 2 * (n - 1) then 2
            when 5 * abs(f_d) - (n - 1) > 0 then 1 else 0 end as integer) as f_score,
        cast(3 + sign(m_d) * case when 5 * abs(m_d) - (n - 1) > 2 * (n - 1) then 2
            when 5 * abs(m_d) - (n - 1) > 0 then 1 else 0 end as integer) as m_score
    from ranked
)
select
    scored.*,
    cast(scored.r_score as varchar) || cast(scored.f_score as varchar) || cast(scored.m_score as varchar) as rfm_cell,
    m.segment as rfm_segment
from scored
left join config.rfm_segment_map as m
    on scored.r_score = m.r_score and scored.f_score = m.f_score and scored.m_score = m.m_score
"""

# One statement, written by hand from int_contact__event_days and int_contact__engagement: the clean events and
# campaign responses up to the as-of date, the seeds event_scoring, engagement_settings and engagement_levels; daily
# caps, exponential decay per type, windows, caps per type, negative points, the inactivity penalty, the absolute
# 0-100 score and the level, with the same rounding. (The model also writes the top signal as text; not here.)
HAND_WRITTEN_ENGAGEMENT = """
create or replace table main.bench_step as
with settings as (
    select
        max(value) filter (where setting = 'inactivity_days') as inactivity_days,
        max(value) filter (where setting = 'inactivity_points') as inactivity_points,
        max(value) filter (where setting = 'scale_points') as scale_points,
        max(value) filter (where setting = 'high_intent_window_days') as high_intent_window_days
    from config.engagement_settings
),
activity as (
    select contact_id, event_type, occurred_on as event_on, occurred_at
    from intermediate.int_events where occurred_on <= date '{as_of}'
    union all
    select contact_id, 'campaign_response', cast(responded_at as date), responded_at
    from intermediate.int_campaign_members where responded_at < date '{as_of}' + 1
),
days as (
    select
        a.contact_id, a.event_type, a.event_on, least(count(*), any_value(s.cap_per_day)) as counted_events,
        date_diff('day', a.event_on, date '{as_of}') as age_days
    from activity as a
    inner join config.event_scoring as s on a.event_type = s.event_type
    group by a.contact_id, a.event_type, a.event_on
),
types as (
    select
        d.contact_id, any_value(s.points) as points, any_value(s.event_family) as event_family,
        cast(round(least(greatest(coalesce(sum(cast(round(cast(d.counted_events * s.points
            * power(0.5, cast(d.age_days as double) / s.half_life_days) as decimal(38, 10)), 6) as decimal(18, 6)))
            filter (where d.age_days < s.window_days), 0), -any_value(s.cap_points)), any_value(s.cap_points)), 2)
            as decimal(18, 2)) as type_points,
        sum(d.counted_events) filter (where d.age_days < st.high_intent_window_days and s.is_high_intent)
            as high_intent_events,
        max(d.event_on) filter (where s.points > 0) as last_positive_on
    from days as d
    inner join config.event_scoring as s on d.event_type = s.event_type
    cross join settings as st
    group by d.contact_id, d.event_type
),
per_contact as (
    select
        contact_id,
        coalesce(sum(type_points) filter (where points > 0), 0) as positive_points,
        coalesce(sum(type_points) filter (where points < 0), 0) as negative_points,
        coalesce(sum(type_points) filter (where event_family = 'web'), 0) as web_points,
        coalesce(sum(type_points) filter (where event_family = 'email'), 0) as email_points,
        coalesce(sum(type_points) filter (where event_family = 'event'), 0) as event_points,
        coalesce(sum(type_points) filter (where event_family = 'campaign'), 0) as campaign_points,
        coalesce(sum(high_intent_events), 0) as high_intent_events,
        date_diff('day', max(last_positive_on), date '{as_of}') as days_since_last_positive
    from types
    group by contact_id
),
-- a timestamp per day row would double the day aggregate's width: the last positive event time is its own pass
last_positive as (
    select a.contact_id, max(a.occurred_at) as last_positive_event_at
    from activity as a
    inner join config.event_scoring as s on a.event_type = s.event_type
    where s.points > 0
    group by a.contact_id
),
scored as (
    select
        c.contact_id,
        coalesce(p.positive_points, 0) + coalesce(p.negative_points, 0) as decayed_points,
        coalesce(p.positive_points, 0) as positive_points,
        coalesce(p.negative_points, 0) as negative_points,
        coalesce(p.web_points, 0) as web_points,
        coalesce(p.email_points, 0) as email_points,
        coalesce(p.event_points, 0) as event_points,
        coalesce(p.campaign_points, 0) as campaign_points,
        case when p.days_since_last_positive >= st.inactivity_days then cast(st.inactivity_points as decimal(18, 2))
            else 0 end as inactivity_points,
        coalesce(p.high_intent_events, 0) as high_intent_events,
        lp.last_positive_event_at,
        p.days_since_last_positive,
        st.scale_points
    from intermediate.int_contacts as c
    left join per_contact as p on c.contact_id = p.contact_id
    left join last_positive as lp on c.contact_id = lp.contact_id
    cross join settings as st
),
final as (
    select
        contact_id,
        cast(decayed_points as decimal(18, 2)) as decayed_points,
        cast(positive_points as decimal(18, 2)) as positive_points,
        cast(negative_points as decimal(18, 2)) as negative_points,
        cast(web_points as decimal(18, 2)) as web_points,
        cast(email_points as decimal(18, 2)) as email_points,
        cast(event_points as decimal(18, 2)) as event_points,
        cast(campaign_points as decimal(18, 2)) as campaign_points,
        cast(inactivity_points as decimal(18, 2)) as inactivity_points,
        cast(decayed_points + inactivity_points as decimal(18, 2)) as engagement_points,
        last_positive_event_at,
        cast(days_since_last_positive as integer) as days_since_last_positive,
        cast(high_intent_events as integer) as high_intent_events,
        cast(case when decayed_points + inactivity_points > 0 then round(cast(100 * (1 - power(0.5,
            cast(decayed_points + inactivity_points as double) / scale_points)) as decimal(38, 10)), 2) else 0 end
            as decimal(5, 2)) as engagement_score
    from scored
)
select
    final.*,
    cast(levels.engagement_level as integer) as engagement_level
from final
asof left join config.engagement_levels as levels on final.engagement_score >= levels.min_score
"""

# One statement, written by hand from the definition of int_offer__co_purchase (as a competent engineer would write the
# statistics on the same input, the completed order lines of each cut-off, int_offer__purchases): distinct (basket,
# item) pairs, a self-join on the basket, counts per item and per cut-off, support, confidence and lift rounded to 6
# places. Customer baskets (var offer_basket 'customer'); {co_days} and {min_pair} are filled in from the vars.
HAND_WRITTEN_CO_PURCHASE = """
create or replace table main.bench_step as
with basket_items as (
    select distinct cutoff_date, contact_id as basket_id, item_id
    from intermediate.int_offer__purchases
    where days_before_cutoff < {co_days} and item_id is not null
),
item_counts as (
    select cutoff_date, item_id, count(*) as item_baskets from basket_items group by cutoff_date, item_id
),
totals as (
    select cutoff_date, count(distinct basket_id) as total_baskets from basket_items group by cutoff_date
),
pairs as (
    select a.cutoff_date, a.item_id as antecedent_item_id, c.item_id, count(*) as pair_baskets
    from basket_items as a
    inner join basket_items as c on a.cutoff_date = c.cutoff_date and a.basket_id = c.basket_id
        and a.item_id <> c.item_id
    group by a.cutoff_date, a.item_id, c.item_id
    having count(*) >= {min_pair}
)
select
    p.cutoff_date, p.antecedent_item_id, p.item_id, p.pair_baskets,
    a.item_baskets as antecedent_baskets, c.item_baskets, t.total_baskets,
    cast(round(cast(p.pair_baskets as decimal(38, 10)) / t.total_baskets, 6) as decimal(18, 6)) as support,
    cast(round(cast(p.pair_baskets as decimal(38, 10)) / a.item_baskets, 6) as decimal(18, 6)) as confidence,
    cast(round(cast(p.pair_baskets as decimal(38, 10)) * t.total_baskets
        / (cast(a.item_baskets as decimal(38, 10)) * c.item_baskets), 6) as decimal(18, 6)) as lift
from pairs as p
inner join item_counts as a on p.cutoff_date = a.cutoff_date and p.antecedent_item_id = a.item_id
inner join item_counts as c on p.cutoff_date = c.cutoff_date and p.item_id = c.item_id
inner join totals as t on p.cutoff_date = t.cutoff_date
"""

STEPS = (
    BenchStep("RFM", ("int_customer__order_facts", "int_customer__rfm"), HAND_WRITTEN_RFM,
              ("int_customer__order_facts", "int_customer__rfm"), "customers"),
    BenchStep("engagement", ("int_contact__event_days", "int_contact__engagement"), HAND_WRITTEN_ENGAGEMENT,
              ("int_contact__engagement",), "golden contacts"),
    BenchStep("co-purchase", ("int_offer__co_purchase",), HAND_WRITTEN_CO_PURCHASE, ("int_offer__co_purchase",),
              "item pairs (both cut-offs)", key=("cutoff_date", "antecedent_item_id", "item_id")),
)

# Run in a child process so that its peak RSS is its own: the query, then the comparison with the dbt models (every
# column the two have in common, on contact_id).
HAND_WRITTEN_CHILD = r"""
import json, sys, time
import duckdb
db, threads, memory_limit, compare, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
sql = sys.stdin.read()
key = key.split(",")
t0 = time.perf_counter()  # connection included: the dbt side opens its own too
con = duckdb.connect(db, config={"memory_limit": memory_limit, "threads": threads,
                                 "preserve_insertion_order": False})
con.execute("set enable_progress_bar = false")
con.execute(sql)
query_seconds = time.perf_counter() - t0
rows = con.execute("select count(*) from main.bench_step").fetchone()[0]
checks = {}
for table in compare.split(","):
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'intermediate' "
        "and table_name = ? and column_name in (select column_name "
        "from information_schema.columns where table_schema = 'main' and table_name = 'bench_step')",
        [table]).fetchall() if r[0] not in key]
    differs = " or ".join(f"h.{c} is distinct from d.{c}" for c in columns) or "false"
    on = " and ".join(f"h.{k} = d.{k}" for k in key)
    mismatches = con.execute(
        f"select count(*) from main.bench_step as h full outer join intermediate.{table} as d "
        f"on {on} where h.{key[0]} is null or d.{key[0]} is null or {differs}"
    ).fetchone()[0]
    checks[table] = {"columns": columns, "mismatches": mismatches}
con.execute("drop table main.bench_step")
con.close()
print(json.dumps({"query_seconds": query_seconds, "rows": rows, "checks": checks}))
"""

# The step as the runner runs it: one long-lived process parses the project once (the runner's `parse` step), then
# each timed invocation reuses that manifest, as the runner's config and build steps do.
WARM_DBT_CHILD = r"""
import datetime as dt, json, sys, time
from pathlib import Path
from customer_scoring.runner import BuildSettings, invoke_dbt, project_dir
work, raw, threads, as_of, repeats = sys.argv[1:6]
models = sys.argv[6:]
settings = BuildSettings(as_of=dt.date.fromisoformat(as_of), raw_path=Path(raw), work_dir=Path(work),
                         threads=int(threads))
project = project_dir()
t0 = time.perf_counter()
parsed = invoke_dbt(["parse"], project, settings)
parse_seconds = time.perf_counter() - t0
assert parsed.success, parsed.exception
walls = []
for _ in range(int(repeats)):
    t0 = time.perf_counter()
    res = invoke_dbt(["run", "--select", *models, "--cache-selected-only"], project, settings,
                     manifest=parsed.result)
    walls.append(time.perf_counter() - t0)
    assert res.success, res.exception
print(json.dumps({"parse_seconds": parse_seconds, "walls": walls}))
"""


def dbt_executable() -> list[str]:
    exe = Path(sys.executable).parent / "dbt"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())"]


def step_query(step: BenchStep, project: Path) -> str:
    return step.sql.format(as_of=END_DATE.isoformat(), lookback=_var("customer_lookback_days", project),
                           trend=_var("spend_trend_window_days", project),
                           co_days=_var("offer_co_purchase_days", project),
                           min_pair=_var("offer_min_pair_baskets", project))


def hand_written(step: BenchStep, db: Path, threads: int, memory_limit: str, project: Path
                 ) -> tuple[float, float, dict]:
    """Runs the hand-written query of `step` on `db` in a child process: wall seconds, peak RSS, its report."""
    wall, peak, proc = timed_child(
        [sys.executable, "-c", HAND_WRITTEN_CHILD, str(db), str(threads), memory_limit, ",".join(step.compare),
         ",".join(step.key)],
        stdin=step_query(step, project))
    if proc.returncode:
        raise RuntimeError(f"hand-written {step.name} query failed:\n{proc.stderr[-3000:]}")
    return wall, peak, json.loads(proc.stdout.strip().splitlines()[-1])


def append_results(results: Path, text: str) -> None:
    """Appends one entry to the results file (created with its heading) and prints it."""
    results.parent.mkdir(parents=True, exist_ok=True)
    if not results.exists():
        results.write_text("# Benchmark results\n\nAppended by `customer-scoring bench`; newest last.\n\n")
    with open(results, "a") as fh:
        fh.write(text)
    print(text)


ONLY_OFFERS = "offers"
ONLY_EXPORT = "export"


def main_only(a, only: list[str], raw: Path, work: Path, manifest: dict, load_before) -> int:
    """`bench --only STEP...`: time the named steps (BenchStep names, or 'offers') on the work database an earlier
    bench build left, without building again; the entry says so."""
    known = {step.name: step for step in STEPS}
    unknown = [name for name in only if name not in known and name not in (ONLY_OFFERS, ONLY_EXPORT)]
    if unknown:
        print(f"unknown step(s) {', '.join(unknown)}: choose from {', '.join([*known, ONLY_OFFERS, ONLY_EXPORT])}",
              file=sys.stderr)
        return 2
    if not (work / "customer_scoring.duckdb").exists():
        print(f"no work database in {work}: run `customer-scoring bench --contacts {a.contacts}` (or a build into "
              f"{work}) first", file=sys.stderr)
        return 1
    lines = [
        f"## {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: steps {', '.join(only)}, {a.contacts:,} contacts",
        "",
        f"- command: `customer-scoring bench --contacts {a.contacts} --threads {a.threads} --only {' '.join(only)}"
        f"{'' if getattr(a, 'repeats', 2) == 2 else f' --repeats {a.repeats}'}` "
        f"(no build: the work database of an earlier build of the same data)",
        f"- machine: {machine()}; {versions()}",
        f"- load average (1, 5, 15 min) at the start: {', '.join(f'{x:.1f}' for x in load_before)}",
        f"- rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(manifest["rows"].items())),
    ]
    repeats = getattr(a, "repeats", 2)
    for name in only:
        if name == ONLY_OFFERS:
            try:
                r = time_offers(work, raw, a.threads, repeats=repeats)
            except RuntimeError as exc:
                r = {"error": str(exc).strip().splitlines()[-1][:300]}
            lines += offer_lines(r, a.threads)
            continue
        if name == ONLY_EXPORT:
            try:
                r = time_export(work, work.parent / "exports", a.threads, repeats=repeats)
            except RuntimeError as exc:
                r = {"error": str(exc).strip().splitlines()[-1][:300]}
            lines += export_lines(r, a.threads)
            continue
        step = known[name]
        try:
            r = time_step(step, work, raw, a.threads, repeats=repeats)
        except RuntimeError as exc:
            r = {"error": str(exc).strip().splitlines()[-1][:300]}
        lines += step_lines(step, r, a.threads)
    lines.append(f"- load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
                 f"({os.cpu_count()} cores)")
    lines.append("")
    text = "\n".join(lines) + "\n"
    append_results(Path(a.results), text)
    return 0


def time_step(step: BenchStep, work: Path, raw: Path, threads: int, repeats: int = 2) -> dict:
    """Times the step's dbt models and the hand-written query beside it, on the same built work database, memory
    limit and threads, each side in its own child process, alternately `repeats` times (best wall time kept, the
    highest peak RSS): the machine may be shared. The dbt side runs warm (as the runner runs it: a process that
    parsed the project once) and cold (`dbt run` from the command line). Checks that the query and the models give
    the same rows."""
    from customer_scoring.runner import project_dir

    project = project_dir()
    db = work / "customer_scoring.duckdb"
    memory_limit = os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB")
    env = {"CS_TARGET": "duckdb", "CS_DUCKDB_PATH": str(db), "CS_RAW_PATH": str(raw), "CS_THREADS": str(threads),
           "CS_DUCKDB_MEMORY_LIMIT": memory_limit, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    as_of = END_DATE.isoformat()
    dbt_args = dbt_executable() + [
        "run", "--project-dir", str(project), "--profiles-dir", str(project), "--target", "duckdb",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps({"as_of_date": as_of}), "--select", *step.models, "--cache-selected-only",
    ]
    warm_args = [sys.executable, "-c", WARM_DBT_CHILD, str(work), str(raw), str(threads), as_of, str(repeats),
                 *step.models]
    out = {"dbt_wall": [], "dbt_peak": 0.0, "dbt_nodes": [], "hand_wall": [], "hand_peak": 0.0, "query_seconds": [],
           "warm_wall": [], "warm_peak": 0.0, "parse_seconds": []}
    for _ in range(repeats):
        wall, peak, proc = timed_child(dbt_args, env=env)
        if proc.returncode:
            raise RuntimeError(f"dbt run of {step.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        out["dbt_wall"].append(wall)
        out["dbt_peak"] = max(out["dbt_peak"], peak)
        out["dbt_nodes"].append(sum(t for _, t in node_timings(work, top=len(step.models))))
        wall, peak, check = hand_written(step, db, threads, memory_limit, project)
        out["hand_wall"].append(wall)
        out["hand_peak"] = max(out["hand_peak"], peak)
        out["query_seconds"].append(check.pop("query_seconds"))
        out.update(check)  # mismatches of the last run: the dbt tables it compares with were just rebuilt
        _, peak, proc = timed_child(warm_args, env={"CS_DUCKDB_MEMORY_LIMIT": memory_limit,
                                                     "CS_PROJECT_DIR": str(project)})
        if proc.returncode:
            raise RuntimeError(f"warm dbt run of {step.name} failed:\n{proc.stderr[-3000:]}")
        warm = json.loads(proc.stdout.strip().splitlines()[-1])
        out["warm_wall"] += warm["walls"]
        out["parse_seconds"].append(warm["parse_seconds"])
        out["warm_peak"] = max(out["warm_peak"], peak)
    all_walls = {k: list(out[k]) for k in ("dbt_wall", "hand_wall", "warm_wall", "query_seconds")}
    for k in ("dbt_wall", "dbt_nodes", "hand_wall", "query_seconds", "warm_wall", "parse_seconds"):
        out[k] = min(out[k])
    return {**out, "runs": all_walls, "repeats": repeats, "memory_limit": memory_limit}


OFFER_MODELS = ("path:models/intermediate/offer", "path:models/marts/offer")


def time_offers(work: Path, raw: Path, threads: int, repeats: int = 2) -> dict:
    """The offer step on the built work database: every offer model (inputs, candidates, scores, marts and the
    evaluation, both cut-offs) run as the runner runs them (a process that parsed the project once), `repeats` times:
    best wall time, peak RSS of the child, node time per model of the last run."""
    from customer_scoring.runner import project_dir

    project = project_dir()
    memory_limit = os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB")
    _, peak, proc = timed_child(
        [sys.executable, "-c", WARM_DBT_CHILD, str(work), str(raw), str(threads), END_DATE.isoformat(),
         str(repeats), *OFFER_MODELS],
        env={"CS_DUCKDB_MEMORY_LIMIT": memory_limit, "CS_PROJECT_DIR": str(project)})
    if proc.returncode:
        raise RuntimeError(f"dbt run of the offer models failed:\n{proc.stderr[-3000:]}")
    warm = json.loads(proc.stdout.strip().splitlines()[-1])
    nodes = node_timings(work, top=50)
    return {"wall": min(warm["walls"]), "walls": warm["walls"], "peak": peak, "nodes": nodes,
            "memory_limit": memory_limit}


def offer_lines(r: dict, threads: int) -> list[str]:
    if "error" in r:
        return [f"- **offer step**: FAILED: {r['error']}"]
    ok = r["peak"] < 2.0
    return [
        f"- **offer step** (`dbt run --select {' '.join(OFFER_MODELS)}`, as the runner runs it: project parsed once; "
        f"both cut-offs; memory_limit {r['memory_limit']}, {threads} threads): **{r['wall']:.1f} s wall, peak RSS "
        f"{r['peak']:.2f} GiB** ({'within' if ok else 'NOT within'} 2 GiB); all runs "
        + ", ".join(f"{t:.1f}" for t in r["walls"]) + " s",
        "  - node time of the last run: " + ", ".join(f"{n.split('.')[-1]} {t:.1f} s" for n, t in r["nodes"]),
    ]


def _var(name: str, project: Path) -> int:
    """A var of dbt_project.yml (the RFM windows), read without dbt."""
    import yaml

    return int(yaml.safe_load((project / "dbt_project.yml").read_text())["vars"][name])


def step_lines(step: BenchStep, r: dict, threads: int) -> list[str]:
    if "error" in r:
        return [f"- **{step.name} step** ({', '.join(step.models)}): FAILED: {r['error']}"]
    cold = r["dbt_wall"] / r["hand_wall"]
    warm = r["warm_wall"] / r["query_seconds"]
    node_ratio = r["dbt_nodes"] / r["query_seconds"]
    memory_ok = max(r["dbt_peak"], r["hand_peak"], r["warm_peak"]) < 2.0
    same = all(c["mismatches"] == 0 for c in r["checks"].values())
    ok = warm <= 1.5 and memory_ok and same
    runs = r["runs"]
    compared = "; ".join(f"{t}: {c['mismatches']} rows differ in any of {len(c['columns'])} columns"
                         for t, c in r["checks"].items())
    return [
        f"- **{step.name} step** ({', '.join(step.models)}; memory_limit {r['memory_limit']}, {threads} threads, "
        f"same work database): **as the runner runs it (project parsed once, `dbt run` of the models in the same "
        f"process): {r['warm_wall']:.1f} s wall, peak RSS {r['warm_peak']:.2f} GiB; hand-written single DuckDB query "
        f"(connect + query): {r['query_seconds']:.1f} s; ratio {warm:.2f}x** "
        f"({'within' if ok else 'NOT within'} 1.5x, 2 GiB and identical results)",
        f"  - each side in a fresh process, start-up included (`dbt run` from the command line, which parses the "
        f"project first, against `python -c` running the query): dbt {r['dbt_wall']:.1f} s, peak "
        f"{r['dbt_peak']:.2f} GiB; hand-written {r['hand_wall']:.1f} s, peak {r['hand_peak']:.2f} GiB; ratio "
        f"{cold:.2f}x. The difference is dbt's fixed start-up (imports, parse: {r['parse_seconds']:.1f} s), paid "
        f"once per build by the runner, not per step",
        f"  - dbt node time {r['dbt_nodes']:.1f} s (ratio {node_ratio:.2f}x to the query)",
        f"  - best of {r['repeats']} alternate rounds; all wall times: warm dbt "
        + ", ".join(f"{t:.1f}" for t in runs["warm_wall"]) + " s; query "
        + ", ".join(f"{t:.1f}" for t in runs["query_seconds"]) + " s; cold dbt "
        + ", ".join(f"{t:.1f}" for t in runs["dbt_wall"]) + " s; cold hand-written "
        + ", ".join(f"{t:.1f}" for t in runs["hand_wall"]) + " s",
        f"  - same results: {r['rows']:,} {step.unit}; {compared}",
    ]


# The runner's export step alone, in a child process (its own peak RSS): the work database's audiences, triggers and
# manifest written into a temporary folder and placed as <export dir>/<as-of>/, as after a publication.
EXPORT_CHILD = r"""
import datetime as dt, json, os, sys, time
from pathlib import Path
from customer_scoring import activation
work_db, export_dir, threads, as_of, run_id = sys.argv[1:6]
t0 = time.perf_counter()
source = activation.duckdb_source(Path(work_db), threads=int(threads),
                                  memory_limit=os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB"))
try:
    prepared = activation.prepare(source, Path(export_dir), dt.date.fromisoformat(as_of), run_id, threads=int(threads))
finally:
    source.close()
prepare_seconds = time.perf_counter() - t0
folder = activation.place(prepared)
wall = time.perf_counter() - t0
sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
print(json.dumps({"wall": wall, "prepare_seconds": prepare_seconds, "manifest": prepared.manifest, "sizes": sizes}))
"""


def time_export(work: Path, export_dir: Path, threads: int, repeats: int = 2) -> dict:
    """The export step on the built work database, `repeats` times in a child process each (the second replaces the
    first's set, as a rerun of the same date does): best wall time, highest peak RSS, rows per audience, and whether
    the reruns wrote the same files (checksums in the manifest)."""
    db = work / "customer_scoring.duckdb"
    memory_limit = os.environ.get("CS_DUCKDB_MEMORY_LIMIT", "1500MB")
    runs = []
    for i in range(repeats):
        wall, peak, proc = timed_child(
            [sys.executable, "-c", EXPORT_CHILD, str(db), str(export_dir), str(threads), END_DATE.isoformat(),
             f"bench{i + 1}"], env={"CS_DUCKDB_MEMORY_LIMIT": memory_limit})
        if proc.returncode:
            raise RuntimeError(f"export failed:\n{proc.stderr[-3000:]}")
        runs.append({**json.loads(proc.stdout.strip().splitlines()[-1]), "child_wall": wall, "peak": peak})

    def files(manifest: dict) -> dict:
        return {n: h for a in [*manifest["audiences"].values(), manifest["triggers"]] for n, h in a["files"].items()}

    same = all(files(r["manifest"]) == files(runs[0]["manifest"]) for r in runs)
    return {"wall": min(r["child_wall"] for r in runs), "walls": [r["child_wall"] for r in runs],
            "step": min(r["wall"] for r in runs), "peak": max(r["peak"] for r in runs),
            "manifest": runs[-1]["manifest"], "sizes": runs[-1]["sizes"], "same": same, "memory_limit": memory_limit,
            "folder": str(export_dir / END_DATE.isoformat())}


def export_lines(r: dict, threads: int) -> list[str]:
    if "error" in r:
        return [f"- **export step**: FAILED: {r['error']}"]
    ok = r["wall"] < 30 and r["peak"] < 2.0
    audiences = r["manifest"]["audiences"]
    mb = sum(r["sizes"].values()) / 1e6
    return [
        f"- **export step** (customer_scoring.activation on the work database, as the runner's export steps run it: "
        f"{len(audiences)} audiences as CSV and Parquet, triggers, manifest, placed in {r['folder']}; memory_limit "
        f"{r['memory_limit']}, {threads} threads): **{r['wall']:.1f} s wall (process start included; the step itself "
        f"{r['step']:.1f} s), peak RSS {r['peak']:.2f} GiB** ({'within' if ok else 'NOT within'} 30 s and 2 GiB); "
        f"all runs " + ", ".join(f"{t:.1f}" for t in r["walls"]) + f" s; {mb:,.1f} MB written; reruns "
        f"{'byte-identical' if r['same'] else 'DIFFERENT'} (checksums)",
        "  - rows per audience: " + ", ".join(
            f"{n} ({a['channel']}) {a['rows']:,} (excluded {a['excluded_rows']:,}"
            + "".join(f", {k} {v:,}" for k, v in a["excluded_by_reason"].items() if v) + ")"
            for n, a in audiences.items())
        + f"; triggers {r['manifest']['triggers']['rows']:,}",
    ]
