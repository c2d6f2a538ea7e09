"""Trusted publication (issue 11): one as-of date per publication, no silent emptying of the marts, readers that
wrote, nothing left behind by kills, signals or a full disk, PostgreSQL readers, distinct exit codes.

One end-to-end build: a refresh whose every input file is header-only, built through the command line (no dbt tests)
into a publish folder that holds the session's good demo publication (the issue's example). Its work folder is then the prepared work database that the
publish-only tests (`customer-scoring publish`, a child process killed or interrupted while publishing, an injected
full disk, readers that write) copy.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import END_DATE, PROJECT, connect_postgres
from customer_scoring import cli, publish, runner

EARLIER = END_DATE - dt.timedelta(days=30)
STABLE = "customer_scoring.duckdb"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def meta(path: Path) -> tuple[str, dt.date, int]:
    """Run id, as-of date and customers of a DuckDB publication, opened read-only as a BI tool would."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        run_id, as_of = con.execute("select run_id, as_of_date from meta.publication").fetchone()
        return run_id, as_of, con.execute("select count(*) from marts.customer_scores").fetchone()[0]
    finally:
        con.close()


def leftovers(publish_dir: Path) -> list[str]:
    """Temporary files and folders (dot names) under a publish folder, its lock file aside."""
    return sorted(str(p.relative_to(publish_dir)) for p in publish_dir.rglob(".*") if p.name != ".publish.lock")


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture(scope="module")
def emptied(demo_raw, built, tmp_path_factory):
    root = tmp_path_factory.mktemp("emptied")
    raw = root / "raw"
    for path in sorted(demo_raw.glob("*/*.parquet")):
        (raw / path.parent.name).mkdir(parents=True, exist_ok=True)
        (raw / path.parent.name / f"{path.stem}.csv").write_text(",".join(pq.read_schema(path).names) + "\n")
    pub = root / "publish"
    pub.mkdir()
    # The layout before versions: the good publication as a plain file under the stable name.
    shutil.copyfile(Path(built.publication).resolve(), pub / STABLE)
    good = meta(pub / STABLE)
    good_sha = sha256(pub / STABLE)
    work = root / "build"
    code = cli.main(["build", "--as-of", str(END_DATE), "--raw", str(raw), "--work-dir", str(work),
                     "--publish-dir", str(pub), "--exclude", "resource_type:test", "test_type:unit"])
    result = json.loads((work / "logs" / "last_run.json").read_text())
    prepared = root / "prepared"  # the work folder as the build left it, for the publish-only tests to copy
    shutil.copytree(work, prepared, ignore=shutil.ignore_patterns("target", "*.lock"))
    return SimpleNamespace(root=root, pub=pub, work=work, code=code, result=result, good=good, good_sha=good_sha,
                           good_file=Path(built.publication).resolve(), prepared=prepared)


def prepared_dirs(emptied, tmp_path: Path, with_good_publication: bool = True) -> tuple[Path, Path]:
    work, pub = tmp_path / "build", tmp_path / "publish"
    shutil.copytree(emptied.prepared, work)
    pub.mkdir()
    if with_good_publication:
        shutil.copyfile(emptied.good_file, pub / STABLE)
    return work, pub


def public_relations(work: Path) -> list[tuple[str, str]]:
    last = json.loads((work / "logs" / "last_run.json").read_text())
    return [tuple(r.split(".", 1)) for r in last["public_relations"]]


# --- item 2: a refresh that empties the marts does not replace a good publication silently ----------------------

