"""Command line: `customer-scoring <command>` or `python -m customer_scoring <command>`.

  generate   write demo raw data (Parquet, CSV on request)
  build      dbt build as of one date, then publish atomically
  publish    publish the work folder's last build again without rebuilding (e.g. --accept-row-loss after a refusal)
  demo       generate + build + a short summary of what landed and where
  bench      time a full build at a given scale and append the figures to benchmarks/RESULTS.md
  backtest   the scores as of past dates into score_history (backtest schemas; nothing published), tier performance
  calibrate  propose tier thresholds and criterion weights of a profile from its history, as a seed diff
  report     a visual report of the publication: one self-contained HTML file (<publish dir>/report.html)

exit codes (build, publish): 0 ok, 1 build failed, 2 bad arguments, 3 another build holds the work folder's lock,
4 publication refused (a public mart would lose too many rows), 130 SIGINT, 143 SIGTERM
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path

from customer_scoring import runner

log = logging.getLogger("customer_scoring")


def _setup_logging(verbose: bool) -> None:
    """Log lines on stderr, dated (`2026-12-01 01:23:45 INFO ...`); stdout is left to the result."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)sZ %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )
    # Log times in UTC, like everything else in a build, whatever the machine's time zone.
    for handler in logging.getLogger().handlers:
        if handler.formatter is not None:
            handler.formatter.converter = time.gmtime


def _add_build_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="as-of date YYYY-MM-DD (default: today, UTC). A build as of D reads only rows "
                                   "loaded and dated on or before D.")
    p.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"], help="dbt target (default duckdb)")
    p.add_argument("--select", nargs="*", default=[], help="dbt selection, e.g. +dq_reconciliation")
    p.add_argument("--exclude", nargs="*", default=[], help="dbt exclusion, e.g. tag:offer")
    p.add_argument("--full-checks", "--unit-tests", dest="unit_tests", action="store_true",
                   help="also run the checks of the project itself: the dbt unit tests (hand-made rows through each "
                        "model with logic) and the data tests of the intermediate models (tag structural: what the "
                        "project's own SQL guarantees). They check the project, not your data, so a build skips them "
                        "by default; run them after changing a model, a macro or the target engine (selector "
                        "full-checks)")
    p.add_argument("--dbt-artifacts", action="store_true",
                   help="write dbt's JSON artifacts (target/manifest.json and run_results.json in the work folder) for "
                        "tools that read them; a build skips them by default (dbt rewrites the whole manifest after "
                        "each of its steps, about 1.5 s each; the JSON result holds the failures and node times)")
    p.add_argument("--full-refresh", action="store_true",
                   help="rebuild the incremental models (the staging of events, orders and order lines) from nothing. "
                        "By default a build after a complete build of the same project, raw location and vars, as of "
                        "the same date or later, recomputes only the rows loaded or dated since (D104)")
    p.add_argument("--raw", default="data/raw", help="raw data folder for DuckDB (default data/raw)")
    p.add_argument("--work-dir", default="build", help="private working folder (default build)")
    p.add_argument("--publish-dir", default="publish", help="where BI tools read (default publish)")
    p.add_argument("--parquet", action="store_true", help="also publish every public table as Parquet")
    p.add_argument("--threads", type=int, help="dbt threads (default: on DuckDB 2 for raw files under 64 MB, else 1; 2 on PostgreSQL)")
    p.add_argument("--fail-on-stale", action="store_true",
                   help="fail (exit 1, nothing published) when a raw table's newest row, as of the as-of date, is "
                        "older than its source's freshness error_after (audit.dq_freshness)")
    p.add_argument("--load-raw", action="store_true",
                   help="PostgreSQL: load the raw Parquet files into raw_* schemas before building")
    p.add_argument("--vars", default="{}", help="extra dbt vars as JSON, e.g. '{\"enable_surveys\": false}'")
    _add_publish_args(p)


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1 (0.5 = half), got {value!r}")
    return share


