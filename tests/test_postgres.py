"""The PostgreSQL raw loader against a real server.

Skipped unless a server answers at CS_PG_HOST/CS_PG_PORT (or CS_PG_DSN); failed instead with CS_REQUIRE_POSTGRES=1
(scripts/test.sh sets it). Locally:

    eval "$(scripts/pg_throwaway.sh start)"
    .venv/bin/python -m pytest -m postgres tests/test_postgres.py
    scripts/pg_throwaway.sh stop

Every test loads into its own schemas (a unique prefix) and drops them afterwards.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from pathlib import Path

import pytest

psycopg2 = pytest.importorskip("psycopg2")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from customer_scoring.contract import BY_NAME, TABLES  # noqa: E402
from conftest import connect_postgres  # noqa: E402
from customer_scoring.postgres import LoadError, drop_schemas, load_raw, missing_tables  # noqa: E402

pytestmark = pytest.mark.postgres

PG_TYPES = {
    "VARCHAR": "text",
    "TIMESTAMP": "timestamp without time zone",
    "DATE": "date",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
}
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}

# The awkward values, per type. Column k of a table takes value (row + k) % len, so every column sees all of them.
TEXTS = [
    None,
    "",
    'a,b,"c"',
    "line1\nline2\r\nline3\n\\.\nend",
    '{"name": "Müller, Hans", "tags": ["a", "b"], "quote": "say \\"hi\\""}',
    "Müller – España ✓ 日本 😀",
    "  padded\twith tab  ",
    "NULL",
    "\\N",
    "\\.",
    "back\\slash",
    '"',
]
TIMESTAMPS = [
    None,
    dt.datetime(2024, 1, 1),
    dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
    dt.datetime(1970, 1, 1),
    dt.datetime(1900, 1, 1, 12, 0, 0, 500000),
    dt.datetime(2000, 1, 1, 0, 0, 0, 1),
    dt.datetime(2099, 12, 31, 23, 59, 59),
]
DATES = [None, dt.date(1900, 1, 1), dt.date(2024, 2, 29), dt.date(9999, 12, 31), dt.date(1970, 1, 1), dt.date(1, 1, 1)]
INTEGERS = [None, 0, -1, 2147483647, -2147483648, 42]
DOUBLES = [None, 0.0, -0.0, 0.1, 1 / 3, 1e-300, 1.7976931348623157e308, -2.5, math.nan, math.inf, -math.inf]
BOOLEANS = [None, True, False]
VALUES = {"VARCHAR": TEXTS, "TIMESTAMP": TIMESTAMPS, "DATE": DATES, "INTEGER": INTEGERS, "DOUBLE": DOUBLES,
          "BOOLEAN": BOOLEANS}
ROWS = 13  # > every list above, so each value occurs at least once in each column


def table_data(table, rows=ROWS) -> pa.Table:
    cols = {}
    for k, (name, raw_type) in enumerate(table.columns):
        vals = VALUES[raw_type]
        cols[name] = pa.array([vals[(r + k) % len(vals)] for r in range(rows)], ARROW_TYPES[raw_type])
    return pa.table(cols)


def write_raw(raw_dir, tables=TABLES, rows=ROWS) -> dict[str, pa.Table]:
    written = {}
    for t in tables:
        path = raw_dir / t.schema / f"{t.name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = table_data(t, rows)
        pq.write_table(data, path)
        written[t.qualified] = data
    return written


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def conn():
    c = connect_postgres(autocommit=True)
    yield c
    c.close()


@pytest.fixture
def prefix(conn):
    p = f"t{uuid.uuid4().hex[:8]}_raw_"
    yield p
    drop_schemas([p], conn=conn)


def fetch(conn, schema, table):
    t = BY_NAME[table]
    cols = ", ".join(f'"{c}"' for c in t.column_names)
    with conn.cursor() as cur:
        cur.execute(f'select {cols} from "{schema}"."{t.name}" order by ctid')
        return cur.fetchall()


def column_types(conn, schema, name):
    with conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            (schema, name),
        )
        return cur.fetchall()


def relation_exists(conn, schema, name) -> bool:
    with conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f'"{schema}"."{name}"',))
        return cur.fetchone()[0] is not None


def test_round_trip_every_contract_table(tmp_path, conn, prefix):
    written = write_raw(tmp_path)
    counts = load_raw(tmp_path, schema_prefix=prefix, conn=conn)

    assert counts == {t.qualified: ROWS for t in TABLES}
    for t in TABLES:
        schema = f"{prefix}{t.schema}"
        assert column_types(conn, schema, t.name) == [(c, PG_TYPES[ty]) for c, ty in t.columns], t.qualified
        got = fetch(conn, schema, t.qualified)
        want = [tuple(r[c] for c in t.column_names) for r in written[t.qualified].to_pylist()]
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            for c, gv, wv in zip(t.column_names, g, w):
                assert same(gv, wv), f"{t.qualified} row {i} column {c}: got {gv!r}, want {wv!r}"


def test_null_and_empty_string_stay_apart(tmp_path, conn, prefix):
    write_raw(tmp_path, [BY_NAME["feedback.surveys"]])
    load_raw(tmp_path, schema_prefix=prefix, tables=["feedback.surveys"], conn=conn)
    with conn.cursor() as cur:
        cur.execute(
            f'select count(*) filter (where comment is null), count(*) filter (where comment = \'\'), '
            f"count(*) filter (where comment = 'NULL'), count(*) filter (where comment = E'\\\\N') "
            f'from "{prefix}feedback".surveys'
        )
        nulls, empties, null_words, backslash_n = cur.fetchone()
    want = [r["comment"] for r in table_data(BY_NAME["feedback.surveys"]).to_pylist()]
    assert nulls == want.count(None) > 0
    assert empties == want.count("") > 0
    assert null_words == want.count("NULL") > 0
    assert backslash_n == want.count("\\N") > 0


def test_missing_optional_tables_are_skipped(tmp_path, conn, prefix, caplog):
    required = [t for t in TABLES if t.optional_switch is None]
    optional = [t for t in TABLES if t.optional_switch is not None]
    assert required and optional
    write_raw(tmp_path, required)

    with caplog.at_level(logging.INFO, logger="customer_scoring.postgres"):
        counts = load_raw(tmp_path, schema_prefix=prefix, conn=conn)

    assert set(counts) == {t.qualified for t in required}
    assert missing_tables(tmp_path) == optional
    for t in optional:
        assert not relation_exists(conn, f"{prefix}{t.schema}", t.name)
        assert any(t.qualified in m and "skipping" in m for m in caplog.messages), t.qualified


def test_reload_replaces_rows_and_keeps_dependent_views(tmp_path, conn, prefix):
    t = BY_NAME["crm.accounts"]
    write_raw(tmp_path, [t], rows=20)
    assert load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn) == {"crm.accounts": 20}
    with conn.cursor() as cur:
        cur.execute(f'create view "{prefix}crm".v_accounts as select account_id from "{prefix}crm".accounts')

    write_raw(tmp_path, [t], rows=5)
    assert load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn) == {"crm.accounts": 5}
    with conn.cursor() as cur:
        cur.execute(f'select count(*) from "{prefix}crm".v_accounts')
        assert cur.fetchone()[0] == 5


def test_file_types_are_normalised_to_the_contract(tmp_path, conn, prefix):
    # Column order shuffled, an extra column, int64 / ns / zoned timestamps / large strings: all fit the contract.
    t = BY_NAME["feedback.surveys"]
    path = tmp_path / "feedback" / "surveys.parquet"
    path.parent.mkdir(parents=True)
    zoned = pa.array([dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc), None], pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({
        "comment": pa.array(["ok", None], pa.large_string()),
        "extra": pa.array([1, 2]),
        "response_id": pa.array(["r1", "r2"]),
        "contact_id": pa.array(["c1", ""]),
        "submitted_at": zoned,
        "nps": pa.array([10, None], pa.int64()),
        "csat": pa.array([None, 3], pa.int8()),
        "review_rating": pa.array([4, None], pa.int64()),
        "_loaded_at": pa.array([dt.datetime(2024, 5, 2), dt.datetime(2024, 5, 2)], pa.timestamp("ms")),
    }), path)

    load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn)

    assert fetch(conn, f"{prefix}feedback", t.qualified) == [
        ("r1", "c1", dt.datetime(2024, 5, 1, 10, 0), 10, None, 4.0, "ok", dt.datetime(2024, 5, 2)),
        ("r2", "", None, None, 3, None, None, dt.datetime(2024, 5, 2)),
    ]


def test_bad_files_fail_clearly_and_roll_back(tmp_path, conn, prefix):
    t = BY_NAME["shop.order_items"]
    write_raw(tmp_path, [t], rows=3)
    load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn)

    # A value that does not fit INTEGER: the error names the column and the old rows stay.
    bad = table_data(t, rows=3).set_column(1, "line_number", pa.array([1, 2, 2**40], pa.int64()))
    pq.write_table(bad, tmp_path / "shop" / "order_items.parquet")
    with pytest.raises(LoadError, match="shop.order_items.line_number"):
        load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn)
    assert len(fetch(conn, f"{prefix}shop", t.qualified)) == 3

    # A contract column missing from the file.
    pq.write_table(table_data(t).drop_columns(["discount"]), tmp_path / "shop" / "order_items.parquet")
    with pytest.raises(LoadError, match="discount"):
        load_raw(tmp_path, schema_prefix=prefix, tables=[t.qualified], conn=conn)
    assert len(fetch(conn, f"{prefix}shop", t.qualified)) == 3

    with pytest.raises(ValueError, match="unknown raw table"):
        load_raw(tmp_path, schema_prefix=prefix, tables=["shop.nope"], conn=conn)


def test_every_relation_name_fits_a_postgres_identifier():
    """PostgreSQL cuts identifiers at 63 bytes and dbt refuses longer relation names: a unit test named longer than
    that builds on DuckDB and errors on PostgreSQL. Every model, seed, snapshot and unit test name fits."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    names = {p.stem for folder in ("models", "seeds") for p in (root / folder).rglob("*")
             if p.suffix in (".sql", ".csv")}
    for path in (root / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text()) or {}
        names |= {t["name"] for t in doc.get("unit_tests") or []}
    too_long = sorted(n for n in names if len(n.encode()) > 63)
    assert too_long == [], too_long
