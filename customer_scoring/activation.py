"""Activation exports: each audience as CSV and Parquet with only its channel's columns, the as-of date's triggers and
a manifest, written as one set into `<export dir>/<as-of date>/` and moved into place atomically.

What an audience is, who is in it and who was left out (and why) is decided in SQL (config.audiences,
config.channel_columns, marts.audience_members, marts.audience_exclusions, marts.activation_triggers: ids and scores
only); this module only writes files. The personal columns a channel needs (email, phone, names, email_sha256) are
joined from pii.contacts on contact_id, here and nowhere else.

    <export dir>/<as-of>/<audience>.csv        exactly the audience's columns, rows ordered by entity_id
    <export dir>/<as-of>/<audience>.parquet    the same rows and columns
    <export dir>/<as-of>/triggers.csv          marts.activation_triggers first exported on the as-of date (ids only),
    <export dir>/<as-of>/triggers.parquet      ordered by trigger_id
    <export dir>/<as-of>/manifest.json         run id, as-of date, per audience: channel, rows, columns, excluded rows
                                               by reason, sha256 of each file; the same for the triggers

The set is written into a hidden temporary folder beside it (`.<as-of>.<run id>.<pid>.tmp`) by `prepare`, then made
current by `place` with one atomic exchange of the two folders (renameat2 RENAME_EXCHANGE; where the file system lacks
it, two renames: for an instant the date has no folder, never half of one), so a reader sees the previous set or the
new one, whole. The runner places the set only after the publication succeeded; `discard` removes a prepared set that
is not placed, and `clean_stale` what a killed run left behind (a dead process's temporary folders).

Deterministic: the same marts give byte-identical CSV and Parquet files and a manifest that differs only by its run
id (rows ordered by a key, no timestamp in a data file, Parquet written by one thread with fixed settings). Reads the
work database (DuckDB, read-only) or the build_* schemas (PostgreSQL); PostgreSQL's rows are loaded into an in-memory
DuckDB with their declared types and written by the same code, so both engines write the same bytes.
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

log = logging.getLogger("customer_scoring")

MANIFEST = "manifest.json"
TRIGGERS = "triggers"
FORMATS = ("csv", "parquet")
# The relations an export reads: name -> (schema, table) in the work database (build_<schema> on PostgreSQL).
RELATIONS = {
    "audiences": ("config", "audiences"),
    "channel_columns": ("config", "channel_columns"),
    "audience_members": ("marts", "audience_members"),
    "audience_exclusions": ("marts", "audience_exclusions"),
    "activation_triggers": ("marts", "activation_triggers"),
    "contacts": ("pii", "contacts"),
}
# Read when present: the erasure requests a build applied (audit.erasure_log: request_id, applied_on, no personal
# data). A build that applied one removes the other dates' export sets, which may hold the erased persons.
OPTIONAL = {"erasure_log": ("audit", "erasure_log")}
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The exclusion reasons of marts.audience_exclusions, in the order they apply; the manifest lists each (0 included).
REASONS = ("do_not_contact", "unsubscribed", "hard_bounce", "no_consent", "missing_address")
# The columns of the triggers file (marts.activation_triggers: ids, tiers, scores and factors; no personal data).
TRIGGER_COLUMNS = ("trigger_id", "first_exported_on", "changed_on", "trigger_type", "entity_type", "entity_id",
                   "contact_id", "profile", "from_tier", "to_tier", "score_before", "score_after", "moved_factors")
# The order of a channel's default columns (an audience with an empty `columns`): ids, personal columns, scores; a
# column not named here comes after them, in alphabetical order. An audience that lists its columns keeps its order.
COLUMN_ORDER = ("entity_type", "entity_id", "contact_id", "email", "email_sha256", "phone", "first_name", "last_name",
                "profile", "score", "tier", "recommended_action")
PARQUET_OPTIONS = "format parquet, compression zstd, row_group_size 122880"
CSV_OPTIONS = "format csv, header true, delimiter ',', quote '\"'"
_STAGED = re.compile(r"^\.(?P<as_of>\d{4}-\d{2}-\d{2})\.(?P<run>[^.]+)\.(?P<pid>\d+)\.(?P<kind>tmp|old)$")


class ExportError(RuntimeError):
    """The export cannot be written as configured (a column a channel may not carry, a missing relation)."""


class MissingRelation(ExportError):
    """A relation an export reads is not in the work database (or the build_* schemas)."""


@dataclass
class Prepared:
    """A complete export set in its temporary folder, not yet current."""

    tmp: Path
    final: Path
    as_of: dt.date
    run_id: str
    manifest: dict
    placed: bool = False
    # erasure requests the build applied as of this date (audit.erasure_log): the other dates' sets go once placed
    erasures: int = 0

    @property
    def rows(self) -> int:
        return sum(a["rows"] for a in self.manifest["audiences"].values())

    def summary(self) -> str:
        audiences = self.manifest["audiences"]
        excluded = sum(a["excluded_rows"] for a in audiences.values())
        return (f"{len(audiences)} audience(s), {self.rows:,} rows, {excluded:,} excluded, "
                f"{self.manifest['triggers']['rows']:,} trigger(s)")


@dataclass
class Source:
    """An in-memory DuckDB connection where each relation of RELATIONS is a view or table named src_<name>."""

    con: duckdb.DuckDBPyConnection
    columns: dict[str, list[str]] = field(default_factory=dict)

    def close(self) -> None:
        self.con.close()

    def erasures(self, as_of: dt.date) -> int:
        """Erasure requests applied as of `as_of` (0 without audit.erasure_log)."""
        if "erasure_log" not in self.columns:
            return 0
        return self.con.execute("select count(distinct request_id) from src_erasure_log where applied_on = ?",
                                [as_of]).fetchone()[0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _connection(threads: int, memory_limit: str, spill_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": max(1, threads), "memory_limit": memory_limit,
                                  "temp_directory": str(spill_dir), "preserve_insertion_order": True})


def _columns_of(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe {view}").fetchall()]


def duckdb_source(work_db: Path, threads: int = 2, memory_limit: str = "1500MB") -> Source:
    """The work database attached read-only: every relation of RELATIONS as a view src_<name>."""
    work_db = Path(work_db)
    if not work_db.is_file():
        raise ExportError(f"no work database at {work_db}")
    con = _connection(threads, memory_limit, Path(f"{work_db}.tmp"))
    try:
        con.execute(f"attach {_literal(str(work_db))} as work (read_only)")
        found = {(s, t) for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'work' union all "
            "select schema_name, view_name from duckdb_views() where database_name = 'work'").fetchall()}
        missing = [f"{s}.{t}" for s, t in RELATIONS.values() if (s, t) not in found]
        if missing:
            raise MissingRelation(f"{', '.join(missing)} missing from the work database {work_db}: build first")
        source = Source(con)
        for name, (schema, table) in {**RELATIONS, **OPTIONAL}.items():
            if (schema, table) not in found:
                continue
            con.execute(f"create view src_{name} as select * from work.{_quote(schema)}.{_quote(table)}")
            source.columns[name] = _columns_of(con, f"src_{name}")
        return source
    except BaseException:
        con.close()
        raise


# PostgreSQL type (information_schema.columns.data_type) -> DuckDB type; numeric keeps its declared precision.
_PG_TYPES = {
    "text": "varchar", "character varying": "varchar", "character": "varchar", "date": "date",
    "integer": "integer", "bigint": "bigint", "smallint": "smallint", "double precision": "double", "real": "float",
    "boolean": "boolean", "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
}


def _pg_type(data_type: str, precision, scale) -> str:
    if data_type == "numeric":
        return f"decimal({precision}, {scale})" if precision is not None else "double"
    return _PG_TYPES.get(data_type, "varchar")


def postgres_source(schema_prefix: str = "build_", threads: int = 2, memory_limit: str = "1500MB",
                    conn=None) -> Source:
    """The build_* relations of PostgreSQL copied into an in-memory DuckDB with their declared types (COPY ... TO
    STDOUT as CSV: an unquoted empty field is NULL, a quoted one the empty string). pii.contacts is copied for the
    contacts of an audience only."""
    from psycopg2 import sql

    from customer_scoring import postgres

    own = conn is None
    conn = conn or postgres.connect()
    spill = Path(tempfile.mkdtemp(prefix="cs_export_"))
    con = _connection(threads, memory_limit, spill / "spill")
    try:
        source = Source(con)
        with conn.cursor() as cur:
            for name, (schema, table) in {**RELATIONS, **OPTIONAL}.items():
                pg_schema = f"{schema_prefix}{schema}"
                cur.execute("select column_name, data_type, numeric_precision, numeric_scale "
                            "from information_schema.columns where table_schema = %s and table_name = %s "
                            "order by ordinal_position", (pg_schema, table))
                cols = cur.fetchall()
                if name in OPTIONAL:
                    cols = [c for c in cols if c[0] in ("request_id", "applied_on")]
                    if len(cols) < 2:
                        continue
                if not cols:
                    raise MissingRelation(f"{pg_schema}.{table} missing on PostgreSQL: build first")
                query = sql.SQL("select {} from {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c, *_ in cols), sql.Identifier(pg_schema, table))
                if name == "contacts":
                    members = sql.Identifier(f"{schema_prefix}{RELATIONS['audience_members'][0]}",
                                             RELATIONS["audience_members"][1])
                    query = sql.SQL("{} where contact_id in (select contact_id from {})").format(query, members)
                path = spill / f"{name}.csv"
                with open(path, "w", encoding="utf-8", newline="") as fh:
                    cur.copy_expert(sql.SQL("copy ({}) to stdout with (format csv, header true)").format(query)
                                    .as_string(conn), fh)
                types = ", ".join(f"{_literal(c)}: {_literal(_pg_type(t, p, s))}" for c, t, p, s in cols)
                con.execute(f"create table src_{name} as select * from read_csv({_literal(str(path))}, header = true, "
                            f"auto_detect = false, columns = {{{types}}}, allow_quoted_nulls = false, "
                            f"delim = ',', quote = '\"', escape = '\"')")
                path.unlink()
                source.columns[name] = [c for c, *_ in cols]
        conn.rollback()
        return source
    except BaseException:
        con.close()
        raise
    finally:
        if own:
            conn.close()
        shutil.rmtree(spill, ignore_errors=True)


# --- what each audience exports ---------------------------------------------------------------------------------

@dataclass
class Audience:
    name: str
    entity_type: str
    profile: str
    channel: str
    columns: list[str]


def audiences(source: Source) -> list[Audience]:
    """The audiences of config.audiences with the columns each exports, checked against config.channel_columns: a
    column its channel may not carry, or one that neither the audience marts nor pii.contacts hold, is refused."""
    con = source.con
    allowed: dict[str, dict[str, bool]] = {}
    for channel, column, is_default in con.execute(
            "select channel, column_name, is_default from src_channel_columns order by channel, column_name"
    ).fetchall():
        allowed.setdefault(channel, {})[column] = bool(is_default)
    known = set(source.columns["audience_members"]) | set(source.columns["contacts"])
    rank = {c: i for i, c in enumerate(COLUMN_ORDER)}
    out, faults = [], []
    for name, entity_type, profile, channel, wanted in con.execute(
            'select audience, entity_type, profile, channel, "columns" from src_audiences order by audience'
    ).fetchall():
        channel_columns = allowed.get(channel)
        if not channel_columns:
            faults.append(f"audience {name}: channel {channel!r} has no columns in config.channel_columns")
            continue
        if wanted and wanted.strip():
            columns = [c.strip() for c in wanted.split(";") if c.strip()]
        else:
            columns = sorted((c for c, d in channel_columns.items() if d), key=lambda c: (rank.get(c, len(rank)), c))
        bad = [c for c in columns if c not in channel_columns]
        if bad:
            faults.append(f"audience {name}: channel {channel} may not carry {', '.join(bad)} (allowed: "
                          f"{', '.join(sorted(channel_columns))})")
        unknown = [c for c in columns if c in channel_columns and c not in known]
        if unknown:
            faults.append(f"audience {name}: no column {', '.join(unknown)} in marts.audience_members or "
                          f"pii.contacts")
        if len(set(columns)) != len(columns):
            faults.append(f"audience {name}: a column is listed twice ({wanted})")
        if not columns:
            faults.append(f"audience {name}: no column to export (channel {channel} has no default column)")
        out.append(Audience(name, entity_type, profile, channel, columns))
    if faults:
        raise ExportError("the audiences cannot be exported as configured:\n  " + "\n  ".join(faults))
    return out


def audience_query(source: Source, audience: Audience) -> str:
    """The audience's rows, exactly its columns (audience marts first, then pii.contacts), ordered by entity_id."""
    members = set(source.columns["audience_members"])
    select = []
    for c in audience.columns:
        select.append(f"m.{_quote(c)}" if c in members else f"p.{_quote(c)}")
    join = ""
    if any(c not in members for c in audience.columns):
        join = " left join src_contacts as p on p.contact_id = m.contact_id"
    return (f"select {', '.join(select)} from src_audience_members as m{join} "
            f"where m.audience = {_literal(audience.name)} order by m.entity_id")