def _add_publish_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-row-loss", type=_share, default=0.5, metavar="SHARE",
                   help="refuse to publish (exit 4, the previous publication stays) when a public mart would lose more "
                        "than this share of its rows (default 0.5)")
    p.add_argument("--accept-row-loss", action="store_true",
                   help="publish even when a public mart loses more than --max-row-loss of its rows (with a warning)")
    p.add_argument("--wait", nargs="?", type=float, const=-1.0, default=None, metavar="SECONDS",
                   help="when another build holds the work folder, wait for it (at most SECONDS; without a value, as "
                        "long as it takes) instead of exiting 3 at once")
    p.add_argument("--pg-publish", default="mvcc", choices=["mvcc", "swap"],
                   help="PostgreSQL publication: mvcc (default: rows replaced in one transaction; readers see the old "
                        "or the new publication whole) or swap (schemas renamed; a reader inside one transaction "
                        "across it sees empty tables)")
    p.add_argument("--pg-lock-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="PostgreSQL publication: longest wait for a lock held by a reader, per try (default 10)")
    p.add_argument("--pg-lock-tries", type=int, default=3, metavar="N",
                   help="PostgreSQL publication: tries before giving up with the sessions in the way named (default 3)")
    p.add_argument("--refit", default="auto", choices=["auto", "always", "never"],
                   help="predictive models: auto (default) refits a target when its saved model is missing or older "
                        "than the cut-off spacing, always refits, never scores with the saved models (README "
                        "'Predictive scores')")
    p.add_argument("--model-dir", help="where fitted models are saved and read (default <work dir>/models)")
    p.add_argument("--predict", action=argparse.BooleanOptionalAction, default=True,
                   help="run the predict step between the dbt steps (default); --no-predict leaves predictions null and "
                        "does not build the training examples (models/intermediate/predict)")
    p.add_argument("--export-dir", default="exports",
                   help="where the activation exports land: <export dir>/<as-of date>/ holds each audience as CSV and "
                        "Parquet, the triggers and manifest.json, made current once the publication succeeded "
                        "(default exports)")
    p.add_argument("--no-export", dest="export", action="store_false",
                   help="write no activation export (the audience marts are still built and published)")


def _publish_settings(a) -> dict:
    if a.pg_lock_timeout <= 0 or a.pg_lock_tries < 1:
        raise runner.BuildError("--pg-lock-timeout must be above 0 and --pg-lock-tries at least 1")
    return dict(max_row_loss=a.max_row_loss, accept_row_loss=a.accept_row_loss, wait=a.wait,
                pg_publish=a.pg_publish, pg_lock_timeout=a.pg_lock_timeout, pg_lock_tries=a.pg_lock_tries,
                export=a.export, export_dir=Path(a.export_dir))


def _settings(a) -> runner.BuildSettings:
    try:
        extra = json.loads(a.vars)
    except json.JSONDecodeError as exc:
        raise runner.BuildError(f"--vars is not valid JSON: {exc}") from exc
    return runner.BuildSettings(
        as_of=runner.parse_date(a.as_of), target=a.target, select=a.select, exclude=a.exclude, raw_path=Path(a.raw),
        work_dir=Path(a.work_dir), publish_dir=Path(a.publish_dir), publish_parquet=a.parquet,
        threads=a.threads, fail_on_stale=a.fail_on_stale, extra_vars=extra, refit=a.refit,
        model_dir=Path(a.model_dir) if a.model_dir else None, predict=a.predict, unit_tests=a.unit_tests,
        dbt_artifacts=a.dbt_artifacts, full_refresh=getattr(a, "full_refresh", False), **_publish_settings(a),
    )


def cmd_generate(a) -> int:
    from customer_scoring.generate import generate_demo_data

    end = runner.parse_date(a.end_date)
    manifest = generate_demo_data(Path(a.out), contacts=a.contacts, seed=a.seed, end_date=end, years=a.years,
                                  csv=a.csv, shape=a.shape)
    rows = manifest.get("rows", {})
    log.info("generated %s rows in %d tables under %s (end date %s)", f"{sum(rows.values()):,}", len(rows), a.out, end)
    return 0


def _load_raw_if_asked(a, s: runner.BuildSettings) -> None:
    if a.load_raw:
        if s.target != "postgres":
            raise runner.BuildError("--load-raw is for --target postgres; DuckDB reads the files directly")
        from customer_scoring import postgres

        counts = postgres.load_raw(s.raw_path)
        log.info("loaded %s raw rows into PostgreSQL", f"{sum(counts.values()):,}")


def human_summary(res: runner.BuildResult) -> str:
    """A few lines for people: the outcome, the step timings, where the full result is. A failure's message and the
    warnings were logged once on stderr as they happened; they are not repeated here."""
    steps = ", ".join(f"{st.name} {st.seconds:.1f}s" + ("" if st.success else " FAILED") for st in res.steps)
    lines = []
    kind = "publish" if res.build_run_id and res.build_run_id != res.run_id else "build"
    if res.success:
        if res.publication:
            outcome = f"published {res.publication}"
        else:  # a partial selection, or a warehouse target (its schemas were published)
            outcome = "publish: " + next((st.detail for st in res.steps if st.name == "publish"), "-")
        lines.append(f"{kind} {res.run_id} as of {res.as_of}: ok, {outcome}")
    elif res.refused:
        lines.append(f"{kind} {res.run_id} as of {res.as_of}: publication REFUSED (message above, exit "
                     f"{res.exit_code}); the previous publication is untouched")
    elif res.interrupted:
        lines.append(f"{kind} {res.run_id} as of {res.as_of}: INTERRUPTED by {res.interrupted} (exit "
                     f"{res.exit_code}); the previous publication is untouched")
    else:
        lines.append(f"{kind} {res.run_id} as of {res.as_of}: FAILED at step {res.failed_step} (message above); "
                     "the previous publication, if any, is untouched")
    lines.append(f"  steps: {steps}")
    if res.freshness:
        counts: dict[str, int] = {}
        for f in res.freshness.values():
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        order = ("fresh", "warn", "stale", "empty", "not_checked")
        lines.append("  freshness: " + ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in order if k in counts))
    if res.warnings:
        lines.append(f"  {len(res.warnings)} warning(s), logged above and listed in the result")
    lines.append(f"  result: {res.result_file}; dbt log: {res.dbt_log}")
    return "\n".join(lines)


