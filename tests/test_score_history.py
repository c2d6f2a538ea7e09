"""Score history (issue 13): score_history and score_factor_history keep one as-of date per build, a rebuild of a date
replaces it byte for byte, an earlier date is inserted in place, and tier_changes follows the sequence of builds.

One small demo data set (300 contacts) and one work folder serve every build of the module: as of D3, then D1
(earlier: inserted in place), then D2 (between the two), then D2 again (only the history models, on the tables the
D2 build left), then D2 once more with var factor_history_days 31 (the factors of D1 are deleted). Each build selects what tier_changes reads (`+tier_changes`), without the predict step and without
dbt tests (the history's data and unit tests run in the session build and the PostgreSQL build). The PostgreSQL test
builds D2 then D1 into a database of its own and compares the history with DuckDB's, row for row.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import connect_postgres, run_build
from customer_scoring import runner
from customer_scoring.generate import generate_demo_data

D1, D2, D3 = dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)
SELECT = ["+tier_changes"]
HISTORY = ["score_history", "score_factor_history", "tier_changes"]
SCORE_COLUMNS = "as_of_date, profile, entity_type, entity_id, cast(score as varchar(10)) as score, tier, top_factors"
FACTOR_COLUMNS = ("as_of_date, profile, entity_type, entity_id, factor, factor_kind, "
                  "cast(normalized_value as varchar(30)) as normalized_value, cast(weight as varchar(30)) as weight, "
                  "cast(points as varchar(30)) as points")
# Tier performance parity: as of D2 with a 20-day window (D1's window (04-30, 05-20] is over, D2's is not).
PERFORMANCE_VARS = {"tier_performance_window_days": 20}
PERFORMANCE_PG = ["+tier_performance", "+score_drift"]
PERFORMANCE_DUCK = ["int_history__outcomes", "int_history__score_outcomes", "tier_performance", "score_drift"]
PERFORMANCE_COLUMNS = {
    "tier_performance": "profile, period, tier, population, conversions, window_days, is_window_complete, "
                        "cast(conversion_rate as varchar(20)), cast(conversion_rate_low as varchar(20)), "
                        "cast(conversion_rate_high as varchar(20)), cast(lift as varchar(20)), "
                        "cast(share_of_conversions as varchar(20)), tiers_in_order",
    "score_drift": "profile, period, tier, tier_entities, cast(tier_share as varchar(20)), entities, "
                   "cast(score_mean as varchar(20)), cast(score_p50 as varchar(20)), cast(psi_score as varchar(20)), "
                   "cast(psi_tier as varchar(20)), psi_score_reading",
}
CHANGE_COLUMNS = ("as_of_date, previous_as_of_date, profile, entity_type, entity_id, from_tier, to_tier, "
                  "cast(score_before as varchar(10)) as score_before, cast(score_after as varchar(10)) as score_after, "
                  "direction, moved_factors")


@pytest.fixture(scope="module")
def history_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("history_raw")
    generate_demo_data(raw, contacts=300, seed=13, end_date=D3)
    return raw


def snapshot(db: Path, folder: Path, name: str) -> dict:
    """The history tables of the work database, each as sorted rows and as the bytes of a sorted CSV export."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table, columns in (("score_history", SCORE_COLUMNS), ("score_factor_history", FACTOR_COLUMNS),
                               ("tier_changes", CHANGE_COLUMNS)):
            query = f"select {columns} from marts.{table} order by all"
            out[table] = con.execute(query).fetchall()
            csv = folder / f"{name}_{table}.csv"
            con.execute(f"copy ({query}) to '{csv}' (header, delimiter ',')")
            out[table + "_sha256"] = hashlib.sha256(csv.read_bytes()).hexdigest()
        out["duplicates"] = con.execute(
            "select count(*) from (select as_of_date, profile, entity_id from marts.score_history "
            "group by all having count(*) > 1)").fetchone()[0] + con.execute(
            "select count(*) from (select as_of_date, profile, entity_id, factor from marts.score_factor_history "
            "group by all having count(*) > 1)").fetchone()[0]
        out["thresholds"] = {(p, t): Decimal(str(m)) for p, t, m in con.execute(
            "select profile, tier, min_score from config.tier_thresholds").fetchall()}
        return out
    finally:
        con.close()


def rows_of(rows: list[tuple], date: dt.date) -> list[tuple]:
    return [r for r in rows if r[0] == date]


@pytest.fixture(scope="module")
def history_builds(history_raw, tmp_path_factory) -> dict:
    """The five builds, in order, with a snapshot of the history after each."""
    root = tmp_path_factory.mktemp("history")
    work = root / "build"
    snaps = {}
    builds = ((D3, SELECT, {}), (D1, SELECT, {}), (D2, SELECT, {}), (D2, HISTORY, {}),
              (D2, HISTORY, {"factor_history_days": 31}))
    for step, (as_of, select, extra_vars) in enumerate(builds, start=1):
        res = run_build(history_raw, root, as_of=as_of, work_dir=work, select=select, extra_vars=extra_vars)
        assert res.success, res.error
        snaps[step] = snapshot(work / "customer_scoring.duckdb", root, f"step{step}")
    snaps["work"] = work
    return snaps