def triggers_query(source: Source, as_of: dt.date) -> str:
    missing = [c for c in TRIGGER_COLUMNS if c not in source.columns["activation_triggers"]]
    if missing:
        raise ExportError(f"marts.activation_triggers lacks {', '.join(missing)}")
    return (f"select {', '.join(_quote(c) for c in TRIGGER_COLUMNS)} from src_activation_triggers "
            f"where first_exported_on = date {_literal(as_of.isoformat())} order by trigger_id")


# --- writing ----------------------------------------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(con: duckdb.DuckDBPyConnection, query: str, folder: Path, stem: str, threads: int) -> tuple[int, dict]:
    """The rows of `query` as <stem>.csv and <stem>.parquet: materialised in order first (every thread), then each
    file written from that table by one thread, so that the bytes never depend on scheduling."""
    con.execute(f"create or replace temp table export_rows as {query}")
    rows = con.execute("select count(*) from export_rows").fetchone()[0]
    files = {}
    con.execute("set threads = 1")
    try:
        for fmt, options in (("csv", CSV_OPTIONS), ("parquet", PARQUET_OPTIONS)):
            path = folder / f"{stem}.{fmt}"
            con.execute(f"copy (select * from export_rows) to {_literal(str(path))} ({options})")
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
            files[path.name] = sha256_file(path)
    finally:
        con.execute(f"set threads = {max(1, threads)}")
        con.execute("drop table export_rows")
    return rows, files