def test_a_refresh_that_empties_the_marts_is_refused_then_published_only_when_accepted(emptied, caplog):
    customers = emptied.good[2]
    assert customers > 100
    assert emptied.code == runner.EXIT_REFUSED == 4
    result = emptied.result
    assert (result["success"], result["refused"], result["exit_code"]) == (False, True, 4)
    assert result["error"].startswith("publish: publication refused: marts.account_scores ")
    assert f"marts.customer_scores {customers:,} rows -> 0 rows (-100%)" in result["error"]
    assert "more than the allowed 50% (--max-row-loss 0.5); the previous publication stays" in result["error"]
    # The suggested command names this build's own folders, not the default build/ and publish/.
    suggested = (f"customer-scoring publish --work-dir {emptied.work.resolve()} --publish-dir {emptied.pub.resolve()}"
                 " --accept-row-loss")
    assert f"`{suggested}`" in result["error"], result["error"]
    assert [s["name"] for s in result["steps"]][-3:] == ["checks", "export", "publish"]
    # The good publication is untouched, byte for byte.
    assert sha256(emptied.pub / STABLE) == emptied.good_sha and meta(emptied.pub / STABLE) == emptied.good
    runs = [json.loads(line) for line in (emptied.work / "logs" / "runs.jsonl").read_text().splitlines()]
    assert runs[-1]["run_id"] == result["run_id"] and runs[-1]["exit_code"] == 4

    # Accepted explicitly, without rebuilding: the same build is published, with a warning.
    caplog.clear()
    code = cli.main(["publish", "--work-dir", str(emptied.work), "--publish-dir", str(emptied.pub),
                     "--accept-row-loss"])
    assert code == 0
    run_id, as_of, now = meta(emptied.pub / STABLE)
    assert (as_of, now) == (END_DATE, 0)
    last = json.loads((emptied.work / "logs" / "last_run.json").read_text())
    assert last["success"] and last["build_run_id"] == result["run_id"] and last["run_id"] == run_id
    accepted = [w for w in last["warnings"] if w.startswith("publication accepted with row loss")]
    assert len(accepted) == 1 and f"marts.customer_scores {customers:,} rows -> 0 rows (-100%)" in accepted[0]
    assert (emptied.pub / STABLE).is_symlink(), "the plain file of the old layout became the stable symlink"


def test_row_loss_counts_public_marts_only_and_a_missing_mart_as_all_lost():
    previous = {"marts.half": 100, "marts.most": 10, "marts.gone": 4, "marts.was_empty": 0, "audit.quarantine": 50}
    new = {"marts.half": 50, "marts.most": 4, "marts.was_empty": 0, "audit.quarantine": 0}
    assert publish.row_losses(previous, new, 0.5) == ["marts.gone 4 rows -> absent (-100%)",
                                                      "marts.most 10 rows -> 4 rows (-60%)"]
    assert publish.row_losses(previous, new, 1.0) == []
    assert publish.check_row_loss(None, new, 0.5, accept=False) == [], "a first publication has nothing to lose"
    with pytest.raises(publish.PublicationRefused, match=r"^publication refused: marts.gone 4 rows -> absent"):
        publish.check_row_loss(previous, new, 0.5, accept=False)


# --- item 1: one as-of date per publication ---------------------------------------------------------------------

