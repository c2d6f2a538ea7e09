"""Load the raw Parquet layer into PostgreSQL, following the raw data contract (`contract.py`).

    python -m customer_scoring.postgres load --raw data/raw [--schema-prefix raw_] [--tables crm.accounts ...]

Every contract table whose file `<raw>/<schema>/<name>.parquet` exists lands in table `<prefix><schema>.<name>` with
the contract's columns and types. The file is streamed in record batches, written as CSV in which every non-null value
is quoted (pyarrow's "all_valid" quoting) and fed to `COPY ... FROM STDIN (FORMAT csv)`: an unquoted empty field is
NULL, a quoted one is the empty string, so NULL and '' never mix, whatever the text holds (commas, quotes, newlines,
backslashes, JSON). Each table is loaded in one transaction and its row count checked against the Parquet file before
the commit, so a reader sees the old table or the complete new one, never a half-loaded one.

Connection settings come from CS_PG_HOST, CS_PG_PORT, CS_PG_USER, CS_PG_PASSWORD and CS_PG_DATABASE (the variables the
dbt `postgres` target reads; `scripts/pg_throwaway.sh start` prints them), or from a libpq DSN in CS_PG_DSN.
"""
from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from customer_scoring.contract import BY_NAME, TABLES, RawTable

log = logging.getLogger(__name__)

# Raw contract type -> (PostgreSQL type, Arrow type the column is normalised to before it is written).
TYPES: dict[str, tuple[str, pa.DataType]] = {
    "VARCHAR": ("text", pa.string()),
    "TIMESTAMP": ("timestamp", pa.timestamp("us")),
    "DATE": ("date", pa.date32()),
    "INTEGER": ("integer", pa.int32()),
    "DOUBLE": ("double precision", pa.float64()),
    "BOOLEAN": ("boolean", pa.bool_()),
}

DEFAULT_SCHEMA_PREFIX = "raw_"
BATCH_ROWS = 65_536
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


class LoadError(RuntimeError):
    """A raw file does not fit the contract or did not load completely."""


def connect(**overrides):
    """A psycopg2 connection from the CS_PG_* environment variables; keyword arguments override them.

    Keywords are libpq's: host, port, user, password, dbname (`database` is accepted as well), connect_timeout, ...
    """
    import psycopg2

    if "database" in overrides:
        overrides["dbname"] = overrides.pop("database")
    dsn = os.environ.get("CS_PG_DSN", "")
    if dsn:
        return psycopg2.connect(dsn, **overrides)
    params = {
        "host": os.environ.get("CS_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CS_PG_PORT", "5432")),
        "user": os.environ.get("CS_PG_USER", "postgres"),
        "password": os.environ.get("CS_PG_PASSWORD", ""),
        "dbname": os.environ.get("CS_PG_DATABASE", "customer_scoring"),
        "connect_timeout": 10,
        "application_name": "customer_scoring",
    }
    params.update(overrides)
    if not params["password"]:
        del params["password"]  # let libpq fall back to ~/.pgpass or PGPASSWORD
    return psycopg2.connect(**params)


def raw_path(raw_dir: str | os.PathLike, table: RawTable) -> Path:
    return Path(raw_dir) / table.schema / f"{table.name}.parquet"


def select_tables(tables: Iterable[str | RawTable] | None = None) -> list[RawTable]:
    """Contract tables by qualified name ("crm.accounts"); all of them when `tables` is None."""
    if tables is None:
        return list(TABLES)
    out = []
    for t in tables:
        if isinstance(t, RawTable):
            out.append(t)
        elif t in BY_NAME:
            out.append(BY_NAME[t])
        else:
            raise ValueError(f"unknown raw table {t!r}; the contract has: {', '.join(BY_NAME)}")
    return out


def missing_tables(raw_dir: str | os.PathLike, tables: Iterable[str | RawTable] | None = None) -> list[RawTable]:
    """Contract tables whose Parquet file is absent (load_raw skips them)."""
    return [t for t in select_tables(tables) if not raw_path(raw_dir, t).is_file()]


def _ident(*parts: str):
    from psycopg2 import sql

    return sql.Identifier(*parts)


@contextmanager
def _transaction(conn):
    """One transaction on `conn`, whether or not it is in autocommit mode; rolled back on any error."""
    cur = conn.cursor()
    if conn.autocommit:
        cur.execute("BEGIN")
    try:
        yield cur
    except BaseException:
        if conn.autocommit:
            cur.execute("ROLLBACK")
        else:
            conn.rollback()
        raise
    else:
        if conn.autocommit:
            cur.execute("COMMIT")
        else:
            conn.commit()
    finally:
        cur.close()


