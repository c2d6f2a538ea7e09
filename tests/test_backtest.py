"""customer-scoring backtest over three month ends on one small demo build (300 contacts): the history gets the three
dates, each as of its own date, from one parse; the regular build's tables, last_run.json and publication stay as
they were; a second backtest of the last two dates changes nothing. calibrate then reads this history from the work
database, and the engine's scores recomputed from score_factor_history equal the stored ones."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_scoring import backtest, runner
from customer_scoring import calibrate as cal
from customer_scoring.generate import generate_demo_data

from conftest import END_DATE, PROJECT, run_build

DATES = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
HISTORY = {"score_history", "score_factor_history"}


def _tables(db) -> dict[tuple[str, str], tuple]:
    """Every relation of the regular schemas (no backtest_ prefix) but the history tables: a base table's row count
    and content hash, a view's definition."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select table_schema, table_name, table_type from information_schema.tables "
                           "where table_schema not like 'backtest_%' order by 1, 2").fetchall()
        out = {}
        for schema, table, kind in rows:
            if table in HISTORY:
                continue
            if kind == "VIEW":
                out[(schema, table)] = con.execute("select sql from duckdb_views() where schema_name = ? and "
                                                   "view_name = ?", [schema, table]).fetchall()
            else:
                out[(schema, table)] = con.execute(f'select count(*), sum(hash(t)) from "{schema}"."{table}" t'
                                                   ).fetchone()
        return out
    finally:
        con.close()


def _history(db) -> tuple[list, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (con.execute("select * from marts.score_history order by all").fetchall(),
                con.execute("select * from marts.score_factor_history order by all").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def backtested(tmp_path_factory):
    """A regular (partial) build as of END_DATE, then a backtest of DATES in its work folder, counting the dbt
    invocations that parse the project (no manifest given)."""
    root = tmp_path_factory.mktemp("backtest")
    raw = root / "raw"
    generate_demo_data(raw, contacts=300, seed=13, end_date=END_DATE)
    regular = run_build(raw, root, select=["+score_history", "+score_factor_history"])
    assert regular.success, regular.error
    work = root / "build"
    before = {"tables": _tables(work / "customer_scoring.duckdb"),
              "last_run": (work / "logs" / "last_run.json").read_bytes(),
              "publish": sorted(p.name for p in (root / "publish").rglob("*"))}
    calls = []
    real = runner.invoke_dbt

    def counting(args, project, settings, manifest=None, **kw):
        calls.append((args[0], manifest is not None, settings.as_of))
        return real(args, project, settings, manifest=manifest, **kw)

    patch = pytest.MonkeyPatch()
    patch.setattr(runner, "invoke_dbt", counting)
    try:
        settings = backtest.BacktestSettings(start=DATES[0], end=DATES[-1], every="monthly", raw_path=raw,
                                             work_dir=work)
        first = backtest.run(settings)
        first_calls = len(calls)
        history = _history(work / "customer_scoring.duckdb")
        # the last two dates again: enough to see that a rerun replaces its dates with the same rows and leaves the
        # others alone
        again = backtest.run(backtest.BacktestSettings(start=DATES[-2], end=DATES[-1], every="monthly", raw_path=raw,
                                                       work_dir=work, performance=False))
    finally:
        patch.undo()
    return dict(root=root, raw=raw, work=work, regular=regular, before=before, first=first, again=again,
                history=history, calls=calls, first_calls=first_calls)


def test_backtest_dates():
    assert backtest.backtest_dates(dt.date(2026, 1, 31), dt.date(2026, 4, 29), "monthly") == DATES
    assert backtest.backtest_dates(dt.date(2026, 1, 15), dt.date(2026, 3, 15), "1m") == [
        dt.date(2026, 1, 15), dt.date(2026, 2, 15), dt.date(2026, 3, 15)]
    assert backtest.backtest_dates(dt.date(2026, 1, 1), dt.date(2026, 3, 1), "30d") == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 31)]
    assert backtest.backtest_dates(dt.date(2026, 1, 1), dt.date(2026, 1, 29), "2w") == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 15), dt.date(2026, 1, 29)]
    for bad in ("", "0d", "monthlyish", "3y"):
        with pytest.raises(runner.BuildError):
            backtest.backtest_dates(dt.date(2026, 1, 1), dt.date(2026, 2, 1), bad)