def test_a_partial_build_publishes_nothing_and_a_full_one_only_its_own_relations(emptied, tmp_path, caplog):
    work, pub = prepared_dirs(emptied, tmp_path, with_good_publication=False)
    public = set(public_relations(work))
    con = duckdb.connect(str(work / "customer_scoring.duckdb"), read_only=True)
    in_work = set(publish._tables(con, "customer_scoring", publish.PUBLISHED_SCHEMAS))
    con.close()
    assert ("marts", "customer_scores") in public and ("audit", "dq_reconciliation") in public
    assert public == in_work, "the public relations are the dbt models of marts and audit"
    all_built = {t: (s, t) for s, t in public}

    def run(as_of, built):
        settings = runner.BuildSettings(as_of=as_of, work_dir=work, publish_dir=pub)
        res = runner.BuildResult(run_id=f"{as_of:%Y%m%d}T000000Z-{uuid.uuid4().hex[:6]}", as_of=as_of, steps=[],
                                 success=False)
        return res, runner._publish(settings, res, public, built)

    full, detail = run(END_DATE, all_built)
    assert full.publishable and meta(pub / STABLE)[1] == END_DATE
    before = sha256(pub / STABLE)

    # A --select of one audit model as of 30 days earlier, in the work folder holding the full build: dbt reports that
    # it rebuilt audit.dq_freshness only; nothing is published and the warning says why.
    partial, detail = run(EARLIER, {"dq_freshness": ("audit", "dq_freshness")})
    n = len(public)
    assert detail.startswith(f"skipped: a partial build rebuilt 1 of the {n} public relations (not "
                             "audit.dq_inputs, audit.dq_reconciliation, audit.dq_repairs, audit.erasure_log, "
                             f"audit.quarantine and {n - 6} more)")
    assert partial.warnings == ["not published: " + detail[len("skipped: "):]]
    assert not partial.publishable and partial.built_public == ["audit.dq_freshness"]
    assert sha256(pub / STABLE) == before and meta(pub / STABLE)[1] == END_DATE

    none, detail = run(EARLIER, {"stg_crm__accounts": ("staging", "stg_crm__accounts")})
    assert detail == f"skipped: this selection rebuilt none of the {n} public relations; the previous publication, " \
                     "if any, stays"

    # A table left in a public schema of the work database by an earlier build is not part of the publication.
    con = duckdb.connect(str(work / "customer_scoring.duckdb"))
    con.execute("create table marts.retired_mart as select 1 as id")
    con.close()
    run(END_DATE, all_built)
    con = duckdb.connect(str(pub / STABLE), read_only=True)
    published = set(publish._tables(con, con.execute("select current_database()").fetchone()[0],
                                    publish.PUBLISHED_SCHEMAS))
    con.close()
    assert published == public


# --- item 3: readers that write ---------------------------------------------------------------------------------

def test_a_client_that_wrote_to_the_publication_cannot_break_later_readers(emptied, tmp_path):
    work, pub = prepared_dirs(emptied, tmp_path, with_good_publication=False)
    rels = public_relations(work)
    work_db = work / "customer_scoring.duckdb"
    runs = [f"2026070{i}T000000Z-00000{i}" for i in (1, 2, 3)]
    first = publish.publish_duckdb(work_db, pub, runs[0], EARLIER, relations=rels)
    stable = pub / STABLE
    assert stable.is_symlink() and os.readlink(stable) == f"versions/customer_scoring.{runs[0]}.duckdb"
    assert stat.S_IMODE(first.version.stat().st_mode) == 0o444, "versions are read-only files"
    # A client opens the stable name read-write, writes, and dies without closing: its WAL stays.
    subprocess.run([sys.executable, "-c", f"import duckdb, os; con = duckdb.connect({str(stable)!r}); "
                    "con.execute('create table main.notes as select 1 as n'); os._exit(0)"], check=True)
    wal = Path(f"{first.version}.wal")
    assert wal.exists(), "DuckDB keeps the WAL next to the version file, not next to the stable name"
    # A DuckDB that does not resolve the symlink would leave it next to the stable name: the same WAL there.
    shutil.copyfile(wal, pub / f"{STABLE}.wal")

    second = publish.publish_duckdb(work_db, pub, runs[1], END_DATE, relations=rels)
    assert meta(stable)[:2] == (runs[1], END_DATE), "a new reader opens the new publication"
    moved = pub / "stray_wal" / f"{STABLE}.wal.{runs[1]}"
    assert not (pub / f"{STABLE}.wal").exists() and moved.exists()
    assert second.warnings == [f"a client opened {stable} read-write and left a WAL: moved to {moved}; open the "
                               "publication read-only (duckdb -readonly, read_only=True)"]
    # What the move avoids: that WAL beside the new version breaks every reader.
    probe = tmp_path / "probe.duckdb"
    shutil.copyfile(second.version, probe)
    shutil.copyfile(moved, f"{probe}.wal")
    with pytest.raises(duckdb.Error, match="WAL"):
        duckdb.connect(str(probe), read_only=True)

    third = publish.publish_duckdb(work_db, pub, runs[2], END_DATE, relations=rels)
    versions = sorted(p.name for p in (pub / "versions").iterdir())
    assert versions == [f"customer_scoring.{runs[1]}.duckdb", f"customer_scoring.{runs[2]}.duckdb"], \
        "the current and the previous version are kept, older ones and their WAL removed"
    pointer = json.loads((pub / "publication.json").read_text())
    assert (pointer["file"], pointer["run_id"]) == (f"versions/{third.version.name}", runs[2])