def _normalise(batch: pa.RecordBatch, table: RawTable, target: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for (col, raw_type), field in zip(table.columns, target):
        arr = batch.column(col)  # by name: the file's column order need not be the contract's
        try:
            if pa.types.is_timestamp(arr.type) and arr.type.tz is not None and raw_type == "TIMESTAMP":
                arr = arr.cast(pa.timestamp("us", tz="UTC")).cast(field.type)  # zoned -> UTC wall clock
            elif arr.type != field.type:
                arr = arr.cast(field.type)  # safe cast: overflow or lost precision raises instead of corrupting
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise LoadError(f"{table.qualified}.{col}: cannot read {arr.type} as {raw_type}: {e}") from e
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _open_checked(path: Path, table: RawTable) -> pq.ParquetFile:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise LoadError(f"{path}: not a readable Parquet file: {e}") from e
    present = set(pf.schema_arrow.names)
    missing = [c for c in table.column_names if c not in present]
    if missing:
        raise LoadError(f"{path}: columns {missing} of the contract for {table.qualified} are missing")
    extra = sorted(present - set(table.column_names))
    if extra:
        log.warning("%s: ignoring columns not in the contract: %s", path, extra)
    return pf


def _csv_chunks(pf: pq.ParquetFile, table: RawTable) -> Iterator[bytes]:
    target = pa.schema([(c, TYPES[t][1]) for c, t in table.columns])
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=table.column_names):
        buf = io.BytesIO()
        pa_csv.write_csv(_normalise(batch, table, target), buf, _CSV_OPTIONS)
        yield buf.getvalue()


class _ChunkReader(io.RawIOBase):
    """A read()-able file over an iterator of byte chunks, for cursor.copy_expert."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buf = memoryview(b"")
        self.error: BaseException | None = None  # psycopg2 turns an exception in read() into QueryCanceled

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._buf:
            try:
                chunk = next(self._chunks, None)
            except BaseException as e:
                self.error = e
                raise
            if chunk is None:
                return b""
            self._buf = memoryview(chunk)
        if size is None or size < 0:
            size = len(self._buf)
        out, self._buf = self._buf[:size], self._buf[size:]
        return bytes(out)


def _existing_columns(cur, schema: str, name: str) -> list[tuple[str, str]] | None:
    cur.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (schema, name),
    )
    rows = cur.fetchall()
    return [(r[0], r[1]) for r in rows] or None


# format_type() spells the types like this.
_FORMAT_TYPE = {"timestamp": "timestamp without time zone"}


def _load_table(conn, table: RawTable, path: Path, pg_schema: str, analyze: bool) -> int:
    from psycopg2 import errors, sql

    pf = _open_checked(path, table)
    expected = pf.metadata.num_rows
    target = _ident(pg_schema, table.name)
    wanted = [(c, TYPES[t][0]) for c, t in table.columns]
    with _transaction(conn) as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(_ident(pg_schema)))
        existing = _existing_columns(cur, pg_schema, table.name)
        if existing == [(c, _FORMAT_TYPE.get(t, t)) for c, t in wanted]:
            # Same shape: empty it in place, so views built on it (dbt staging) survive the reload.
            cur.execute(sql.SQL("truncate table {}").format(target))
        else:
            try:
                cur.execute(sql.SQL("drop table if exists {}").format(target))
            except errors.DependentObjectsStillExist as e:
                raise LoadError(
                    f"{pg_schema}.{table.name} changed shape and other objects depend on it; drop them first "
                    f"(e.g. the dbt staging views): {e.pgerror}"
                ) from e
            cur.execute(
                sql.SQL("create table {} ({})").format(
                    target,
                    sql.SQL(", ").join(sql.SQL("{} {}").format(_ident(c), sql.SQL(t)) for c, t in wanted),
                )
            )
        copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
            target, sql.SQL(", ").join(_ident(c) for c in table.column_names)
        )
        reader = _ChunkReader(_csv_chunks(pf, table))
        try:
            cur.copy_expert(copy.as_string(cur), reader, size=1 << 20)
        except Exception as e:
            if reader.error is not None:
                raise reader.error from None
            raise LoadError(f"{pg_schema}.{table.name}: COPY from {path} failed: {e}") from e
        cur.execute(sql.SQL("select count(*) from {}").format(target))
        loaded = cur.fetchone()[0]
        if loaded != expected:
            raise LoadError(
                f"{pg_schema}.{table.name}: loaded {loaded} rows but {path} has {expected}; rolled back"
            )
    if analyze:
        with _transaction(conn) as cur:
            cur.execute(sql.SQL("analyze {}").format(target))
    return loaded


def load_raw(
    raw_dir: str | os.PathLike,
    schema_prefix: str = DEFAULT_SCHEMA_PREFIX,
    tables: Iterable[str | RawTable] | None = None,
    conn=None,
    analyze: bool = True,
) -> dict[str, int]:
    """Load the contract's Parquet files under `raw_dir` into PostgreSQL; returns rows per table loaded, keyed by the
    contract name: {"crm.accounts": 1234, ...} (the table itself is `<schema_prefix>crm.accounts`).

    `tables` restricts the load to these contract tables ("crm.accounts", ...). Tables whose file is absent are
    skipped and logged (the optional ones are switched off in dbt by their `enable_*` var). A file that lacks contract
    columns, holds values that do not fit the contract types, or loads a different number of rows raises LoadError;
    that table's transaction is rolled back and the tables loaded before it stay loaded.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory {raw_dir} does not exist")
    own = conn is None
    if own:
        conn = connect()
    counts: dict[str, int] = {}
    try:
        for table in select_tables(tables):
            path = raw_path(raw_dir, table)
            pg_schema = f"{schema_prefix}{table.schema}"
            if not path.is_file():
                if table.optional_switch:
                    log.info("skipping %s: no %s (optional; var %s)", table.qualified, path, table.optional_switch)
                else:
                    log.warning("skipping %s: no %s (a required table: the dbt build will miss it)",
                                table.qualified, path)
                continue
            t0 = time.perf_counter()
            counts[table.qualified] = n = _load_table(conn, table, path, pg_schema, analyze)
            log.info("loaded %s.%s: %d rows in %.2fs", pg_schema, table.name, n, time.perf_counter() - t0)
    finally:
        if own:
            conn.close()
    return counts