def cmd_build(a) -> int:
    s = _settings(a)
    _load_raw_if_asked(a, s)
    res = runner.build(s)
    print(json.dumps(res.as_dict(), indent=2) if a.json else human_summary(res))
    return res.exit_code


def cmd_publish(a) -> int:
    s = runner.BuildSettings(as_of=runner.parse_date(None), target=a.target, work_dir=Path(a.work_dir),
                             publish_dir=Path(a.publish_dir), publish_parquet=a.parquet, **_publish_settings(a))
    res = runner.publish_last(s)
    print(json.dumps(res.as_dict(), indent=2) if a.json else human_summary(res))
    return res.exit_code


def summarize(publication: Path) -> str:
    """A short, readable summary of a DuckDB publication."""
    import duckdb

    con = duckdb.connect(str(publication), read_only=True)
    try:
        meta = con.execute("select run_id, as_of_date, tables_json from meta.publication").fetchone()
        lines = [f"Publication {publication} (run {meta[0]}, as of {meta[1]})", "", "Tables:"]
        for name, n in sorted(json.loads(meta[2]).items()):
            lines.append(f"  {name:<40} {n:>12,} rows")
        lines += ["", "Where the raw rows went (audit.dq_reconciliation):",
                  f"  {'table':<28} {'raw':>10} {'kept':>10} {'quarant.':>9} {'merged':>9} {'later':>8} "
                  f"{'erased':>7}  ok"]
        for r in con.execute("select source_table, raw_rows, kept_rows, quarantined_rows, merged_rows, "
                             "after_as_of_rows, erased_rows, is_reconciled from audit.dq_reconciliation "
                             "order by 1").fetchall():
            lines.append(f"  {r[0]:<28} {r[1]:>10,} {r[2]:>10,} {r[3]:>9,} {r[4]:>9,} {r[5]:>8,} {r[6]:>7,}  "
                         f"{'yes' if r[7] else 'NO'}")
        lines += ["", "Quarantine by reason (audit.quarantine):"]
        for r in con.execute("select source_table, reason_code, count(*) from audit.quarantine group by 1, 2 "
                             "order by 1, 3 desc").fetchall():
            lines.append(f"  {r[0]:<28} {r[1]:<24} {r[2]:>8,}")
        lines += ["", "Repairs (audit.dq_repairs):"]
        for r in con.execute("select source_table, reason_code, repaired_rows from audit.dq_repairs "
                             "where repaired_rows > 0 order by 1, 3 desc").fetchall():
            lines.append(f"  {r[0]:<28} {r[1]:<24} {r[2]:>8,}")
        tables = {name for name in json.loads(meta[2])}
        if "marts.customer_profile_scores" in tables:
            lines += ["", "Customers per profile and tier (marts.customer_profile_scores):"]
            # Tiers in their order (best first, by score: tier names are free, D32).
            for r in con.execute("select profile, tier, count(*), round(avg(score), 1) "
                                 "from marts.customer_profile_scores "
                                 "group by 1, 2 order by 1, min(score) desc").fetchall():
                lines.append(f"  {r[0]:<12} {r[1] or '-':<8} {r[2]:>8,} customers, average score {r[3]}")
        if "marts.lead_scores" in tables:
            lines += ["", "Leads per tier (marts.lead_scores):"]
            for r in con.execute("select tier, count(*), sum(case when is_mql then 1 else 0 end), "
                                 "round(avg(lead_score), 1) from marts.lead_scores group by 1 "
                                 "order by min(lead_score) desc").fetchall():
                lines.append(f"  {r[0] or '-':<8} {r[1]:>8,} leads, {r[2]:,} MQL, average score {r[3]}")
        lines += ["", f"Open it read-only from any tool: duckdb -readonly {publication} (DuckDB's own CLI), or in "
                      f"Python duckdb.connect('{publication}', read_only=True)"]
        return "\n".join(lines)
    finally:
        con.close()