# --- item 4: nothing left behind --------------------------------------------------------------------------------

SLOW_PUBLISH = """
import sys, time
from customer_scoring import cli, publish
copy = publish._copy_table
def slow(con, schema, table):
    rows = copy(con, schema, table)
    print("copying", flush=True)
    time.sleep(60)
    return rows
publish._copy_table = slow
sys.exit(cli.main(sys.argv[1:]))
"""


def slow_publish(work: Path, pub: Path) -> subprocess.Popen:
    """`customer-scoring publish` in a child process that stops for a minute after copying its first table."""
    proc = subprocess.Popen([sys.executable, "-c", SLOW_PUBLISH, "publish", "--work-dir", str(work),
                             "--publish-dir", str(pub), "--accept-row-loss"], cwd=PROJECT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "CS_PROJECT_DIR": str(PROJECT)})
    assert proc.stdout.readline().strip() == "copying"
    return proc


def test_a_kill_during_publish_leaves_the_publication_and_the_next_start_removes_its_files(emptied, tmp_path,
                                                                                            caplog):
    work, pub = prepared_dirs(emptied, tmp_path)
    proc = slow_publish(work, pub)
    proc.kill()
    proc.wait(timeout=30)
    left = leftovers(pub)
    assert left and all(name.startswith("versions/.customer_scoring.") for name in left), left
    assert sum((pub / name).stat().st_size for name in left) > 0
    assert sha256(pub / STABLE) == emptied.good_sha
    caplog.set_level(logging.INFO)
    res = runner.publish_last(runner.BuildSettings(as_of=END_DATE, work_dir=work, publish_dir=pub,
                                                   accept_row_loss=True))
    assert res.success, res.error
    assert leftovers(pub) == []
    assert any(m.startswith(f"removed {len(left)} temporary file(s) left by an interrupted run: ")
               for m in caplog.messages)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_during_publish_say_one_line_and_are_recorded(emptied, tmp_path, sig):
    work, pub = prepared_dirs(emptied, tmp_path)
    proc = slow_publish(work, pub)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig
    name = signal.Signals(sig).name
    lines = [line for line in err.splitlines() if " ERROR " in line]
    assert len(lines) == 1 and re.search(
        rf" ERROR step publish +FAILED in [0-9.]+s: interrupted by {name} during step publish: nothing published, "
        "the previous publication is untouched$", lines[0]), err
    assert "Traceback" not in err
    assert f"INTERRUPTED by {name} (exit {128 + sig})" in out
    run = json.loads((work / "logs" / "runs.jsonl").read_text().splitlines()[-1])
    assert (run["interrupted"], run["exit_code"], run["success"]) == (name, 128 + sig, False)
    assert leftovers(pub) == [], "the interrupted publication removed its temporary files"
    assert sha256(pub / STABLE) == emptied.good_sha


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    duckdb.IOException('IO Error: Could not write file "x.duckdb.tmp": No space left on device'),
], ids=["ENOSPC", "duckdb"])
def test_a_full_disk_during_publish_is_one_line_and_leaves_no_file(emptied, tmp_path, monkeypatch, caplog, error):
    work, pub = prepared_dirs(emptied, tmp_path)
    copy = publish._copy_table
    copied = []

    def fill_disk(con, schema, table):
        if copied:
            raise error
        copied.append(table)
        return copy(con, schema, table)

    monkeypatch.setattr(publish, "_copy_table", fill_disk)
    res = runner.publish_last(runner.BuildSettings(as_of=END_DATE, work_dir=work, publish_dir=pub,
                                                   accept_row_loss=True))
    assert (res.success, res.exit_code, res.refused, res.interrupted) == (False, 1, False, None)
    detail = res.steps[-1].detail
    assert detail.startswith(f"disk full: no space left on device writing the publication in {pub} (")
    assert detail.endswith(" MB free); its temporary files were removed and the previous publication is untouched")
    assert errors(caplog) == [m for m in errors(caplog) if "disk full" in m] and len(errors(caplog)) == 1
    assert leftovers(pub) == [] and not list((pub / "versions").glob("*.wal"))
    assert sha256(pub / STABLE) == emptied.good_sha