def drop_schemas(prefixes: str | Sequence[str], conn=None) -> list[str]:
    """Drop (cascade) every schema whose name starts with one of `prefixes`; returns the dropped names."""
    from psycopg2 import sql

    if isinstance(prefixes, str):
        prefixes = [prefixes]
    if not prefixes or any(not p for p in prefixes):
        raise ValueError("drop_schemas needs non-empty prefixes")
    own = conn is None
    if own:
        conn = connect()
    try:
        with _transaction(conn) as cur:
            cur.execute("select nspname from pg_namespace order by nspname")
            names = [r[0] for r in cur.fetchall() if any(r[0].startswith(p) for p in prefixes)]
            for name in names:
                cur.execute(sql.SQL("drop schema {} cascade").format(_ident(name)))
        return names
    finally:
        if own:
            conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customer_scoring.postgres", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="load the raw Parquet files into PostgreSQL")
    p_load.add_argument("--raw", required=True, help="raw directory holding <schema>/<table>.parquet")
    p_load.add_argument("--schema-prefix", default=DEFAULT_SCHEMA_PREFIX, help="default: %(default)s")
    p_load.add_argument("--tables", nargs="+", metavar="SCHEMA.TABLE", help="only these contract tables")
    p_load.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after each table")
    p_drop = sub.add_parser("drop-schemas", help="drop every schema starting with the given prefixes (cascade)")
    p_drop.add_argument("prefixes", nargs="+")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    try:
        if args.command == "load":
            t0 = time.perf_counter()
            counts = load_raw(args.raw, args.schema_prefix, args.tables, analyze=not args.no_analyze)
            elapsed = time.perf_counter() - t0
            total = sum(counts.values())
            skipped = [t.qualified for t in missing_tables(args.raw, args.tables)]
            for name, n in counts.items():
                print(f"{args.schema_prefix}{name}\t{n}")
            print(f"loaded {len(counts)} tables, {total} rows in {elapsed:.1f}s"
                  + (f"; skipped (no file): {', '.join(skipped)}" if skipped else ""))
        else:
            dropped = drop_schemas(args.prefixes)
            print("dropped: " + (", ".join(dropped) or "nothing"))
    except (LoadError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