def test_each_build_appends_its_own_date_and_its_factors_add_up(history_builds):
    first, last = history_builds[1], history_builds[3]
    assert {r[0] for r in first["score_history"]} == {D3}
    assert {r[0] for r in last["score_history"]} == {D1, D2, D3}
    assert {r[0] for r in last["score_factor_history"]} == {D1, D2, D3}
    # every entity type and the shipped profiles, on every date
    for date in (D1, D2, D3):
        kinds = {(r[1], r[2]) for r in rows_of(last["score_history"], date)}
        assert kinds == {("acquire", "customer"), ("develop", "customer"), ("retain", "customer"),
                         ("predict", "customer"), ("lead", "lead"), ("lead_fit", "lead"), ("account", "account")}
    # the points of every entity, profile and date add up to its score, to the cent (the data test checks one date)
    sums = defaultdict(Decimal)
    for r in last["score_factor_history"]:
        sums[(r[0], r[1], r[3])] += Decimal(r[8])
    scores = {(r[0], r[1], r[3]): Decimal(r[4]) for r in last["score_history"]}
    assert scores.keys() == sums.keys()
    assert [k for k in scores if scores[k] != sums[k]] == []
    # an entity's first appearance is not a change
    assert first["tier_changes"] == []


def test_an_earlier_date_is_inserted_in_place(history_builds):
    """D1 after D3, then D2 between them: the dates already there keep every row as it was."""
    after_d3, after_d1, after_d2 = history_builds[1], history_builds[2], history_builds[3]
    for table in ("score_history", "score_factor_history"):
        assert rows_of(after_d1[table], D3) == rows_of(after_d3[table], D3)
        assert rows_of(after_d2[table], D3) == rows_of(after_d3[table], D3)
        assert rows_of(after_d2[table], D1) == rows_of(after_d1[table], D1)
        assert rows_of(after_d2[table], D2), f"{table}: no rows for the inserted date"
        assert len(after_d2[table]) == sum(len(rows_of(after_d2[table], d)) for d in (D1, D2, D3))


def test_rebuilding_a_date_replaces_it_byte_for_byte(history_builds):
    before, after = history_builds[3], history_builds[4]
    assert after["duplicates"] == 0 and before["duplicates"] == 0
    for table in ("score_history", "score_factor_history", "tier_changes"):
        assert len(after[table]) == len(before[table])
        assert after[table] == before[table]
        assert after[table + "_sha256"] == before[table + "_sha256"], f"{table} differs after rebuilding {D2}"


def expected_changes(snap: dict) -> list[tuple]:
    """tier_changes computed here from the history: consecutive dates of each entity and profile whose tiers differ,
    direction by min_score, the three largest factor moves (a factor absent on one date counts 0 there; None when
    either date has no factors kept)."""
    series = defaultdict(list)
    for date, profile, entity_type, entity_id, score, tier, _ in snap["score_history"]:
        series[(profile, entity_type, entity_id)].append((date, Decimal(score), tier))
    points = defaultdict(dict)
    for r in snap["score_factor_history"]:
        points[(r[0], r[1], r[2], r[3])][r[4]] = Decimal(r[8])
    thresholds = snap["thresholds"]
    out = []
    for (profile, entity_type, entity_id), seq in series.items():
        seq.sort()
        for (before_date, before_score, before_tier), (date, score, tier) in zip(seq, seq[1:]):
            if tier == before_tier:
                continue
            up = thresholds[(profile, tier)] > thresholds[(profile, before_tier)]
            after_points = points[(date, profile, entity_type, entity_id)]
            before_points = points[(before_date, profile, entity_type, entity_id)]
            moves = {f: after_points.get(f, Decimal(0)) - before_points.get(f, Decimal(0))
                     for f in set(after_points) | set(before_points)}
            top = sorted(((f, m) for f, m in moves.items() if m != 0), key=lambda fm: (-abs(fm[1]), fm[0]))[:3]
            moved = ", ".join(f"{f}: {'+' if m >= 0 else ''}{m:.2f}" for f, m in top)
            if not after_points or not before_points:
                moved = None
            out.append((date, before_date, profile, entity_type, entity_id, before_tier, tier, f"{before_score:.2f}",
                        f"{score:.2f}", "up" if up else "down", moved))
    return sorted(out)