# --- item 6: exit codes -----------------------------------------------------------------------------------------

def test_exit_codes_are_distinct_and_wait_queues_behind_the_lock(emptied, tmp_path, caplog):
    work, pub = prepared_dirs(emptied, tmp_path)
    args = ["publish", "--work-dir", str(work), "--publish-dir", str(pub), "--accept-row-loss"]
    lock = work / ".build.lock"
    with runner._exclusive_lock(lock):
        t0 = time.monotonic()
        assert cli.main(args) == runner.EXIT_LOCKED == 3
        assert time.monotonic() - t0 < 1
        assert errors(caplog)[-1] == (f"another build (pid {os.getpid()}) holds {lock}; wait for it to finish, or "
                                      "pass --wait to queue behind it")
        t0 = time.monotonic()
        assert cli.main([*args, "--wait", "1"]) == 3
        assert 1 <= time.monotonic() - t0 < 3
        assert errors(caplog)[-1].endswith(f"holds {lock} after waiting 1s; wait for it to finish, or pass a longer "
                                           "--wait (no value: as long as it takes)")
    assert sha256(pub / STABLE) == emptied.good_sha

    held = threading.Event()

    def holder():
        with runner._exclusive_lock(lock):
            held.set()
            time.sleep(1)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    t0 = time.monotonic()
    assert cli.main([*args, "--wait"]) == 0, "--wait without a value waits for the holder, then publishes"
    assert time.monotonic() - t0 >= 0.5
    thread.join()
    assert meta(pub / STABLE)[1:] == (END_DATE, 0)

    with pytest.raises(SystemExit) as bad:
        cli.main([*args, "--max-row-loss", "1.5"])
    assert bad.value.code == runner.EXIT_USAGE == 2
    assert cli.main(["build", "--as-of", "30/06/2026", "--work-dir", str(tmp_path / "w")]) == 2
    assert cli.main(["publish", "--work-dir", str(tmp_path / "never_built"), "--publish-dir", str(pub)]) == 1
    assert errors(caplog)[-1].endswith(f"no build in {tmp_path / 'never_built'} "
                                       f"({tmp_path / 'never_built' / 'logs' / 'last_run.json'} is missing): "
                                       "build first")


# --- item 5: PostgreSQL readers ---------------------------------------------------------------------------------

PG_DB = "cs_publication_test"
RELS = [("marts", "customer_scores"), ("audit", "dq_reconciliation")]


