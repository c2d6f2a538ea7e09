"""Publication of the public schemas: whole, as of one date, never emptied silently, never left half-written.

DuckDB: the public relations a build made are copied into a new, read-only (mode 0444) version file
`<publish dir>/versions/customer_scoring.<run id>.duckdb`; the stable name `<publish dir>/customer_scoring.duckdb` is a
symlink swapped to it atomically (`os.replace`), and `publication.json` names the current version. A reader that has
the previous version open keeps reading it until it reconnects (the previous version file is kept; older ones are
removed). A client that opened a publication read-write leaves its WAL next to that version's file, where it cannot
reach a later version; a WAL found next to the stable name (a DuckDB that does not resolve symlinks) is moved to
`stray_wal/` with a warning. An optional Parquet folder is published the same way: a new folder per run and a
`current` symlink swapped atomically.

PostgreSQL: the build writes `build_<schema>` schemas. The default publication (`mvcc`) replaces the rows of each
public table in one transaction (delete and insert; the build's schemas are then dropped, but for the history
tables), so a reader sees the old publication or the new one, whole, even inside one REPEATABLE READ transaction
across the publication, and a reader idle in a transaction blocks nothing. A table whose columns changed is
recreated, which waits for its readers to leave, under a lock timeout. `swap` renames
the schemas (the previous version kept as `<schema>_previous`): faster for large marts, but a reader inside one
transaction across the swap sees the new tables empty. The history tables (incremental models tagged `history`,
listed by the runner in `meta.history_tables` from the parsed manifest) accumulate every build's as-of date, so they
must outlive a publication: `mvcc` keeps them in `build_<schema>` (the schema stays while it holds one) for the next
build to append to; after a `swap` (or a database restore) the next build copies them back from the public schema
(`pg_prepare_history`, before its first dbt step). Either way a publication costs one copy of the whole history.

Every PostgreSQL publication also creates (once) the NOLOGIN role `customer_scoring_bi` and lets it read the
published schemas and nothing else (pg_grant_bi): grant it to the login roles of BI tools.

Both engines refuse a publication in which a public mart would lose more than `max_row_loss` of its rows (default
0.5) unless it is accepted explicitly, and every wait for a lock has a timeout and a message.

Erasure (GDPR art. 17): a publication whose `audit.erasure_log` lists a request the previous publication did not (an
erasure applied since) deletes every older publication that may still hold the person: on DuckDB every other
version file, every other Parquet run and the stray WALs; on PostgreSQL the `<schema>_previous` schemas of a swap
publication. A reader that still has an older version open keeps its open file until it disconnects (POSIX); a new
connection only finds the new version.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

log = logging.getLogger("customer_scoring")

PUBLISHED_SCHEMAS = ("marts", "audit")
PUBLICATION_FILE = "customer_scoring.duckdb"
VERSIONS_DIR = "versions"
STRAY_WAL_DIR = "stray_wal"
POINTER_FILE = "publication.json"
KEEP_VERSIONS = 2
KEEP_PARQUET_RUNS = 2
# A public mart may lose at most this share of its rows from one publication to the next (0.5: half).
DEFAULT_MAX_ROW_LOSS = 0.5
PG_MODES = ("mvcc", "swap")
DEFAULT_PG_LOCK_TIMEOUT = 10.0
DEFAULT_PG_LOCK_TRIES = 3

# True while the few renames that make a publication current run: a signal handler defers its exception until then.
committing = False


class NothingToPublish(RuntimeError):
    """The build made no public relation (e.g. a partial build of staging models only)."""


class PublicationRefused(RuntimeError):
    """The new publication would lose more rows of a public mart than allowed: the previous one stays."""


class PublishError(RuntimeError):
    """Publication failed (a lock not obtained in time, a full disk); the previous publication stays."""


class DiskFull(PublishError):
    """No space left while writing the new publication; its temporary files were removed."""


@dataclass
class Publication:
    path: Path | None
    counts: dict[str, int]
    version: Path | None = None
    warnings: list[str] = field(default_factory=list)
    # erasure requests applied since the previous publication (their older copies were deleted)
    erased: list[str] = field(default_factory=list)


def is_disk_full(exc: BaseException) -> bool:
    """An OSError ENOSPC, or a DuckDB IO error that says so."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "no space left on device" in str(exc).lower()