def _exclusions(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for audience, reason, n in con.execute(
            "select audience, reason, count(*) from src_audience_exclusions group by 1, 2 order by 1, 2").fetchall():
        out.setdefault(audience, {})[reason] = n
    return out


def _stage_name(as_of: dt.date, run_id: str, kind: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", run_id)
    return f".{as_of.isoformat()}.{safe}.{os.getpid()}.{kind}"


def prepare(source: Source, export_dir: Path, as_of: dt.date, run_id: str, threads: int = 2) -> Prepared:
    """Write the whole export set of `as_of` into a temporary folder beside <export_dir>/<as-of>/ (nothing current
    changes). Raises ExportError; on any failure the temporary folder is removed."""
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    final = export_dir / as_of.isoformat()
    tmp = export_dir / _stage_name(as_of, run_id, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    con = source.con
    try:
        chosen = audiences(source)
        names = [a.name for a in chosen]
        if TRIGGERS in names or MANIFEST.split(".")[0] in names:
            raise ExportError(f"an audience may not be named {TRIGGERS!r} or 'manifest': its files would clash")
        tmp.mkdir()
        excluded = _exclusions(con)
        manifest: dict = {"run_id": run_id, "as_of_date": as_of.isoformat(), "audiences": {}}
        for audience in chosen:
            rows, files = _write(con, audience_query(source, audience), tmp, audience.name, threads)
            reasons = {r: 0 for r in REASONS}
            reasons.update(excluded.get(audience.name, {}))
            manifest["audiences"][audience.name] = {
                "channel": audience.channel, "entity_type": audience.entity_type, "profile": audience.profile,
                "rows": rows, "columns": audience.columns, "excluded_rows": sum(reasons.values()),
                "excluded_by_reason": reasons, "files": files,
            }
        rows, files = _write(con, triggers_query(source, as_of), tmp, TRIGGERS, threads)
        by_type = dict(con.execute(
            f"select trigger_type, count(*) from ({triggers_query(source, as_of)}) group by 1 order by 1").fetchall())
        manifest["triggers"] = {"rows": rows, "columns": list(TRIGGER_COLUMNS), "by_type": by_type, "files": files}
        path = tmp / MANIFEST
        path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
        _fsync(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Prepared(tmp=tmp, final=final, as_of=as_of, run_id=run_id, manifest=manifest,
                    erasures=source.erasures(as_of))


# --- placing --------------------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE). OSError when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError) as exc:
        raise OSError(errno.ENOSYS, "renameat2 not available") from exc
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a))


def place(prepared: Prepared, exchange=_exchange) -> Path:
    """Make the prepared set current as <export dir>/<as-of>/: a rename when the date has no set yet, else one atomic
    exchange with the previous set (then removed); where the file system cannot exchange, the previous set is renamed
    aside and the new one into place (for an instant the date has no folder, never half of one)."""
    tmp, final = prepared.tmp, prepared.final
    if not final.exists():
        os.rename(tmp, final)
    else:
        try:
            exchange(tmp, final)
            old = tmp  # the previous set now sits in the temporary folder
        except OSError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
                raise
            old = final.parent / _stage_name(prepared.as_of, prepared.run_id, "old")
            os.rename(final, old)
            os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    _fsync(final.parent)
    prepared.placed = True
    return final


def purge_other_dates(export_dir: Path, keep: dt.date) -> list[Path]:
    """Remove every export set of another date than `keep` (after an erasure: they may hold the erased persons)."""
    removed = []
    for p in sorted(Path(export_dir).iterdir()):
        if p.is_dir() and not p.is_symlink() and _DATE_FOLDER.match(p.name) and p.name != keep.isoformat():
            shutil.rmtree(p)
            removed.append(p)
    return removed


def discard(prepared: Prepared | None) -> None:
    """Remove a prepared set that will not be placed (the publication failed, was refused or interrupted)."""
    if prepared is not None and not prepared.placed:
        shutil.rmtree(prepared.tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(export_dir: Path) -> list[Path]:
    """What a killed run left in export_dir: its temporary folders (removed), and a previous set it had renamed aside
    without putting a new one in its place (renamed back). Folders of a live process are left alone."""
    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        return []
    removed = []
    for p in sorted(export_dir.iterdir()):
        m = _STAGED.match(p.name)
        if not m or _alive(int(m["pid"])):
            continue
        final = export_dir / m["as_of"]
        if m["kind"] == "old" and not final.exists():
            with contextlib.suppress(OSError):
                os.rename(p, final)
                log.info("restored the export set %s that an interrupted run had moved aside", final)
                continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def read_manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