def test_tier_changes_follow_the_sequence_of_builds(history_builds):
    snap = history_builds[3]
    got = snap["tier_changes"]
    assert got == expected_changes(snap)
    pairs = {(r[1], r[0]) for r in got}
    # the inserted D2 split the pair (D1, D3): changes are between consecutive dates only
    assert pairs == {(D1, D2), (D2, D3)}
    assert {r[9] for r in got} == {"up", "down"}
    assert {r[3] for r in got} >= {"customer", "lead"}
    assert all(r[10] for r in got), "a change of tier with no factor moved"


def test_factor_history_days_deletes_the_older_factors_only(history_builds):
    """factor_history_days 31 as of D2, the newest date being D3: factors dated before D3 - 31 days (D1) are deleted;
    the scores stay, and the changes from D1 to D2 keep their row with moved_factors NULL."""
    before, after = history_builds[4], history_builds[5]
    assert {r[0] for r in after["score_factor_history"]} == {D2, D3}
    for date in (D2, D3):
        assert rows_of(after["score_factor_history"], date) == rows_of(before["score_factor_history"], date)
    assert after["score_history"] == before["score_history"]
    assert after["tier_changes"] == expected_changes(after)
    cut = [r for r in after["tier_changes"] if r[1] == D1]
    assert cut and all(r[10] is None for r in cut)
    assert [r for r in after["tier_changes"] if r[1] == D2] == [r for r in before["tier_changes"] if r[1] == D2]


# ------------------------------------------------------------------------------------------------------ PostgreSQL
PG_DB = "cs_history_test"


@pytest.mark.postgres
@pytest.mark.slow
def test_history_is_identical_on_postgres(history_raw, history_builds, tmp_path, monkeypatch):
    """D2 then D1 (an earlier date inserted in place) on PostgreSQL: the same rows as DuckDB's for both dates, and the
    same tier changes between them."""
    from customer_scoring import postgres

    admin = connect_postgres(autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {PG_DB} with (force)")
            cur.execute(f"create database {PG_DB}")
        monkeypatch.setenv("CS_PG_DATABASE", PG_DB)
        conn = postgres.connect()
        try:
            postgres.load_raw(history_raw, conn=conn)
            # D2 then D1 (inserted in place), then D2 again with tier performance: as of D2 with a 20-day window,
            # the D1 period is complete and judged, the D2 period open
            for as_of, select in ((D2, SELECT), (D1, SELECT), (D2, PERFORMANCE_PG)):
                res = runner.build(runner.BuildSettings(
                    as_of=as_of, target="postgres", raw_path=history_raw, work_dir=tmp_path / "build",
                    publish_dir=tmp_path / "publish", select=select, extra_vars=PERFORMANCE_VARS,
                    exclude=["resource_type:test", "test_type:unit"]))
                assert res.success, res.error
            with conn.cursor() as cur:
                got = {}
                for table, columns in (("score_history", SCORE_COLUMNS), ("score_factor_history", FACTOR_COLUMNS),
                                       ("tier_changes", CHANGE_COLUMNS)):
                    # a partial build publishes nothing: the history is in the build schema
                    cur.execute(f"select {columns} from build_marts.{table}")
                    got[table] = sorted(tuple(r) for r in cur.fetchall())
                for table, columns in PERFORMANCE_COLUMNS.items():
                    cur.execute(f"select {columns} from build_marts.{table}")
                    got[table] = sorted(tuple(r) for r in cur.fetchall())
        finally:
            conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {PG_DB} with (force)")
        admin.close()
    duck = history_builds[3]
    for table in ("score_history", "score_factor_history"):
        want = sorted(r for r in duck[table] if r[0] in (D1, D2))
        assert got[table] == want, f"{table}: {len(got[table])} rows on PostgreSQL, {len(want)} on DuckDB"
    want = sorted(r for r in duck["tier_changes"] if (r[1], r[0]) == (D1, D2))
    assert want and got["tier_changes"] == want
    # tier performance and score drift as of D2 on DuckDB: its history also holds D3, which a build as of D2 ignores
    res = run_build(history_raw, tmp_path, as_of=D2, work_dir=history_builds["work"], select=PERFORMANCE_DUCK,
                    extra_vars=PERFORMANCE_VARS, dbt_tests="none")
    assert res.success, res.error
    con = duckdb.connect(str(history_builds["work"] / "customer_scoring.duckdb"), read_only=True)
    try:
        for table, columns in PERFORMANCE_COLUMNS.items():
            want = sorted(con.execute(f"select {columns} from marts.{table}").fetchall())
            assert want and got[table] == want, f"{table}: {len(got[table])} rows on PostgreSQL, {len(want)} on DuckDB"
    finally:
        con.close()
    # (profile, period, tier, population, conversions, window_days, is_window_complete, conversion_rate, ...)
    judged = [r for r in got["tier_performance"] if r[1] == D1 and r[6] is True and r[3] > 0]
    assert judged and all(r[7] is not None for r in judged), "the D1 period is judged as of D2"
    assert all(r[6] is False and r[7] is None for r in got["tier_performance"] if r[1] == D2), "D2's window is open"