def disk_full_message(where: Path) -> str:
    try:
        free = shutil.disk_usage(where).free / 1e6
        space = f"{free:,.0f} MB free"
    except OSError:
        space = "free space unknown"
    return (f"disk full: no space left on device writing the publication in {where} ({space}); its temporary files "
            f"were removed and the previous publication is untouched")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_db(path: Path) -> None:
    """A DuckDB file and its WAL."""
    for p in (path, Path(f"{path}.wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({placeholders}) order by 1, 2",
        [catalog, *schemas],
    ).fetchall()
    return [(s, t) for s, t in rows]


# --- the row-loss guard -----------------------------------------------------------------------------------------

# Marts whose size follows which models a build fitted or reused, not the data (a --refit never build publishes the
# evaluation of the reused models only): not guarded.
ROW_LOSS_EXEMPT = ("marts.model_evaluation", "marts.model_calibration", "marts.model_registry")


def row_losses(previous: dict[str, int], new: dict[str, int], max_row_loss: float) -> list[str]:
    """Public marts (schema `marts`) of the previous publication that would lose more than max_row_loss of their rows
    (a mart absent from the new publication loses all of them), as readable phrases. The model_* marts of
    ROW_LOSS_EXEMPT are not guarded."""
    out = []
    for name, old in sorted(previous.items()):
        if not name.startswith("marts.") or not old or name in ROW_LOSS_EXEMPT:
            continue
        now = new.get(name)
        lost = (old - (now or 0)) / old
        if lost > max_row_loss:
            after = "absent" if now is None else f"{now:,} rows"
            out.append(f"{name} {old:,} rows -> {after} (-{lost:.0%})")
    return out


def check_row_loss(previous: dict[str, int] | None, new: dict[str, int], max_row_loss: float,
                   accept: bool) -> list[str]:
    """Raise PublicationRefused when a public mart loses too many rows; with `accept`, return the losses as warnings."""
    if not previous:
        return []
    losses = row_losses(previous, new, max_row_loss)
    if not losses:
        return []
    if accept:
        return [f"publication accepted with row loss (--accept-row-loss): {'; '.join(losses)}"]
    raise PublicationRefused(
        f"publication refused: {'; '.join(losses)}, more than the allowed {max_row_loss:.0%} (--max-row-loss "
        f"{max_row_loss:g}); the previous publication stays. If the loss is real, publish it with "
        f"`customer-scoring publish --accept-row-loss` (or rebuild with --accept-row-loss)")


# --- DuckDB ------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def publish_lock(publish_dir: Path, blocking: bool = True):
    """One publication at a time per publish folder (builds from several work folders may share one). Yields False
    when not blocking and another process holds it."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    with open(publish_dir / ".publish.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def clean_stale(publish_dir: Path) -> list[Path]:
    """Remove what a killed publication left behind: temporary version files and their WALs, temporary symlinks,
    half-written Parquet folders. Only when no other process is publishing into the folder."""
    publish_dir = Path(publish_dir)
    if not publish_dir.is_dir():
        return []
    removed: list[Path] = []
    with publish_lock(publish_dir, blocking=False) as locked:
        if not locked:
            return []
        parquet = publish_dir / "parquet"
        for folder in (publish_dir, publish_dir / VERSIONS_DIR, parquet):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                name = p.name
                temporary = name.startswith(".") and (".tmp" in name or name.endswith(".link")
                                                      or name.startswith(".current."))
                if not temporary:
                    continue
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def current_version(publish_dir: Path) -> Path | None:
    """The file the stable name points at (the stable file itself in the layout before versions)."""
    stable = Path(publish_dir) / PUBLICATION_FILE
    if not stable.exists():
        return None
    return stable.resolve()


def published_counts(publish_dir: Path) -> dict[str, int] | None:
    """Row counts of the current DuckDB publication (meta.publication), None when there is none."""
    version = current_version(publish_dir)
    if version is None:
        return None
    try:
        con = duckdb.connect(str(version), read_only=True)
        try:
            return json.loads(con.execute("select tables_json from meta.publication").fetchone()[0])
        finally:
            con.close()
    except (duckdb.Error, TypeError, ValueError) as exc:
        pointer = Path(publish_dir) / POINTER_FILE
        if pointer.is_file():
            with contextlib.suppress(ValueError, KeyError):
                return json.loads(pointer.read_text())["tables"]
        log.warning("cannot read the row counts of the current publication %s (%s): row loss not checked",
                    version, str(exc).splitlines()[0])
        return None


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """Copy work.<schema>.<table> into the publication with its table and column comments (the models' YAML
    descriptions, which dbt writes on the public models: persist_docs), so that BI tools show them; rows copied."""
    con.execute(f'create table "{schema}"."{table}" as select * from work."{schema}"."{table}"')
    comment = con.execute("select comment from duckdb_tables() where database_name = 'work' and schema_name = ? "
                          "and table_name = ?", [schema, table]).fetchone()
    if comment and comment[0]:
        con.execute(f'comment on table "{schema}"."{table}" is {_sql_text(comment[0])}')
    for column, text in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'work' and schema_name = ? "
            "and table_name = ? and comment is not null and comment <> '' order by column_index",
            [schema, table]).fetchall():
        name = column.replace('"', '""')
        con.execute(f'comment on column "{schema}"."{table}"."{name}" is {_sql_text(text)}')
    return con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]


def _work_counts(work_db: Path, relations: list[tuple[str, str]]) -> dict[str, int]:
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in relations}
    finally:
        con.close()


def _write_version(work_db: Path, tmp: Path, relations, run_id: str, as_of: dt.date, published_at: str) -> dict:
    counts: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{work_db}' as work (read_only)")
        for schema in sorted({s for s, _ in relations}):
            con.execute(f'create schema if not exists "{schema}"')
        for schema, table in relations:
            counts[f"{schema}.{table}"] = _copy_table(con, schema, table)
        con.execute("create schema if not exists meta")
        con.execute("create table meta.publication (run_id varchar, as_of_date date, published_at varchar, "
                    "tables_json varchar)")
        con.execute("insert into meta.publication values (?, ?, ?, ?)",
                    [run_id, as_of, published_at, json.dumps(counts, sort_keys=True)])
        con.execute("detach work")
        con.execute("checkpoint")
    finally:
        con.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    return counts


def _move_stray_wal(publish_dir: Path, run_id: str) -> str | None:
    """A WAL next to the stable name belongs to the version a read-write client opened; it would be replayed into
    (and break) the next version a reader opens through that name. Move it aside."""
    wal = publish_dir / f"{PUBLICATION_FILE}.wal"
    if not wal.exists():
        return None
    dest_dir = publish_dir / STRAY_WAL_DIR
    dest_dir.mkdir(exist_ok=True)
    dest = dest_dir / f"{PUBLICATION_FILE}.wal.{run_id}"
    os.replace(wal, dest)
    return (f"a client opened {publish_dir / PUBLICATION_FILE} read-write and left a WAL: moved to {dest}; open the "
            f"publication read-only (duckdb -readonly, read_only=True)")


ERASURE_LOG = ("audit", "erasure_log")


def _erasure_requests(db: Path | None) -> set[str]:
    """The request ids in audit.erasure_log of a DuckDB database file (empty without a file or a log)."""
    if db is None or not Path(db).exists():
        return set()
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        log.warning("cannot read %s to compare its erasure log (%s): older versions are judged by the new one alone",
                    db, str(exc).splitlines()[0])
        return set()
    try:
        schema, table = ERASURE_LOG
        found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, table]).fetchone()[0]
        if not found:
            return set()
        return {r[0] for r in con.execute(f'select distinct request_id from "{schema}"."{table}"').fetchall()}
    finally:
        con.close()


def erasure_applied(previous: set[str], new: set[str]) -> list[str]:
    """The erasure requests of the new publication that the previous one did not have, sorted."""
    return sorted(new - previous)


def _purge_after_erasure(publish_dir: Path, current: Path) -> list[Path]:
    """An erasure was applied: delete every publication file but `current` that may hold the erased people (the
    other version files, their WALs, the stray WALs). Returns what was deleted."""
    removed = []
    versions = Path(publish_dir) / VERSIONS_DIR
    for p in sorted(versions.glob(f"{Path(PUBLICATION_FILE).stem}.*.duckdb")):
        if p.resolve() != Path(current).resolve() and not p.name.startswith("."):
            _unlink_db(p)
            removed.append(p)
    stray = Path(publish_dir) / STRAY_WAL_DIR
    if stray.is_dir():
        for p in sorted(stray.iterdir()):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _rotate_versions(versions: Path, current: Path) -> None:
    files = sorted(p for p in versions.glob(f"{Path(PUBLICATION_FILE).stem}.*.duckdb") if not p.name.startswith("."))
    keep = set(files[-KEEP_VERSIONS:]) | {current}
    for p in files:
        if p not in keep:
            _unlink_db(p)


def publish_duckdb(work_db: Path, publish_dir: Path, run_id: str, as_of: dt.date, parquet: bool = False,
                   relations: list[tuple[str, str]] | None = None, max_row_loss: float = DEFAULT_MAX_ROW_LOSS,
                   accept_row_loss: bool = False, schemas=PUBLISHED_SCHEMAS) -> Publication:
    """Publish `relations` (schema, table) of work_db (default: every table of `schemas`) as a new version behind
    publish_dir/customer_scoring.duckdb. Raises NothingToPublish, PublicationRefused, DiskFull."""
    global committing
    work_db, publish_dir = Path(work_db), Path(publish_dir)
    publish_dir.mkdir(parents=True, exist_ok=True)
    versions = publish_dir / VERSIONS_DIR
    versions.mkdir(exist_ok=True)
    stable = publish_dir / PUBLICATION_FILE
    if relations is None:
        con = duckdb.connect(str(work_db), read_only=True)
        try:
            relations = _tables(con, work_db.stem, schemas)
        finally:
            con.close()
    if not relations:
        raise NothingToPublish(f"no table in schemas {', '.join(schemas)} of {work_db}")
    version = versions / f"{stable.stem}.{run_id}.duckdb"
    tmp = versions / f".{version.name}.tmp"
    published_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with publish_lock(publish_dir):
        warnings = check_row_loss(published_counts(publish_dir), _work_counts(work_db, relations), max_row_loss,
                                  accept_row_loss)
        erased = erasure_applied(_erasure_requests(current_version(publish_dir)), _erasure_requests(work_db)
                                 if ERASURE_LOG in {tuple(r) for r in relations} else set())
        _unlink_db(tmp)
        try:
            counts = _write_version(work_db, tmp, relations, run_id, as_of, published_at)
            os.chmod(tmp, 0o444)  # readers only: a client cannot open a version read-write (unless root)
        except BaseException as exc:
            _unlink_db(tmp)
            if is_disk_full(exc):
                raise DiskFull(disk_full_message(publish_dir)) from exc
            raise
        meta = {"run_id": run_id, "as_of_date": as_of.isoformat(), "published_at": published_at, "tables": counts,
                "file": f"{VERSIONS_DIR}/{version.name}"}
        link_tmp = publish_dir / f".{PUBLICATION_FILE}.{run_id}.link"
        pointer_tmp = publish_dir / f".{POINTER_FILE}.{run_id}.tmp"
        try:
            committing = True
            os.replace(tmp, version)
            _fsync_dir(versions)
            stray = _move_stray_wal(publish_dir, run_id)
            if stray:
                warnings.append(stray)  # the caller logs the publication's warnings, once
            link_tmp.unlink(missing_ok=True)
            os.symlink(f"{VERSIONS_DIR}/{version.name}", link_tmp)
            os.replace(link_tmp, stable)  # the publication: atomic, a regular file of the old layout included
            _fsync_dir(publish_dir)
            pointer_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
            os.replace(pointer_tmp, publish_dir / POINTER_FILE)
        except BaseException as exc:
            link_tmp.unlink(missing_ok=True)
            pointer_tmp.unlink(missing_ok=True)
            if stable.resolve() != version.resolve():
                _unlink_db(tmp)
                _unlink_db(version)
            if is_disk_full(exc):
                raise DiskFull(disk_full_message(publish_dir)) from exc
            raise
        finally:
            committing = False
        _rotate_versions(versions, version)
        if erased:
            removed = _purge_after_erasure(publish_dir, version)
            log.info("erasure request(s) %s applied: deleted %d older publication file(s) that may hold the erased "
                     "people", ", ".join(erased), len(removed))
    if parquet:
        publish_parquet(stable, publish_dir / "parquet", run_id, schemas, keep=1 if erased else KEEP_PARQUET_RUNS)
    return Publication(path=stable, counts=counts, version=version, warnings=warnings, erased=erased)


def publish_parquet(published_db: Path, parquet_root: Path, run_id: str, schemas=PUBLISHED_SCHEMAS,
                    keep: int = KEEP_PARQUET_RUNS) -> Path:
    """Write every published table as Parquet under parquet_root/<run_id>/<schema>/<table>.parquet (through a
    temporary folder), then point the `current` symlink at it atomically. The previous run's folder is kept for
    readers still on it (`keep` runs in all; 1 after an erasure: the older runs may hold the erased people)."""
    parquet_root.mkdir(parents=True, exist_ok=True)
    run_dir = parquet_root / run_id
    tmp_dir = parquet_root / f".{run_id}.tmp"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    try:
        con = duckdb.connect(str(Path(published_db).resolve()), read_only=True)
        try:
            catalog = con.execute("select current_database()").fetchone()[0]
            for schema, table in _tables(con, catalog, schemas):
                (tmp_dir / schema).mkdir(parents=True, exist_ok=True)
                con.execute(f"copy \"{schema}\".\"{table}\" to '{tmp_dir / schema / (table + '.parquet')}' "
                            f"(format parquet)")
        finally:
            con.close()
        os.replace(tmp_dir, run_dir)
    except BaseException as exc:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if is_disk_full(exc):
            raise DiskFull(disk_full_message(parquet_root)) from exc
        raise
    link_tmp = parquet_root / f".current.{run_id}"
    if link_tmp.is_symlink():
        link_tmp.unlink()
    os.symlink(run_id, link_tmp)
    os.replace(link_tmp, parquet_root / "current")
    runs = sorted(p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink()
                  and not p.name.startswith("."))
    for old in runs[:-keep]:
        if old.name != run_id:
            shutil.rmtree(old, ignore_errors=True)
    return run_dir


# --- PostgreSQL --------------------------------------------------------------------------------------------------

def _pg_exists(cur, schema: str, table: str | None = None) -> bool:
    if table is None:
        cur.execute("select 1 from information_schema.schemata where schema_name = %s", (schema,))
    else:
        cur.execute("select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                    (schema, table))
    return cur.fetchone() is not None


def _pg_columns(cur, schema: str, table: str) -> list[tuple[str, str]]:
    cur.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
                (schema, table))
    return [(r[0], r[1]) for r in cur.fetchall()]


def _pg_tables(cur, schema: str) -> list[str]:
    cur.execute("select table_name from information_schema.tables where table_schema = %s order by 1", (schema,))
    return [r[0] for r in cur.fetchall()]


def _pg_relation_kinds(cur, schema: str) -> list[tuple[str, str]]:
    """(name, 'BASE TABLE' or 'VIEW') of every table and view of a schema."""
    cur.execute("select table_name, table_type from information_schema.tables where table_schema = %s order by 1",
                (schema,))
    return [(r[0], r[1]) for r in cur.fetchall()]


def _pg_drop_all(cur, schema: str, names: list[str]) -> None:
    """Drop these tables and views of a schema, with what depends on them (a view dropped by an earlier cascade is
    skipped)."""
    from psycopg2 import sql

    for name in names:
        kinds = dict(_pg_relation_kinds(cur, schema))
        if name in kinds:
            drop = "drop view {} cascade" if kinds[name] == "VIEW" else "drop table {} cascade"
            cur.execute(sql.SQL(drop).format(sql.Identifier(schema, name)))


def _pg_count(cur, schema: str, table: str) -> int:
    from psycopg2 import sql

    cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table)))
    return cur.fetchone()[0]


def _pg_blockers(conn, schemas: list[str]) -> str:
    """The other sessions holding locks on relations of `schemas`, in one phrase."""
    with conn.cursor() as cur:
        cur.execute(
            "select distinct a.pid, a.usename, a.application_name, a.state, "
            "cast(date_trunc('second', a.xact_start) as text) "
            "from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace "
            "join pg_stat_activity a on a.pid = l.pid "
            "where l.granted and n.nspname = any(%s) and l.pid <> pg_backend_pid() order by 1", (schemas,))
        rows = cur.fetchall()
    conn.rollback()
    if not rows:
        return "no session holds them now"
    return ", ".join(f"pid {pid} ({user}, {app or 'no application_name'}, {state}"
                     f"{f' since {start}' if start else ''})" for pid, user, app, state, start in rows)


# The PostgreSQL role of BI tools: NOLOGIN (grant it to your BI users' login roles), reads the published schemas
# (marts, audit) and nothing else: not pii, not raw_*, not the build's staging and intermediate schemas.
BI_ROLE = "customer_scoring_bi"


def pg_grant_bi(cur, schemas=PUBLISHED_SCHEMAS, role: str = BI_ROLE) -> None:
    """Create the BI role when missing (NOLOGIN) and let it read every table of `schemas`, now and later (default
    privileges of the publishing role). Idempotent. Run by each PostgreSQL publication, after the tables are in place
    (a swap publication replaces the schemas, and their grants with them). Nothing is granted elsewhere: a new
    schema grants nothing to a role that is not its owner, so pii, raw_*, staging and intermediate stay closed."""
    import psycopg2
    from psycopg2 import sql

    name = sql.Identifier(role)
    for attempt in (1, 2):
        cur.execute("savepoint cs_bi_role")
        try:
            cur.execute("select 1 from pg_roles where rolname = %s", (role,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create role {} nologin").format(name))
            for schema in schemas:
                if not _pg_exists(cur, schema):
                    continue
                schema_id = sql.Identifier(schema)
                cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, name))
                cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema_id, name))
                cur.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
                    schema_id, name))
            cur.execute("release savepoint cs_bi_role")
            return
        except psycopg2.Error as exc:
            cur.execute("rollback to savepoint cs_bi_role")
            if attempt == 2:  # a concurrent build created the role between the check and the create: tried again
                log.warning("PostgreSQL role %s not created or granted (%s): BI tools need another way to read the "
                            "published schemas", role, str(exc).strip().splitlines()[0] if str(exc).strip() else exc)


def _pg_erasure_requests(cur, schema: str) -> set[str]:
    """The request ids of <schema>.erasure_log (empty when there is none)."""
    if not _pg_exists(cur, schema, ERASURE_LOG[1]):
        return set()
    from psycopg2 import sql
    cur.execute(sql.SQL("select distinct request_id from {}").format(sql.Identifier(schema, ERASURE_LOG[1])))
    return {r[0] for r in cur.fetchall()}


def _pg_history_registered(cur) -> set[tuple[str, str]]:
    """The history tables (public schema, table) listed in meta.history_tables; none before the first build that
    registered them."""
    cur.execute("select to_regclass('meta.history_tables')")
    if cur.fetchone()[0] is None:
        return set()
    cur.execute("select schema_name, table_name from meta.history_tables")
    return {(r[0], r[1]) for r in cur.fetchall()}


def pg_prepare_history(tables, conn=None) -> str:
    """Before a PostgreSQL build's first dbt step, in one transaction: list `tables` (public schema, table: the
    project's history tables, read from the parsed manifest) in meta.history_tables, which an mvcc publication reads
    to keep them in build_<schema>; and copy each one build_<schema> lacks from the public schema, when it is there
    (after a swap publication, a database restore, a first build of this release), so that the build's incremental
    models append to the whole history instead of starting it over. Says what it found and copied."""
    from psycopg2 import sql

    from customer_scoring import postgres

    tables = sorted(set(tables))
    own = conn is None
    conn = conn or postgres.connect()
    copied, kept = [], []
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create schema if not exists meta")
            cur.execute("create table if not exists meta.history_tables (schema_name text not null, "
                        "table_name text not null)")
            cur.execute("delete from meta.history_tables")
            for schema, table in tables:
                cur.execute("insert into meta.history_tables (schema_name, table_name) values (%s, %s)",
                            (schema, table))
                build, public = sql.Identifier(f"build_{schema}", table), sql.Identifier(schema, table)
                if _pg_exists(cur, f"build_{schema}", table):
                    kept.append(f"build_{schema}.{table}")
                    continue
                if not _pg_exists(cur, schema, table):
                    continue  # no history yet: the build starts it
                cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(f"build_{schema}")))
                cur.execute(sql.SQL("create table {} (like {} including all)").format(build, public))
                names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in _pg_columns(cur, schema, table))
                cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(build, names, names, public))
                copied.append(f"{schema}.{table} ({cur.rowcount:,} rows)")
                cur.execute(sql.SQL("analyze {}").format(build))
    finally:
        if own:
            conn.close()
    parts = [f"{len(tables)} history table(s)"]
    if kept:
        parts.append(f"kept from the last build: {', '.join(kept)}")
    if copied:
        parts.append(f"copied from the publication: {', '.join(copied)}")
    if not kept and not copied and tables:
        parts.append("none yet: this build starts the history")
    return "; ".join(parts)


def _pg_mvcc(cur, relations: list[tuple[str, str]], schemas, history: set[tuple[str, str]] = frozenset()) -> None:
    """Replace the rows of every public table in the current transaction (delete and insert: MVCC-safe). The build's
    schemas are dropped, except the `history` tables (public schema, table) in them: the next build appends to those."""
    from psycopg2 import sql

    wanted = set(relations)
    for schema in sorted({s for s, _ in relations}):
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    for schema, table in relations:
        public, build = sql.Identifier(schema, table), sql.Identifier(f"build_{schema}", table)
        columns = _pg_columns(cur, f"build_{schema}", table)
        names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
        if _pg_exists(cur, schema, table) and _pg_columns(cur, schema, table) == columns:
            cur.execute(sql.SQL("delete from {}").format(public))
        else:
            # New or changed columns: recreate (waits for the table's readers to leave, under the lock timeout).
            cur.execute(sql.SQL("drop table if exists {}").format(public))
            cur.execute(sql.SQL("create table {} (like {} including all)").format(public, build))
        cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(public, names, names, build))
        cur.execute("select obj_description(to_regclass(%s), 'pg_class')",
                    (f'"build_{schema}"."{table}"',))
        comment = cur.fetchone()[0]
        if comment:
            cur.execute(sql.SQL("comment on table {} is {}").format(public, sql.Literal(comment)))
    for schema in schemas:
        _pg_drop_all(cur, schema, [t for t, _ in _pg_relation_kinds(cur, schema) if (schema, t) not in wanted])
        # Published: the build's copy is not kept (the next build writes it again), except the history tables: the
        # next build's incremental models append their as-of date to them (dropped, the history would start over).
        build = f"build_{schema}"
        kept = {t for t in _pg_tables(cur, build) if (schema, t) in history}
        if not kept:
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(build)))
            continue
        _pg_drop_all(cur, build, [t for t, _ in _pg_relation_kinds(cur, build) if t not in kept])


def _pg_swap(cur, relations: list[tuple[str, str]], schemas) -> None:
    from psycopg2 import sql

    wanted = set(relations)
    for schema in schemas:
        build = f"build_{schema}"
        if not _pg_exists(cur, build):
            continue
        # left over from an earlier build: not part of this publication
        _pg_drop_all(cur, build, [t for t, _ in _pg_relation_kinds(cur, build) if (schema, t) not in wanted])
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(f"{schema}_previous")))
        if _pg_exists(cur, schema):
            cur.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema),
                                                                       sql.Identifier(f"{schema}_previous")))
        cur.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(build), sql.Identifier(schema)))


def publish_postgres(run_id: str, as_of: dt.date, schemas=PUBLISHED_SCHEMAS, conn=None,
                     relations: list[tuple[str, str]] | None = None, mode: str = "mvcc",
                     max_row_loss: float = DEFAULT_MAX_ROW_LOSS, accept_row_loss: bool = False,
                     lock_timeout: float = DEFAULT_PG_LOCK_TIMEOUT, tries: int = DEFAULT_PG_LOCK_TRIES,
                     history: set[tuple[str, str]] | None = None) -> Publication:
    """Publish `relations` (public schema, table) from build_<schema> in one transaction (default: every table of
    build_<schema> for each of `schemas`). Each try waits at most `lock_timeout` seconds for a lock; after `tries`
    PublishError names the sessions in the way. `history` (public schema, table; default: meta.history_tables): the
    tables an mvcc publication keeps in build_<schema> for the next build to append to."""
    import psycopg2
    import psycopg2.errors
    from psycopg2 import sql

    from customer_scoring import postgres

    if mode not in PG_MODES:
        raise ValueError(f"PostgreSQL publication mode must be one of {', '.join(PG_MODES)}, got {mode!r}")
    own = conn is None
    conn = conn or postgres.connect()
    try:
        with conn, conn.cursor() as cur:
            if relations is None:
                relations = [(s, t) for s in schemas for t in _pg_tables(cur, f"build_{s}")]
            if not relations:
                raise NothingToPublish(f"no table in build_{{{', '.join(schemas)}}}")
            missing = [f"build_{s}.{t}" for s, t in relations if not _pg_exists(cur, f"build_{s}", t)]
            if missing:
                raise PublishError(f"{', '.join(missing)} missing: the build was already published (or its schemas "
                                   f"dropped); build again")
            new = {f"{s}.{t}": _pg_count(cur, f"build_{s}", t) for s, t in relations}
            previous = {f"{s}.{t}": _pg_count(cur, s, t) for s in schemas for t in _pg_tables(cur, s)}
            erased = erasure_applied(_pg_erasure_requests(cur, ERASURE_LOG[0]),
                                     _pg_erasure_requests(cur, f"build_{ERASURE_LOG[0]}")
                                     if tuple(ERASURE_LOG) in {tuple(r) for r in relations} else set())
        warnings = check_row_loss(previous, new, max_row_loss, accept_row_loss)
        for attempt in range(1, tries + 1):
            try:
                with conn, conn.cursor() as cur:
                    cur.execute(f"set local lock_timeout = '{int(lock_timeout * 1000)}ms'")
                    if mode == "mvcc":
                        kept = _pg_history_registered(cur) if history is None else set(history)
                        _pg_mvcc(cur, relations, schemas, kept)
                    else:
                        _pg_swap(cur, relations, schemas)
                    pg_grant_bi(cur, schemas)
                    if erased:
                        # the previous publication kept by a swap may hold the erased people
                        for schema in schemas:
                            cur.execute(sql.SQL("drop schema if exists {} cascade").format(
                                sql.Identifier(f"{schema}_previous")))
                    cur.execute("create schema if not exists meta")
                    cur.execute("create table if not exists meta.publication (run_id text, as_of_date date, "
                                "published_at timestamptz default now())")
                    cur.execute("alter table meta.publication add column if not exists tables_json text")
                    cur.execute("insert into meta.publication (run_id, as_of_date, tables_json) values (%s, %s, %s)",
                                (run_id, as_of, json.dumps(new, sort_keys=True)))
                break
            except psycopg2.errors.LockNotAvailable as exc:
                watched = [*schemas, *(f"{s}_previous" for s in schemas), *(f"build_{s}" for s in schemas)]
                blockers = _pg_blockers(conn, watched)
                if attempt == tries:
                    raise PublishError(
                        f"could not lock the published tables within {lock_timeout:g}s, {tries} tries "
                        f"({mode} publication): held by {blockers}; end those transactions (or pg_terminate_backend) "
                        f"and publish again; the previous publication stays") from exc
                log.warning("publish: lock not obtained within %gs (try %d of %d), held by %s; retrying",
                            lock_timeout, attempt, tries, blockers)
                time.sleep(min(2.0 ** attempt, 10.0))
            except psycopg2.Error as exc:
                if is_disk_full(exc):
                    raise DiskFull(f"disk full: the PostgreSQL server has no space left for the publication "
                                   f"({str(exc).splitlines()[0]}); the previous publication stays") from exc
                raise
    finally:
        if own:
            conn.close()
    if erased:
        log.info("erasure request(s) %s applied: the previous publication was not kept", ", ".join(erased))
    return Publication(path=None, counts=new, warnings=warnings, erased=erased)
