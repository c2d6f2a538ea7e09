"""Incremental refresh (D104): a build after an earlier complete build of the same work folder recomputes only the
keys of the large staging tables (events, orders, order lines) whose rows changed, and gives the same tables as a
full build of the same data as of the same date: after days of new rows, a late correction of an old order, a new
contact record that merges two golden contacts, an erasure request, a future-dated event and rows loaded after the
as-of date. History rewritten under the watermark is detected and rebuilt whole; the runner's choice is tested on
its own."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from customer_scoring import runner

from conftest import END_DATE, run_build

EARLIER = END_DATE - dt.timedelta(days=15)
STAGED = ("stg_marketing__events", "stg_shop__orders", "stg_shop__order_items")
REFRESH = ("base_marketing__events_refresh", "base_shop__orders_refresh", "base_shop__order_items_refresh")
# Tables that differ by design between a work folder built twice and one built once: the history marts (they keep
# every build's rows: compared on the as-of date below) and what compares a date with the earlier builds' (triggers,
# tier changes, drift, tier performance: left out),
# the erasure salt (random per work database) and what it hashes, the refresh models (their fingerprints).
NOT_COMPARED = {"erasure_salt", "erasure_log", "activation_triggers", "tier_changes", "score_drift", "tier_performance",
                *REFRESH}


def _ts(d: dt.date, hour: int = 12) -> str:
    return f"{d.isoformat()} {hour:02d}:00:00"


def _rewrite(raw: Path, table: str, sql: str) -> None:
    """Replace raw/<table>.parquet by `sql`, where {t} reads the current file."""
    path = raw / f"{table}.parquet"
    tmp = path.with_suffix(".new.parquet")
    query = sql.format(t=f"read_parquet('{path}')")
    con = duckdb.connect()
    con.execute(f"copy ({query}) to '{tmp}' (format parquet)")
    con.close()
    tmp.replace(path)


def _change_raw(raw: Path) -> dict:
    """Rows that arrive after EARLIER (loaded between it and END_DATE, or later): returns the ids involved."""
    con = duckdb.connect()
    orders = f"read_parquet('{raw / 'shop/orders.parquet'}')"
    old_order = con.execute(
        f"select order_id from {orders} where status = 'completed' and ordered_at < ? order by order_id limit 1",
        [EARLIER - dt.timedelta(days=60)]).fetchone()[0]
    contacts = f"read_parquet('{raw / 'crm/contacts.parquet'}')"
    # two golden contacts with their own e-mails; the later record takes the first one's e-mail
    first, second = con.execute(
        f"select contact_id, email from {contacts} where email like '%@%' and _loaded_at < ? "
        f"qualify count(*) over (partition by lower(email)) = 1 order by contact_id limit 2",
        [EARLIER - dt.timedelta(days=30)]).fetchall()
    events = f"read_parquet('{raw / 'marketing/events.parquet'}')"
    erased = con.execute(
        f"select contact_id from {events} where contact_id <> ? and contact_id <> ? and occurred_at < ? "
        f"group by 1 order by count(*) desc, 1 limit 1", [first[0], second[0], EARLIER]).fetchone()[0]
    con.close()
    # a late correction of an old order (a newer version: twice the amount), loaded after EARLIER
    _rewrite(raw, "shop/orders", f"""
        select * from {{t}}
        union all
        select * replace (cast(cast(total_amount as decimal(18, 2)) * 2 as varchar) as total_amount,
                          timestamp '{_ts(END_DATE - dt.timedelta(days=5))}' as updated_at,
                          timestamp '{_ts(END_DATE - dt.timedelta(days=5))}' as _loaded_at)
        from {{t}} where order_id = '{old_order}'
        qualify row_number() over (order by _loaded_at desc) = 1
    """)
    # a new version of the second contact with the first one's e-mail: identity merges the two
    _rewrite(raw, "crm/contacts", f"""
        select * from {{t}}
        union all
        select * replace ('{first[1].upper()}' as email,
                          timestamp '{_ts(END_DATE - dt.timedelta(days=4))}' as updated_at,
                          timestamp '{_ts(END_DATE - dt.timedelta(days=4))}' as _loaded_at)
        from {{t}} where contact_id = '{second[0]}'
        qualify row_number() over (order by _loaded_at desc) = 1
    """)
    # an erasure request of a contact with events and orders
    _rewrite(raw, "crm/erasure_requests", f"""
        select * from {{t}}
        union all
        select 'ER_INCREMENTAL', null, '{erased}', timestamp '{_ts(END_DATE - dt.timedelta(days=3))}',
               timestamp '{_ts(END_DATE - dt.timedelta(days=3))}'
    """)
    # an event dated after the as-of date but loaded before it (quarantined: future_date), and one loaded after it
    _rewrite(raw, "marketing/events", f"""
        select * from {{t}}
        union all
        select * replace ('E_FUTURE' as event_id, timestamp '{_ts(END_DATE + dt.timedelta(days=3))}' as occurred_at,
                          timestamp '{_ts(END_DATE - dt.timedelta(days=2))}' as _loaded_at)
        from {{t}} where contact_id = '{first[0]}'
        qualify row_number() over (order by event_id) = 1
        union all
        select * replace ('E_LATER' as event_id, timestamp '{_ts(END_DATE + dt.timedelta(days=1))}' as occurred_at,
                          timestamp '{_ts(END_DATE + dt.timedelta(days=2))}' as _loaded_at)
        from {{t}} where contact_id = '{first[0]}'
        qualify row_number() over (order by event_id) = 1
    """)
    return {"old_order": old_order, "first": first[0], "second": second[0], "erased": erased}


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> dict[tuple[str, str], list[str]]:
    rows = con.execute("select schema_name, table_name, column_name from duckdb_columns() where database_name = ? "
                       "and schema_name in ('staging', 'intermediate', 'marts', 'audit', 'pii') "
                       "order by schema_name, table_name, column_index", [db]).fetchall()
    out: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        out.setdefault((schema, table), []).append(column)
    return out


def _differences(incremental: Path, full: Path) -> list[str]:
    """Tables of the two work databases whose rows differ (as multisets; history tables on END_DATE only)."""
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as inc (read_only)")
    con.execute(f"attach '{full}' as ful (read_only)")
    inc, ful = _tables(con, "inc"), _tables(con, "ful")
    assert set(inc) == set(ful)
    out = []
    for (schema, table), columns in sorted(inc.items()):
        if table in NOT_COMPARED:
            continue
        assert columns == ful[(schema, table)], table
        cols = ", ".join(f'"{c}"' for c in columns)
        where = f"where as_of_date = date '{END_DATE}'" if "as_of_date" in columns else ""
        a = f'select {cols} from inc."{schema}"."{table}" {where}'
        b = f'select {cols} from ful."{schema}"."{table}" {where}'
        only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        if only_a or only_b:
            out.append(f"{schema}.{table}: {only_a} rows only incremental, {only_b} only full")
    con.close()
    return out


def _kinds(db: Path) -> dict[str, dict[str, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: dict(con.execute(f"select row_kind, count(*) from staging.{t} group by 1").fetchall())
                for t in REFRESH}
    finally:
        con.close()


@pytest.fixture(scope="module")
def builds(pit_raw, tmp_path_factory):
    """An incremental work folder (full as of EARLIER, then the raw data changes, then incremental as of END_DATE)
    and a full build of the changed data as of END_DATE."""
    root = tmp_path_factory.mktemp("incremental")
    raw = root / "raw"
    shutil.copytree(pit_raw, raw)
    first = run_build(raw, root / "inc", as_of=EARLIER, predict=False, export=False)
    assert first.success, first.error
    assert first.refresh["mode"] == "full", first.refresh
    ids = _change_raw(raw)
    second = run_build(raw, root / "inc", as_of=END_DATE, predict=False, export=False)
    assert second.success, second.error
    full = run_build(raw, root / "full", as_of=END_DATE, predict=False, export=False)
    assert full.success, full.error
    return {"raw": raw, "root": root, "ids": ids, "second": second, "full": full,
            "inc_db": root / "inc" / "build" / "customer_scoring.duckdb",
            "full_db": root / "full" / "build" / "customer_scoring.duckdb"}


def test_incremental_build_equals_a_full_build(builds):
    assert builds["second"].refresh["mode"] == "incremental", builds["second"].refresh
    assert builds["second"].refresh["since"] == f"{EARLIER + dt.timedelta(days=1)} 00:00:00"
    assert builds["full"].refresh["mode"] == "full"
    # without a predict step the training examples, which only it reads, are not built
    built_models = {name for name, kind, _folder, _s in builds["full"].dbt_nodes if kind == "model"}
    assert "stg_shop__orders" in built_models and not any("training_examples" in m for m in built_models)
    kinds = _kinds(builds["inc_db"])
    # only some keys recomputed, none of the tables rebuilt whole
    for table, counts in kinds.items():
        assert "all" not in counts and counts.get("history") == 1 and counts.get("key", 0) > 0, (table, counts)
    con = duckdb.connect(str(builds["inc_db"]), read_only=True)
    events = con.execute("select count(*) from staging.stg_marketing__events").fetchone()[0]
    assert kinds["base_marketing__events_refresh"]["key"] < events / 5
    ids = builds["ids"]
    # the changes arrived: the corrected order, the merge, the erasure, the future-dated and later events
    assert con.execute("select count(*) from staging.stg_shop__orders where order_id = ? and dq_status = 'current'",
                       [ids["old_order"]]).fetchone()[0] == 1
    assert con.execute("select master_contact_id from intermediate.int_contacts__identity where contact_id = ?",
                       [ids["second"]]).fetchone()[0] == ids["first"]
    assert con.execute("select count(*) from staging.stg_marketing__events where contact_id = ? "
                       "and dq_status <> 'erased'", [ids["erased"]]).fetchone()[0] == 0
    assert dict(con.execute("select event_id, dq_status from staging.stg_marketing__events "
                            "where event_id in ('E_FUTURE', 'E_LATER')").fetchall()) == {
        "E_FUTURE": "quarantined", "E_LATER": "after_as_of"}
    con.close()
    assert _differences(builds["inc_db"], builds["full_db"]) == []


def test_history_rewritten_under_the_watermark_is_rebuilt_whole(builds):
    """An order rewritten in place (same load time, another amount) is not a new row: the fingerprint of what the
    previous build saw differs, so every key is staged again and the new amount is read."""
    raw, order = builds["raw"], builds["ids"]["old_order"]
    _rewrite(raw, "shop/orders", f"""
        select * replace (case when order_id = '{order}' then '12345.67' else total_amount end as total_amount)
        from {{t}}
    """)
    res = run_build(raw, builds["root"] / "inc", as_of=END_DATE, predict=False, export=False)
    assert res.success, res.error
    assert res.refresh["mode"] == "incremental"
    kinds = _kinds(builds["inc_db"])
    assert "all" in kinds["base_shop__orders_refresh"], kinds
    assert "all" not in kinds["base_marketing__events_refresh"], kinds
    con = duckdb.connect(str(builds["inc_db"]), read_only=True)
    amounts = {a for (a,) in con.execute("select total_amount from staging.stg_shop__orders where order_id = ?",
                                          [order]).fetchall()}
    con.close()
    assert 12345.67 in {float(a) for a in amounts}


def _state(work: Path, as_of: dt.date, identity: dict) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / runner.REFRESH_STATE).write_text(json.dumps({"as_of_date": as_of.isoformat(), "identity": identity}))


@pytest.mark.parametrize("case, mode, reason", [
    ("same", "incremental", "after the build as of 2026-06-20"),
    ("later as of", "incremental", "after the build as of 2026-06-20"),
    ("earlier as of", "full", "the as-of date is before the earlier build's (2026-06-20)"),
    ("asked", "full", "asked (--full-refresh)"),
    ("no state", "full", "no complete earlier build in this work folder"),
    ("other raw", "full", "changed since the earlier build: raw"),
    ("other vars", "full", "changed since the earlier build: project"),
])
def test_runner_chooses_full_or_incremental(tmp_path, case, mode, reason):
    project = runner.project_dir()
    as_of = dt.date(2026, 6, 20)
    settings = runner.BuildSettings(as_of=as_of, raw_path=tmp_path / "raw", work_dir=tmp_path / "w")
    identity = runner._refresh_identity(settings, project)
    if case != "no state":
        _state(settings.work_dir, as_of, identity)
    if case == "later as of":
        settings.as_of = as_of + dt.timedelta(days=1)
    elif case == "earlier as of":
        settings.as_of = as_of - dt.timedelta(days=1)
    elif case == "asked":
        settings.full_refresh = True
    elif case == "other raw":
        settings.raw_path = tmp_path / "other"
    elif case == "other vars":
        settings.extra_vars = {"enable_surveys": False}
    result = runner.BuildResult(run_id="r", as_of=settings.as_of, steps=[], success=False)
    runner._refresh_decide(settings, result, project)
    assert (result.refresh["mode"], result.refresh["reason"]) == (mode, reason)
    assert settings.refresh_since == ("2026-06-21 00:00:00" if mode == "incremental" else None)
    # the state is gone until this build passes: a build that fails half-way leaves the next one full
    assert not (settings.work_dir / runner.REFRESH_STATE).exists()
