"""PostgreSQL: the history tables (score_history, score_factor_history) keep every as-of date across builds and
publications, as the work database does on DuckDB.

A build writes build_<schema> schemas and publishes them: an mvcc publication keeps the history tables in build_marts
(and drops the rest), a swap publication renames build_marts to marts; before its first dbt step a build copies a
history table that build_marts lacks from marts (after a swap, or a database restore). One 300-contact demo in a
database of its own, two full publishing builds: D1 in mvcc mode, then D2 in swap mode after build_marts lost
score_history (as a restore would leave it), so the second build appends both to a table the mvcc publication kept
and to one copied back from the publication.
A publication-only test stages the build schemas by hand (no dbt, under a second) for the same rules.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DBT_TESTS, connect_postgres
from customer_scoring import publish, runner
from customer_scoring.generate import generate_demo_data

pytestmark = [pytest.mark.postgres]

PG_DB = "cs_history_publication_test"
D1, D2 = dt.date(2026, 5, 31), dt.date(2026, 6, 30)
D3 = dt.date(2026, 7, 31)  # the publication-only test stages a third date by hand
HISTORY = ("score_history", "score_factor_history")


def rows_by_date(cur, table: str) -> dict[dt.date, list[tuple]]:
    """Every row of a table (every column, in order), by as-of date."""
    cur.execute(f"select * from {table}")
    names = [d[0] for d in cur.description]
    at = names.index("as_of_date")
    out = defaultdict(list)
    for row in cur.fetchall():
        out[row[at]].append(tuple(row))
    return {day: sorted(rows) for day, rows in out.items()}


def tables(cur, schema: str) -> set[str] | None:
    """The tables and views of a schema; None when there is no such schema."""
    cur.execute("select 1 from information_schema.schemata where schema_name = %s", (schema,))
    if cur.fetchone() is None:
        return None
    cur.execute("select table_name from information_schema.tables where table_schema = %s", (schema,))
    return {r[0] for r in cur.fetchall()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The published history after each build, the state of the build schemas after D1, and the D2 build's result."""
    from customer_scoring import postgres

    admin = connect_postgres(autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {PG_DB} with (force)")
        cur.execute(f"create database {PG_DB}")
    root = tmp_path_factory.mktemp("history_pg")
    raw = root / "raw"
    generate_demo_data(raw, contacts=300, seed=13, end_date=D2)
    # The demo's erasure requests dated before D1: applied by the D1 build. One applied at D2 would delete the
    # previous publication the swap keeps (publish: an erasure leaves no older copy), which is not what this tests.
    requests = pq.read_table(raw / "crm" / "erasure_requests.parquet")
    early = pa.array([dt.datetime(2026, 5, 1)] * requests.num_rows, requests.schema.field("requested_at").type)
    requests = requests.set_column(requests.schema.get_field_index("requested_at"), "requested_at", early)
    requests = requests.set_column(requests.schema.get_field_index("_loaded_at"), "_loaded_at", early)
    pq.write_table(requests, raw / "crm" / "erasure_requests.parquet")
    out = {"published": {}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS_PG_DATABASE", PG_DB)
        conn = postgres.connect()
        try:
            postgres.load_raw(raw, conn=conn)
            for as_of, mode in ((D1, "mvcc"), (D2, "swap")):
                if as_of == D2:
                    with conn, conn.cursor() as cur:  # a restore: build_marts without score_history
                        cur.execute("drop table build_marts.score_history cascade")  # and the views on it
                res = runner.build(runner.BuildSettings(
                    as_of=as_of, target="postgres", raw_path=raw, work_dir=root / "build",
                    publish_dir=root / "publish", pg_publish=mode, exclude=list(DBT_TESTS["none"])))
                assert res.success, res.error
                assert res.publishable
                with conn, conn.cursor() as cur:
                    out["published"][as_of] = {t: rows_by_date(cur, f"marts.{t}") for t in HISTORY}
                    if as_of == D1:
                        out["after_mvcc"] = {s: tables(cur, s) for s in ("build_marts", "build_audit")}
                        cur.execute("select schema_name, table_name from meta.history_tables")
                        out["registered"] = set(cur.fetchall())
                out[as_of] = res
            with conn, conn.cursor() as cur:
                out["after_swap"] = {s: tables(cur, s) for s in ("build_marts", "marts", "marts_previous")}
            # What the next build's first step does after the swap: copy the history back into build_marts.
            out["prepared"] = publish.pg_prepare_history(out["registered"], conn=conn)
            with conn, conn.cursor() as cur:
                out["copied"] = {t: rows_by_date(cur, f"build_marts.{t}") for t in HISTORY}
                cur.execute("select indexdef from pg_indexes where schemaname = 'build_marts' "
                            "and tablename = 'score_history'")
                out["copied_indexes"] = [r[0] for r in cur.fetchall()]
        finally:
            conn.close()
    yield out
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {PG_DB} with (force)")
    admin.close()


@pytest.mark.slow
def test_mvcc_publication_keeps_only_the_history_tables_in_the_build_schema(builds):
    # audit.erasure_log (issue 15) is a history table too: the log of applied erasures outlives publications
    assert builds["registered"] == {("marts", "score_history"), ("marts", "score_factor_history"),
                                    ("audit", "erasure_log")}
    assert builds["after_mvcc"] == {"build_marts": set(HISTORY), "build_audit": {"erasure_log"}}


@pytest.mark.slow
def test_published_history_holds_every_date_as_each_build_wrote_it(builds):
    first, last = (builds["published"][d] for d in (D1, D2))
    for table in HISTORY:
        assert list(first[table]) == [D1], table
        assert sorted(last[table]) == [D1, D2], f"{table}: the second build appended to the first's history"
        assert first[table][D1] and last[table][D2], f"{table}: a date without rows"
        assert last[table][D1] == first[table][D1], f"{table}: {D1} rewritten by the {D2} build"


@pytest.mark.slow
def test_a_build_copies_a_history_table_the_build_schema_lacks_and_keeps_the_other(builds):
    step = next(s for s in builds[D2].steps if s.name == "history")
    assert step.success
    d1_rows = len(builds["published"][D1]["score_history"][D1])
    assert step.detail == ("3 history table(s); kept from the last build: build_audit.erasure_log, "
                           "build_marts.score_factor_history; copied "
                           f"from the publication: marts.score_history ({d1_rows:,} rows)")


@pytest.mark.slow
def test_after_a_swap_the_next_build_starts_from_the_published_history(builds):
    assert builds["after_swap"]["build_marts"] is None
    assert set(HISTORY) <= builds["after_swap"]["marts"]
    assert set(HISTORY) <= builds["after_swap"]["marts_previous"], "swap keeps the previous version"
    assert builds["prepared"].startswith("3 history table(s); copied from the publication: ")
    assert builds["copied"] == builds["published"][D2]
    assert any("(as_of_date)" in d for d in builds["copied_indexes"]), "the copy has the index on as_of_date"


# --- the publication alone: build schemas staged by hand --------------------------------------------------------

def stage(cur, day: dt.date) -> None:
    """What a build leaves: build_marts.customer_scores (rebuilt), score_history (appended: day's rows), a view (not
    published) and build_audit."""
    for schema in ("build_marts", "build_audit"):
        cur.execute(f"create schema if not exists {schema}")
    cur.execute("drop table if exists build_marts.customer_scores cascade")
    cur.execute("create table build_marts.customer_scores as select 1 as contact_id, 50 as score")
    cur.execute("create table if not exists build_marts.score_history (as_of_date date not null, entity_id text)")
    cur.execute("insert into build_marts.score_history select %s, 'c' || i from generate_series(1, 3) as i", (day,))
    cur.execute("create or replace view build_marts.recent as select * from build_marts.score_history")
    cur.execute("drop table if exists build_audit.dq_reconciliation")
    cur.execute("create table build_audit.dq_reconciliation as select 'shop.orders' as source_table")


def test_publications_keep_the_registered_history_tables():
    from customer_scoring import postgres

    db = "cs_history_publish_only_test"
    admin = connect_postgres(autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {db} with (force)")
        cur.execute(f"create database {db}")
    conn = postgres.connect(dbname=db)
    try:
        rels = [("marts", "customer_scores"), ("marts", "score_history"), ("audit", "dq_reconciliation")]
        history = {("marts", "score_history")}
        # each round as a build does it: prepare the history tables, build (stage), publish
        assert publish.pg_prepare_history(history, conn=conn) == (
            "1 history table(s); none yet: this build starts the history")
        with conn, conn.cursor() as cur:
            stage(cur, D1)
        publish.publish_postgres("r1", D1, relations=rels, conn=conn)  # mvcc: history from meta.history_tables
        with conn, conn.cursor() as cur:
            assert tables(cur, "build_marts") == {"score_history"}, "the history table only: not the view, not a mart"
            assert tables(cur, "build_audit") is None
        assert publish.pg_prepare_history(history, conn=conn) == (
            "1 history table(s); kept from the last build: build_marts.score_history")
        with conn, conn.cursor() as cur:
            stage(cur, D2)
        publish.publish_postgres("r2", D2, relations=rels, conn=conn, mode="swap")
        with conn, conn.cursor() as cur:
            assert tables(cur, "build_marts") is None
            published = rows_by_date(cur, "marts.score_history")
            assert {day: len(rows) for day, rows in published.items()} == {D1: 3, D2: 3}
        assert publish.pg_prepare_history(history, conn=conn) == (
            "1 history table(s); copied from the publication: marts.score_history (6 rows)")
        with conn, conn.cursor() as cur:
            assert rows_by_date(cur, "build_marts.score_history") == published
            cur.execute("select is_nullable from information_schema.columns where table_schema = 'build_marts' "
                        "and table_name = 'score_history' and column_name = 'as_of_date'")
            assert cur.fetchone()[0] == "NO", "copied with its constraints"
            stage(cur, D3)
        # Without history tables an mvcc publication drops the build schemas whole, as before.
        publish.publish_postgres("r3", D3, relations=rels, conn=conn, history=set())
        with conn, conn.cursor() as cur:
            assert tables(cur, "build_marts") is None
            assert {day: len(rows) for day, rows in rows_by_date(cur, "marts.score_history").items()} == {
                D1: 3, D2: 3, D3: 3}
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {db} with (force)")
        admin.close()