def cmd_demo(a) -> int:
    from customer_scoring.generate import generate_demo_data

    as_of = runner.parse_date(a.as_of)
    raw = Path(a.raw)
    log.info("generating %s demo contacts into %s (history up to %s)", f"{a.contacts:,}", raw, as_of)
    generate_demo_data(raw, contacts=a.contacts, seed=a.seed, end_date=as_of)
    a.as_of = as_of.isoformat()
    s = _settings(a)
    res = runner.build(s)
    if not res.success or res.publication is None:
        # a failed build, or a partial one (--select) that builds without publishing: the run's own summary
        print(human_summary(res))
        return res.exit_code
    print(summarize(res.publication))
    from customer_scoring import report

    written = report.write_report(s.publish_dir)
    # its size and time are in the report's own log line: printed once
    print(f"\nReport: {written['path']} ({written['charts']} charts; open it in a browser)")
    if written["sections"].get("tier-performance") in (0, "missing"):
        # A demo is one build: no score history of earlier dates, so no conversion rates, tier moves or triggers. A
        # backtest makes it (at 5,000 contacts 114 s for one date, 161 s for three: D91); not run here.
        common = f"--raw {a.raw} --work-dir {a.work_dir}" + (f" --target {a.target}" if a.target != "duckdb" else "")
        commands = report.history_commands(
            as_of, backtest_options=common,
            build_options=f"{common} --publish-dir {a.publish_dir} --export-dir {a.export_dir}",
            report_options=f"--publish-dir {a.publish_dir}" + (f" --target {a.target}" if a.target != "duckdb" else ""))
        print("\nTier performance, tier moves and triggers need the scores of earlier dates. To add them (a backtest "
              "of 3 dates, then a build), run from this folder:\n  " + "\n  ".join(commands))
    return 0


def cmd_bench(a) -> int:
    from customer_scoring import bench

    return bench.main(a)


def cmd_backtest(a) -> int:
    from customer_scoring import backtest

    try:
        extra = json.loads(a.vars)
    except json.JSONDecodeError as exc:
        raise runner.BuildError(f"--vars is not valid JSON: {exc}") from exc
    bs = backtest.BacktestSettings(
        start=runner.parse_date(a.from_date), end=runner.parse_date(a.to_date), every=a.every, target=a.target,
        raw_path=Path(a.raw), work_dir=Path(a.work_dir), threads=a.threads, extra_vars=extra, wait=a.wait,
        performance_as_of=runner.parse_date(a.as_of) if a.as_of else None, performance=a.performance)
    if a.load_raw:
        if bs.target != "postgres":
            raise runner.BuildError("--load-raw is for --target postgres; DuckDB reads the files directly")
        from customer_scoring import postgres

        postgres.load_raw(bs.raw_path)
    res = backtest.run(bs)
    print(json.dumps(res.as_dict(), indent=2, default=str) if a.json else backtest.summary(res))
    return res.exit_code