def test_history_holds_each_date_as_of_that_date(backtested):
    first = backtested["first"]
    assert first.success, first.error
    assert [d.as_of for d in first.dates] == DATES and all(d.score_rows > 0 and d.factor_rows > 0
                                                           for d in first.dates)
    con = duckdb.connect(str(backtested["work"] / "customer_scoring.duckdb"), read_only=True)
    try:
        counts = dict(con.execute("select as_of_date, count(*) from marts.score_history group by 1").fetchall())
        assert counts == {**{d.as_of: d.score_rows for d in first.dates}, END_DATE: counts[END_DATE]}
        # each date's customers are the golden contacts with a completed order on or before that date (one parse,
        # the date compiled again for each build), so the dates differ
        customers = {}
        for d in DATES:
            customers[d] = {r[0] for r in con.execute(
                "select entity_id from marts.score_history where as_of_date = ? and profile = 'retain'", [d]
            ).fetchall()}
            buyers = {r[0] for r in con.execute(
                "select coalesce(i.master_contact_id, o.contact_id) from intermediate.int_orders o "
                "left join intermediate.int_contacts__identity i on o.contact_id = i.contact_id "
                "where o.is_completed and o.ordered_on <= ?", [d]).fetchall()}
            assert customers[d] and customers[d] <= buyers, d
        assert len(customers[DATES[0]]) < len(customers[DATES[-1]])
        # the factors add up to the scores on every date
        off = con.execute("""
            select count(*) from marts.score_history h
            join (select as_of_date, profile, entity_id, sum(points) as points from marts.score_factor_history
                  group by all) f using (as_of_date, profile, entity_id)
            where h.as_of_date in (?, ?, ?) and h.score <> f.points""", DATES).fetchone()[0]
        assert off == 0
    finally:
        con.close()


def test_one_parse_for_every_date(backtested):
    calls = backtested["calls"]
    first_run = calls[:backtested["first_calls"]]
    # at most one parse for both runs: the second loads the first's from the parse cache (D99), as the first may
    # load one an earlier backtest of the same project and vars left there
    assert [c for c in calls if not c[1]] in ([("parse", False, DATES[0])], [])
    assert backtested["first"].parses <= 1 and backtested["again"].parses == 0
    built = [c[2] for c in first_run if c[0] == "build"]
    # config, one build per date, the performance build as of the regular build's date
    assert built == [DATES[0], *DATES, END_DATE]


def test_regular_build_untouched(backtested):
    work, before = backtested["work"], backtested["before"]
    assert (work / "logs" / "last_run.json").read_bytes() == before["last_run"]
    assert _tables(work / "customer_scoring.duckdb") == before["tables"]
    assert sorted(p.name for p in (backtested["root"] / "publish").rglob("*")) == before["publish"]
    lines = [json.loads(line) for line in (work / "logs" / "runs.jsonl").read_text().splitlines()]
    assert [line.get("kind") for line in lines] == [None, "backtest", "backtest"]
    assert (work / "target" / "partial_parse.msgpack").exists()  # the regular build's parse cache is its own


def test_second_backtest_changes_nothing(backtested):
    assert backtested["again"].success, backtested["again"].error
    assert _history(backtested["work"] / "customer_scoring.duckdb") == backtested["history"]
    assert [d.as_of for d in backtested["again"].dates] == DATES[-2:]
    assert [(d.score_rows, d.factor_rows) for d in backtested["again"].dates] == [
        (d.score_rows, d.factor_rows) for d in backtested["first"].dates[-2:]]


def test_tier_performance_of_the_backtest(backtested):
    first = backtested["first"]
    assert first.performance_as_of == END_DATE
    rows = [r for r in first.performance if r["profile"] == "retain"]
    assert {r["period"] for r in rows} == {*DATES, END_DATE}
    complete = {r["period"] for r in rows if r["is_window_complete"]}
    assert complete == set(DATES)  # 90-day windows: END_DATE's is open
    con = duckdb.connect(str(backtested["work"] / "customer_scoring.duckdb"), read_only=True)
    try:
        retain = dict(con.execute("select as_of_date, count(*) from marts.score_history where profile = 'retain' "
                                  "group by 1").fetchall())
    finally:
        con.close()
    for period in (*DATES, END_DATE):
        assert sum(r["population"] for r in rows if r["period"] == period) == retain[period]
    text = backtest.summary(first)
    assert "tier_performance as of 2026-06-30" in text and "window open" in text


