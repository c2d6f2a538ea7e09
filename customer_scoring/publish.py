"""Atomic publication of the public schemas.

DuckDB: the public schemas of the working database are copied into a new file next to the publication, which is
then renamed over it (`os.replace`, atomic on POSIX). A BI tool opens the publication read-only; one that already
has it open keeps the previous version until it reconnects, and never blocks a build, which writes elsewhere. An
optional Parquet folder is published the same way: a new folder per run and a `current` symlink swapped atomically.

PostgreSQL: the build writes `build_<schema>` schemas; publication renames them over the public schemas in one
transaction, keeping the previous version as `<schema>_previous` for a rollback.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "audit")
PUBLICATION_FILE = "customer_scoring.duckdb"
KEEP_PARQUET_RUNS = 2


class NothingToPublish(RuntimeError):
    """The working database holds no public table yet (e.g. a partial build of staging models only)."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({placeholders}) order by 1, 2",
        [catalog, *schemas],
    ).fetchall()
    return [(s, t) for s, t in rows]


def publish_duckdb(work_db: Path, publish_dir: Path, run_id: str, as_of: dt.date, parquet: bool = False,
                   schemas=PUBLISHED_SCHEMAS) -> Path:
    """Copy `schemas` of work_db into publish_dir/customer_scoring.duckdb atomically; return its path."""
    work_db, publish_dir = Path(work_db), Path(publish_dir)
    publish_dir.mkdir(parents=True, exist_ok=True)
    final = publish_dir / PUBLICATION_FILE
    tmp = publish_dir / f".{PUBLICATION_FILE}.{run_id}.tmp"
    if tmp.exists():
        tmp.unlink()
    counts: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{work_db}' as work (read_only)")
        tables = _tables(con, "work", schemas)
        if not tables:
            raise NothingToPublish(f"no table in schemas {', '.join(schemas)} of {work_db}")
        for schema in sorted({s for s, _ in tables}):
            con.execute(f'create schema if not exists "{schema}"')
        for schema, table in tables:
            con.execute(f'create table "{schema}"."{table}" as select * from work."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        meta = {
            "run_id": run_id,
            "as_of_date": as_of.isoformat(),
            "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tables": counts,
        }
        con.execute("create schema if not exists meta")
        con.execute("create table meta.publication (run_id varchar, as_of_date date, published_at varchar, "
                    "tables_json varchar)")
        con.execute("insert into meta.publication values (?, ?, ?, ?)",
                    [run_id, as_of, meta["published_at"], json.dumps(counts, sort_keys=True)])
        con.execute("detach work")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(publish_dir)
    (publish_dir / "publication.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    if parquet:
        publish_parquet(final, publish_dir / "parquet", run_id, schemas)
    return final


def publish_parquet(published_db: Path, parquet_root: Path, run_id: str, schemas=PUBLISHED_SCHEMAS) -> Path:
    """Write every published table as Parquet under parquet_root/<run_id>/<schema>/<table>.parquet, then point the
    `current` symlink at it atomically. The previous run's folder is kept for readers still on it."""
    parquet_root.mkdir(parents=True, exist_ok=True)
    run_dir = parquet_root / run_id
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        for schema, table in _tables(con, Path(published_db).stem, schemas):
            (run_dir / schema).mkdir(parents=True, exist_ok=True)
            con.execute(f"copy \"{schema}\".\"{table}\" to '{run_dir / schema / (table + '.parquet')}' "
                        f"(format parquet)")
    finally:
        con.close()
    link_tmp = parquet_root / f".current.{run_id}"
    if link_tmp.is_symlink():
        link_tmp.unlink()
    os.symlink(run_id, link_tmp)
    os.replace(link_tmp, parquet_root / "current")
    runs = sorted(p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink())
    for old in runs[:-KEEP_PARQUET_RUNS]:
        shutil.rmtree(old, ignore_errors=True)
    return run_dir


def publish_postgres(run_id: str, as_of: dt.date, schemas=PUBLISHED_SCHEMAS, conn=None) -> None:
    """Swap build_<schema> in as <schema> for every published schema, in one transaction."""
    from customer_scoring import postgres

    own = conn is None
    conn = conn or postgres.connect()
    try:
        with conn:
            with conn.cursor() as cur:
                built = []
                for schema in schemas:
                    cur.execute("select 1 from information_schema.schemata where schema_name = %s",
                                (f"build_{schema}",))
                    if cur.fetchone() is not None:
                        built.append(schema)
                if not built:
                    raise NothingToPublish(f"none of build_{{{', '.join(schemas)}}} exists")
                for schema in built:
                    cur.execute(f'drop schema if exists "{schema}_previous" cascade')
                    cur.execute("select 1 from information_schema.schemata where schema_name = %s", (schema,))
                    if cur.fetchone() is not None:
                        cur.execute(f'alter schema "{schema}" rename to "{schema}_previous"')
                    cur.execute(f'alter schema "build_{schema}" rename to "{schema}"')
                cur.execute("create schema if not exists meta")
                cur.execute("create table if not exists meta.publication (run_id text, as_of_date date, "
                            "published_at timestamptz default now())")
                cur.execute("insert into meta.publication (run_id, as_of_date) values (%s, %s)", (run_id, as_of))
    finally:
        if own:
            conn.close()