def cmd_calibrate(a) -> int:
    from customer_scoring import calibrate as cal

    project = runner.project_dir()
    try:
        sizes = cal.parse_targets(a.target_sizes, "sizes")
        rates = cal.parse_targets(a.target_rates, "rates")
        cal.check_profile(cal.read_seed(project / cal.PROFILES_SEED), a.profile)
        thresholds = cal.current_thresholds(cal.read_seed(project / cal.THRESHOLDS_SEED), a.profile)
        weights = cal.current_weights(cal.read_seed(project / cal.WEIGHTS_SEED), a.profile)
        if not (sizes or rates or a.weights):
            raise cal.CalibrationError("nothing to propose: give --target-sizes, --target-rates and/or --weights")
        settings = runner.BuildSettings(as_of=runner.parse_date(None), target=a.target, work_dir=Path(a.work_dir))
        wide = cal.read_wide(settings, a.profile, list(weights))
        proposal = cal.calibrate(wide, a.profile, thresholds, weights, sizes=sizes, rates=rates,
                                 fit_weights=a.weights, holdout=a.holdout, min_population=a.min_population)
    except cal.CalibrationError as exc:
        log.error("calibrate: %s", exc)
        return runner.EXIT_FAILED
    changes = cal.seed_changes(proposal, project)
    print(cal.report(proposal, cal.unified_diff(changes)))
    if a.write and changes:
        for path in cal.write_seeds(changes, project, Path(a.out) if a.out else None):
            log.info("wrote %s", path)
    elif changes:
        log.info("nothing written: review the diff, then pass --write (in place) or --write --out DIR")
    return runner.EXIT_OK