def test_calibrate_reads_the_history_and_recomputes_every_score(backtested):
    """The SQL pivot of calibrate equals the frame built from the long tables, and the engine's score recomputed
    from score_factor_history with the seeds' weights is the stored score, for every profile with weights."""
    settings = runner.BuildSettings(as_of=END_DATE, work_dir=backtested["work"])
    seeds = cal.read_seed(PROJECT / cal.WEIGHTS_SEED)
    con = duckdb.connect(str(settings.work_db), read_only=True)
    try:
        # offers are scored per contact and product, not kept in the score history: every other profile is
        scored = cal.read_seed(PROJECT / "seeds/scoring/scoring_profiles.csv")
        history_profiles = set(scored.loc[scored["entity_type"] != "offer", "profile"])
        assert {"acquire", "lead", "account"} <= history_profiles
        for profile in sorted(set(seeds["profile"]) & history_profiles):
            weights = cal.current_weights(seeds, profile)
            wide = cal.read_wide(settings, profile, list(weights))
            history = con.execute("select as_of_date, entity_id, score, tier from marts.score_history "
                                  "where profile = ?", [profile]).df()
            factors = con.execute("select as_of_date, entity_id, factor, factor_kind, normalized_value, points "
                                  "from marts.score_factor_history where profile = ?", [profile]).df()
            # the regular build selected the history and its parents only: the backtest's outcome view is the one
            outcomes = con.execute("select as_of_date, entity_id, is_converted, is_window_complete from "
                                   "backtest_intermediate.int_history__score_outcomes where profile = ?",
                                   [profile]).df()
            long = cal.wide_frame(history, factors, outcomes, list(weights))
            assert len(wide) == len(long) == len(history) > 0, profile
            pd.testing.assert_frame_equal(
                wide.drop(columns=["is_converted"]).reset_index(drop=True),
                long.drop(columns=["is_converted"]).reset_index(drop=True), check_dtype=False)
            assert (wide["is_converted"].isna() == long["is_converted"].isna()).all()
            recomputed = cal.recompute_scores(wide, weights, list(weights))
            assert np.array_equal(recomputed, wide["score"].to_numpy()), profile
    finally:
        con.close()
    proposal = cal.calibrate(cal.read_wide(settings, "retain", list(cal.current_weights(seeds, "retain"))), "retain",
                             cal.current_thresholds(cal.read_seed(PROJECT / cal.THRESHOLDS_SEED), "retain"),
                             cal.current_weights(seeds, "retain"), sizes={"A": 20, "B": 30, "C": 30}, holdout=1)
    assert proposal.fit_periods == DATES[:2] and proposal.holdout_periods == DATES[2:]


def test_a_backtest_refuses_dates_after_the_regular_build(tmp_path):
    """A date after the regular build's as-of date (or --as-of) is refused before anything is built: the history
    would hold scores of a day no build has reached, published by the next build."""
    work = tmp_path / "work"
    (work / "logs").mkdir(parents=True)
    (work / "logs" / "last_run.json").write_text(json.dumps({"as_of_date": "2026-03-31"}))
    raw = tmp_path / "raw"
    raw.mkdir()
    res = backtest.run(backtest.BacktestSettings(start=dt.date(2026, 2, 28), end=dt.date(2026, 5, 31),
                                                 every="monthly", raw_path=raw, work_dir=work))
    assert not res.success and res.parses == 0 and not res.dates
    assert ("2 backtest date(s) after 2026-03-31 (the regular build's as-of date in logs/last_run.json): "
            "2026-04-30, 2026-05-31; a backtest scores past dates only (use --to 2026-03-31 or earlier)") in res.error
    assert backtest.latest_allowed(backtest.BacktestSettings(
        start=dt.date(2026, 1, 31), end=dt.date(2026, 1, 31), work_dir=work,
        performance_as_of=dt.date(2026, 2, 28))) == (dt.date(2026, 2, 28), "--as-of")