@pytest.fixture(scope="module")
def pg_connect():
    """Connections to a database of its own on the CS_PG_* server (skips without one, as conftest says)."""
    from customer_scoring import postgres

    admin = connect_postgres(autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {PG_DB} with (force)")
        cur.execute(f"create database {PG_DB}")
    yield lambda: postgres.connect(dbname=PG_DB, application_name="publication test")
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {PG_DB} with (force)")
    admin.close()


def stage(conn, customers: int, score: int) -> None:
    """What a build leaves in build_marts and build_audit: `customers` rows scoring `score` each."""
    with conn, conn.cursor() as cur:
        for schema in ("build_marts", "build_audit"):
            cur.execute(f"create schema if not exists {schema}")
        cur.execute("drop table if exists build_marts.customer_scores")
        cur.execute("create table build_marts.customer_scores (contact_id integer, score integer)")
        cur.execute("insert into build_marts.customer_scores select i, %s from generate_series(1, %s) as i",
                    (score, customers))
        cur.execute("drop table if exists build_audit.dq_reconciliation")
        cur.execute("create table build_audit.dq_reconciliation as select 'shop.orders' as source_table, "
                    f"{customers} as raw_rows")


def read(conn) -> tuple:
    with conn.cursor() as cur:
        cur.execute("select count(*), sum(score) from marts.customer_scores")
        scores = cur.fetchone()
        cur.execute("select raw_rows from audit.dq_reconciliation")
        return (*scores, cur.fetchone()[0])


@pytest.mark.postgres
def test_postgres_readers_see_one_publication_whole_and_never_block_it(pg_connect):
    main, reader, idle, fresh = pg_connect(), pg_connect(), pg_connect(), pg_connect()
    try:
        stage(main, 100, 1)
        publish.publish_postgres("r1", EARLIER, relations=RELS, conn=main)
        reader.set_session(isolation_level="REPEATABLE READ")
        assert read(reader) == (100, 100, 100)  # the reader's transaction stays open across the publication
        with idle.cursor() as cur:  # a reader left idle in its transaction
            cur.execute("select count(*) from marts.customer_scores")
        stage(main, 80, 2)
        t0 = time.monotonic()
        publish.publish_postgres("r2", END_DATE, relations=RELS, conn=main, lock_timeout=1, tries=2)
        assert time.monotonic() - t0 < 5, "readers idle in a transaction do not hold up an mvcc publication"
        assert read(reader) == (100, 100, 100), "inside its transaction the reader still sees the old publication whole"
        assert read(fresh) == (80, 160, 80), "a new reader sees the new publication whole"
        reader.commit()
        assert read(reader) == (80, 160, 80)
        with main.cursor() as cur:
            cur.execute("select run_id, as_of_date, tables_json from meta.publication order by published_at")
            rows = cur.fetchall()
        assert [(r[0], r[1]) for r in rows] == [("r1", EARLIER), ("r2", END_DATE)]
        assert json.loads(rows[-1][2]) == {"marts.customer_scores": 80, "audit.dq_reconciliation": 1}
    finally:
        for conn in (main, reader, idle, fresh):
            conn.close()


@pytest.mark.postgres
def test_postgres_swap_waits_for_an_idle_reader_under_a_lock_timeout_and_names_it(pg_connect):
    main, idle = pg_connect(), pg_connect()
    try:
        stage(main, 100, 1)
        publish.publish_postgres("s1", END_DATE, relations=RELS, conn=main, mode="swap")
        with idle.cursor() as cur:
            cur.execute("select pg_backend_pid()")
            pid = cur.fetchone()[0]
            cur.execute("select count(*) from marts.customer_scores")  # then idle in its transaction
        stage(main, 100, 2)
        publish.publish_postgres("s2", END_DATE, relations=RELS, conn=main, mode="swap")  # marts -> marts_previous
        stage(main, 100, 3)
        t0 = time.monotonic()
        with pytest.raises(publish.PublishError) as refused:  # the next-but-one must drop marts_previous
            publish.publish_postgres("s3", END_DATE, relations=RELS, conn=main, mode="swap", lock_timeout=0.5,
                                     tries=2)
        assert time.monotonic() - t0 < 10, "never an endless wait"
        message = str(refused.value)
        assert message.startswith("could not lock the published tables within 0.5s, 2 tries (swap publication): "
                                  f"held by pid {pid} (postgres, publication test, idle in transaction since ")
        assert message.endswith("end those transactions (or pg_terminate_backend) and publish again; the previous "
                                "publication stays")
        assert read(main)[:2] == (100, 200), "the previous publication (s2) stays"
        main.rollback()
        idle.rollback()
        publish.publish_postgres("s3", END_DATE, relations=RELS, conn=main, mode="swap", lock_timeout=0.5, tries=2)
        assert read(main)[:2] == (100, 300)
    finally:
        main.close()
        idle.close()