def cmd_report(a) -> int:
    from customer_scoring import report

    try:
        written = report.write_report(Path(a.publish_dir), Path(a.out) if a.out else None, a.target)
    except report.ReportError as exc:
        log.error("report: %s", exc)
        return runner.EXIT_FAILED
    print(written["path"])
    return runner.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per command, each with its function as `func`."""
    parser = argparse.ArgumentParser(prog="customer-scoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write demo raw data")
    g.add_argument("--out", default="data/raw")
    g.add_argument("--contacts", type=int, default=2000)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--end-date", help="last day of history (default today, UTC)")
    g.add_argument("--years", type=int, default=3)
    g.add_argument("--csv", action="store_true", help="also write CSV files")
    g.add_argument("--shape", default="demo", choices=("demo", "retail"),
                   help="demo: CRM, web/email events and surveys, most customers order again; retail: an online "
                        "shop's order export, most customers order once, no events, campaigns or surveys")
    g.set_defaults(func=cmd_generate)

    b = sub.add_parser("build", help="build as of one date and publish")
    _add_build_args(b)
    b.add_argument("--json", action="store_true",
                   help="print the run's result as JSON on stdout instead of a short summary (it is always written "
                        "to <work dir>/logs/last_run.json)")
    b.set_defaults(func=cmd_build)

    pb = sub.add_parser("publish", help="publish the work folder's last build again, without rebuilding")
    pb.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"], help="dbt target (default duckdb)")
    pb.add_argument("--work-dir", default="build", help="the build's private working folder (default build)")
    pb.add_argument("--publish-dir", default="publish", help="where BI tools read (default publish)")
    pb.add_argument("--parquet", action="store_true", help="also publish every public table as Parquet")
    pb.add_argument("--json", action="store_true", help="print the run's result as JSON on stdout")
    _add_publish_args(pb)
    pb.set_defaults(func=cmd_publish)

    d = sub.add_parser("demo", help="generate demo data, build, summarise")
    _add_build_args(d)
    d.add_argument("--contacts", type=int, default=5000, help="generated contacts (default 5000)")
    d.add_argument("--seed", type=int, default=42)
    d.set_defaults(func=cmd_demo)

    be = sub.add_parser("bench", help="benchmark a full build at a given scale")
    be.add_argument("--contacts", type=int, default=1_000_000)
    be.add_argument("--data-dir", default="build/bench")
    be.add_argument("--results", default="benchmarks/RESULTS.md")
    be.add_argument("--threads", type=int, default=None,
                    help="dbt threads (default: what a build of the data uses without --threads)")
    be.add_argument("--regenerate", action="store_true")
    be.add_argument("--steps", action=argparse.BooleanOptionalAction, default=None,
                    help="also time the RFM and engagement models against hand-written DuckDB queries "
                         "(default: when built)")
    be.add_argument("--only", nargs="+", metavar="STEP", default=None,
                    help="time only these steps on the work database an earlier bench build left in --data-dir, "
                         "without building again: RFM, engagement, co-purchase, offers, export")
    be.add_argument("--refresh-days", type=int, default=7, metavar="N",
                    help="build in full as of N days before the data's end, then time an incremental refresh as of "
                         "its end: the rows loaded in those N days are the new data (default 7, about 1%% of the "
                         "orders and events; 0: one full build as of the end)")
    be.add_argument("--repeats", type=int, default=2,
                    help="with --only: runs of each step (best wall time kept, highest peak RSS; default 2)")
    be.set_defaults(func=cmd_bench)

    bt = sub.add_parser("backtest", help="the scores as of past dates into the score history, then tier performance")
    bt.add_argument("--from", dest="from_date", required=True, help="first as-of date YYYY-MM-DD")
    bt.add_argument("--to", dest="to_date", required=True,
                    help="last as-of date YYYY-MM-DD (included when on the grid)")
    bt.add_argument("--every", default="30d",
                    help="spacing: Nd, Nw, Nm or monthly (month ends when --from is a month end); default 30d")
    bt.add_argument("--as-of", help="as-of date of tier_performance, score_drift and tier_changes (default: the "
                                    "regular build's, from <work dir>/logs/last_run.json)")
    bt.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"], help="dbt target (default duckdb)")
    bt.add_argument("--raw", default="data/raw", help="raw data folder for DuckDB (default data/raw)")
    bt.add_argument("--work-dir", default="build", help="the regular build's private working folder (default build)")
    bt.add_argument("--threads", type=int, help="dbt threads (default: on DuckDB 2 for raw files under 64 MB, else 1; 2 on PostgreSQL)")
    bt.add_argument("--vars", default="{}", help="extra dbt vars as JSON")
    bt.add_argument("--load-raw", action="store_true",
                    help="PostgreSQL: load the raw Parquet files into raw_* schemas before building")
    bt.add_argument("--wait", nargs="?", type=float, const=-1.0, default=None, metavar="SECONDS",
                    help="when a build holds the work folder, wait for it instead of exiting 3")
    bt.add_argument("--performance", action=argparse.BooleanOptionalAction, default=True,
                    help="build and print tier performance after the dates (default)")
    bt.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    bt.set_defaults(func=cmd_backtest)

    ca = sub.add_parser("calibrate", help="propose a profile's tier thresholds and weights from its history")
    ca.add_argument("--profile", required=True, help="scoring profile, e.g. retain")
    ca.add_argument("--target-sizes", help="percent of the entities per tier, best first: A=10,B=20,C=30 (the lowest "
                                           "tier takes the rest)")
    ca.add_argument("--target-rates", help="conversion rate per tier: A=0.3,B=0.15 (the lowest threshold meeting it)")
    ca.add_argument("--weights", action="store_true", help="also propose criterion weights (logistic regression, "
                                                           "non-negative, shrunk towards the current weights)")
    ca.add_argument("--holdout", type=int, default=2, help="latest complete periods held out (default 2)")
    ca.add_argument("--min-population", type=int, default=30,
                    help="fewest entities a tier band needs for --target-rates (default 30)")
    ca.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"], help="dbt target (default duckdb)")
    ca.add_argument("--work-dir", default="build", help="the work folder whose database holds the history")
    ca.add_argument("--write", action="store_true", help="write the proposed seed files (in place, or into --out)")
    ca.add_argument("--out", help="with --write: folder for the proposed seed files instead of seeds/scoring")
    ca.set_defaults(func=cmd_calibrate)

    rp = sub.add_parser("report", help="a visual report of the publication (one self-contained HTML file)",
                        description="Write a visual report of the publication: one self-contained HTML file (charts "
                                    "from the published marts, opens offline), by default <publish dir>/report.html.")
    rp.add_argument("--publish-dir", default="publish", help="the publication's folder (default publish)")
    rp.add_argument("--out", help="the HTML file to write (default <publish dir>/report.html)")
    rp.add_argument("--target", default="duckdb", choices=["duckdb", "postgres"],
                    help="read the DuckDB publication (default) or the published PostgreSQL schemas (CS_PG_*)")
    rp.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    _setup_logging(a.verbose)
    try:
        return a.func(a)
    except runner.LockHeld as exc:
        log.error("%s", exc)
        return runner.EXIT_LOCKED
    except runner.BuildError as exc:
        log.error("%s", exc)
        return runner.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
