"""The text-cleaning macros (clean_text and its kin in macros/utils) give the same output on DuckDB and PostgreSQL.

The macros are compiled by dbt for each target (`dbt compile --inline`) and run on the same strings: every kind of
Unicode white space, zero-width characters, decomposed accents, non-ASCII capitals, valid and invalid addresses, then
every code point of the Basic Multilingual Plane and the next two planes. The PostgreSQL half is skipped when no
server answers at CS_PG_* (failed instead with CS_REQUIRE_POSTGRES=1, as scripts/test.sh sets it). The inputs are
written as ASCII literals and chr() calls, which both engines read alike.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT, connect_postgres


WHITE_SPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
               0x205F, 0x3000]
ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD]
NBSP, NNBSP, IDEOGRAPHIC, ZWSP, BOM, ACUTE = "\u00a0", "\u202f", "\u3000", "\u200b", "\ufeff", "\u0301"

# input -> expected (clean_text, normalize_email, is_valid_email of the normalised e-mail); None = NULL.
CASES: dict[str | None, tuple[str | None, str | None, bool]] = {
    None: (None, None, False),
    "": (None, None, False),
    "   ": (None, None, False),
    NBSP + ZWSP + "\t": (None, None, False),
    "  Jean  Dupont ": ("Jean Dupont", "jean dupont", False),
    "Jean" + NBSP: ("Jean", "jean", False),
    NNBSP + "Jean" + IDEOGRAPHIC: ("Jean", "jean", False),
    "Jean\t\r\nPierre": ("Jean Pierre", "jean pierre", False),
    "Je" + ZWSP + "an": ("Jean", "jean", False),
    BOM + "Jean": ("Jean", "jean", False),
    "Jean" + "\u00ad" + "ne": ("Jeanne", "jeanne", False),
    "E" + ACUTE + "cole": ("\u00c9cole", "\u00e9cole", False),
    "\u00c9cole": ("\u00c9cole", "\u00e9cole", False),
    "E" + ZWSP + ACUTE + "cole": ("\u00c9cole", "\u00e9cole", False),
    "\u00c9TATS-UNIS": ("\u00c9TATS-UNIS", "\u00e9tats-unis", False),
    "\u0141\u00d3D\u0179 \u00d8RE \u0394\u0399\u039f\u03a3 \u0414\u041c\u0418": (
        "\u0141\u00d3D\u0179 \u00d8RE \u0394\u0399\u039f\u03a3 \u0414\u041c\u0418",
        "\u0142\u00f3d\u017a \u00f8re \u03b4\u03b9\u03bf\u03c3 \u0434\u043c\u0438", False),
    "\u0130STANBUL": ("\u0130STANBUL", "istanbul", False),
    "ISTANBUL": ("ISTANBUL", "istanbul", False),
    "jean@example.com": ("jean@example.com", "jean@example.com", True),
    " Jean@Example.COM" + NBSP: ("Jean@Example.COM", "jean@example.com", True),
    "jean@example.com" + ZWSP: ("jean@example.com", "jean@example.com", True),
    BOM + "jean@example.com" + NNBSP: ("jean@example.com", "jean@example.com", True),
    "O'Brien@Example.ie": ("O'Brien@Example.ie", "o'brien@example.ie", True),
    "!#$%&'*+/=?^_`{|}~-@example.com": ("!#$%&'*+/=?^_`{|}~-@example.com", "!#$%&'*+/=?^_`{|}~-@example.com", True),
    "J\u00d6RG.M\u00dcLLER@B\u00dcCHER.DE": ("J\u00d6RG.M\u00dcLLER@B\u00dcCHER.DE",
                                            "j\u00f6rg.m\u00fcller@b\u00fccher.de", True),
    "jo" + "\u0308" + "rg@bu" + "\u0308" + "cher.de": ("j\u00f6rg@b\u00fccher.de", "j\u00f6rg@b\u00fccher.de", True),
    "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a": ("\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
                                              "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a", True),
    "info@xn--bcher-kva.de": ("info@xn--bcher-kva.de", "info@xn--bcher-kva.de", True),
    "jean": ("jean", "jean", False),
    "jean@": ("jean@", "jean@", False),
    "@example.com": ("@example.com", "@example.com", False),
    "jean@@example.com": ("jean@@example.com", "jean@@example.com", False),
    "a@b@example.com": ("a@b@example.com", "a@b@example.com", False),
    "jean dupont@example.com": ("jean dupont@example.com", "jean dupont@example.com", False),
    "jean" + NBSP + "dupont@example.com": ("jean dupont@example.com", "jean dupont@example.com", False),
    "jean@example": ("jean@example", "jean@example", False),
    ".jean@example.com": (".jean@example.com", ".jean@example.com", False),
    "jean.@example.com": ("jean.@example.com", "jean.@example.com", False),
    "je..an@example.com": ("je..an@example.com", "je..an@example.com", False),
    "jean@-example.com": ("jean@-example.com", "jean@-example.com", False),
    "jean@example-.com": ("jean@example-.com", "jean@example-.com", False),
    "jean@example..com": ("jean@example..com", "jean@example..com", False),
    "jean@1.2.3.4": ("jean@1.2.3.4", "jean@1.2.3.4", False),
    "jean\u0001@example.com": ("jean\u0001@example.com", "jean\u0001@example.com", False),
    "https://www.B\u00fccher.DE/kontakt" + NBSP: ("https://www.B\u00fccher.DE/kontakt",
                                                 "https://www.b\u00fccher.de/kontakt", False),
    "\U0001F600 fun": ("\U0001F600 fun", "\U0001F600 fun", False),
}
for _cp in WHITE_SPACE:
    CASES[chr(_cp) + "Jean" + chr(_cp) * 2 + "Dupont" + chr(_cp)] = ("Jean Dupont", "jean dupont", False)
for _cp in ZERO_WIDTH:
    CASES[chr(_cp) + "jean@exam" + chr(_cp) + "ple.com" + chr(_cp)] = ("jean@example.com", "jean@example.com", True)


def sql_text(value: str | None) -> str:
    """A SQL expression of the string, the same on DuckDB and PostgreSQL: printable ASCII literals and chr()."""
    if value is None:
        return "cast(null as varchar)"
    parts: list[str] = []
    run = ""
    for ch in value:
        if " " <= ch <= "~":
            run += ch
            continue
        if run:
            parts.append("'" + run.replace("'", "''") + "'")
            run = ""
        parts.append(f"chr({ord(ch)})")
    if run or not parts:
        parts.append("'" + run.replace("'", "''") + "'")
    return "cast(" + " || ".join(parts) + " as varchar)"


INPUTS = list(CASES)
CASES_SQL = """
select
    case_id,
    {{ clean_text('input') }} as cleaned,
    {{ normalize_email('input') }} as email,
    {{ is_valid_email(normalize_email('input')) }} as is_valid,
    {{ email_domain(normalize_email('input')) }} as domain,
    {{ domain_from_url('input') }} as url_domain,
    {{ country_lookup_key('input') }} as country_key
from (
    values
        __VALUES__
) as inputs (case_id, input)
order by case_id
""".replace("__VALUES__", ",\n        ".join(f"({i}, {sql_text(v)})" for i, v in enumerate(INPUTS)))

# Every code point of planes 0-2 but the surrogates, alone and between letters, through clean_text and normalize_email.
# generate_series(first, last) is a table function of both engines, inclusive on both.
CODE_POINTS_SQL = """
with

code_points as (
    select cast(code_point as integer) as code_point
    from generate_series(1, 196607) as series (code_point)
    where code_point < 55296 or code_point > 57343
),

inputs as (
    select code_point, 'A' || chr(code_point) || ' Z' as input
    from code_points
)

select
    code_point,
    {{ clean_text('input') }} as cleaned,
    {{ normalize_email('input') }} as email,
    {{ is_valid_email(normalize_email('input')) }} as is_valid
from inputs
order by code_point
"""


def compile_sql(sql: str, target: str, tmp: Path, dbt_vars: dict | None = None) -> str:
    """The SQL that dbt compiles from an inline query for a target of profiles.yml."""
    from dbt.cli.main import dbtRunner

    from customer_scoring.runner import _release_duckdb

    args = ["compile", "--inline", sql, "--target", target, "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT), "--target-path", str(tmp / f"target_{target}"),
            "--log-path", str(tmp / "logs"), "--vars", json.dumps(dbt_vars or {}), "--quiet"]
    res = dbtRunner().invoke(args)
    _release_duckdb()  # dbt-duckdb keeps the file open in-process
    assert res.success, f"dbt compile on {target} failed: {res.exception}"
    return res.result.results[0].node.compiled_code


@pytest.fixture(scope="module")
def duckdb_dbt(tmp_path_factory):
    """A folder, a raw folder (the NBSP contacts below) and a database for this module's dbt invocations on DuckDB:
    the inline compile and the golden-contact build share the target folder, the vars and the environment, so the
    second reuses the first one's parse (dbt's partial parsing)."""
    tmp = tmp_path_factory.mktemp("duckdb_dbt")
    raw = tmp / "raw"
    write_nbsp_contacts(raw)
    mp = pytest.MonkeyPatch()
    mp.setenv("CS_RAW_PATH", str(raw))
    mp.setenv("CS_DUCKDB_PATH", str(tmp / "golden.duckdb"))
    yield tmp
    mp.undo()


@pytest.fixture(scope="module")
def compiled(duckdb_dbt, tmp_path_factory) -> dict[str, dict[str, str]]:
    """The two queries compiled per target (one dbt invocation per target: an inline query cannot hold both)."""
    tmp = tmp_path_factory.mktemp("text_sql")
    both = CASES_SQL + "\n-- __SPLIT__\n" + CODE_POINTS_SQL
    out: dict[str, dict[str, str]] = {}
    for target in ("duckdb", "postgres"):
        if target == "postgres" and not postgres_available():
            continue
        parts = (compile_sql(both, target, duckdb_dbt, {"as_of_date": AS_OF}) if target == "duckdb"
                 else compile_sql(both, target, tmp)).split("-- __SPLIT__")
        out[target] = {"cases": parts[0], "code_points": parts[1]}
    return out


def postgres_available() -> bool:
    from customer_scoring import postgres

    try:
        postgres.connect(connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - any connection failure means no server here
        return False
    return True


@pytest.fixture(scope="module")
def pg():
    conn = connect_postgres(autocommit=True)
    yield conn
    conn.close()


def run_duckdb(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


def run_postgres(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def duck_cases(compiled) -> list[tuple]:
    return run_duckdb(compiled["duckdb"]["cases"])


def test_macros_give_the_expected_values_on_duckdb(duck_cases):
    wrong = []
    for (case_id, cleaned, email, is_valid, *_), value in zip(duck_cases, INPUTS, strict=True):
        if (cleaned, email, is_valid) != CASES[value]:
            wrong.append((case_id, value, (cleaned, email, is_valid), CASES[value]))
    assert not wrong, "\n".join(map(repr, wrong))


def test_derived_macros_follow_the_cleaning_on_duckdb(duck_cases):
    rows = {value: row for value, row in zip(INPUTS, duck_cases, strict=True)}
    assert rows[" Jean@Example.COM" + NBSP][4] == "example.com"
    assert rows["J\u00d6RG.M\u00dcLLER@B\u00dcCHER.DE"][4] == "b\u00fccher.de"
    assert rows["https://www.B\u00fccher.DE/kontakt" + NBSP][5] == "b\u00fccher.de"
    assert rows["\u00c9TATS-UNIS"][6] == "\u00e9tats-unis"
    assert rows[NNBSP + "Jean" + IDEOGRAPHIC][6] == "jean"


@pytest.mark.postgres
def test_macros_give_the_same_values_on_postgres(compiled, duck_cases, pg):
    pg_cases = run_postgres(pg, compiled["postgres"]["cases"])
    differ = [(INPUTS[d[0]], d, p) for d, p in zip(duck_cases, pg_cases, strict=True) if d != p]
    assert not differ, "\n".join(map(repr, differ[:20]))


@pytest.mark.postgres
def test_every_code_point_is_cleaned_alike_on_both_engines(compiled, pg):
    duck = run_duckdb(compiled["duckdb"]["code_points"])
    post = run_postgres(pg, compiled["postgres"]["code_points"])
    assert len(duck) == len(post) > 190_000
    differ = [(hex(d[0]), d, p) for d, p in zip(duck, post, strict=True) if d != p]
    assert not differ, f"{len(differ)} code points differ, first: " + "\n".join(map(repr, differ[:20]))


# --- end to end: two CRM records whose e-mails differ by a trailing NBSP are one golden contact ---------------------

AS_OF = "2024-06-30"


def write_nbsp_contacts(raw: Path) -> None:
    """crm.contacts with two records of one person (the second e-mail ends in U+00A0), crm.accounts with one row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from customer_scoring.contract import BY_NAME

    arrow = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "DATE": pa.date32(), "INTEGER": pa.int32(),
             "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}
    day = [dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)]
    values = {
        "crm.contacts": {"contact_id": ["C1", "C2"], "email": ["jean@example.com", "Jean@Example.com" + NBSP],
                         "first_name": ["Jean", "Jean"], "last_name": ["Dupont", "Dupont"],
                         "created_at": day, "updated_at": day, "_loaded_at": day},
        "crm.accounts": {"account_id": ["A1"], "name": ["Acme"], "website": ["acme.com"],
                         "created_at": day[:1], "updated_at": day[:1], "_loaded_at": day[:1]},
    }
    for name, cols in values.items():
        table = BY_NAME[name]
        rows = len(next(iter(cols.values())))
        data = pa.table({c: pa.array(cols.get(c, [None] * rows), arrow[t]) for c, t in table.columns})
        (raw / table.schema).mkdir(parents=True, exist_ok=True)
        pq.write_table(data, raw / table.schema / f"{table.name}.parquet")


def build_golden_contacts(tmp: Path, target: str, extra_vars: dict) -> None:
    """dbt build of the golden contacts and what they depend on (seeds, staging, identity), nothing else."""
    from dbt.cli.main import dbtRunner

    args = ["build", "--select", "+int_contacts", "--exclude", "resource_type:test", "test_type:unit",
            "--indirect-selection", "cautious", "--vars", json.dumps({"as_of_date": AS_OF, **extra_vars}),
            "--target", target, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(tmp / f"target_{target}"), "--log-path", str(tmp / "logs"), "--quiet"]
    from customer_scoring.runner import _release_duckdb

    res = dbtRunner().invoke(args)
    _release_duckdb()  # dbt-duckdb keeps the file open in-process
    failed = [r.node.name for r in (res.result or []) if str(r.status) not in ("success", "pass")]
    assert res.success, f"dbt build on {target} failed: {res.exception or failed}"


@pytest.mark.slow
def test_nbsp_duplicate_is_one_golden_contact_on_duckdb(duckdb_dbt):
    build_golden_contacts(duckdb_dbt, "duckdb", {})
    with duckdb.connect(str(duckdb_dbt / "golden.duckdb"), read_only=True) as con:
        rows = con.execute("select contact_id, email, merged_record_count from intermediate.int_contacts").fetchall()
    assert rows == [("C1", "jean@example.com", 2)]


@pytest.mark.postgres
@pytest.mark.slow
def test_nbsp_duplicate_is_one_golden_contact_on_postgres(tmp_path, monkeypatch, pg):
    from customer_scoring.postgres import drop_schemas, load_raw

    raw = tmp_path / "raw"
    write_nbsp_contacts(raw)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    try:
        load_raw(raw, schema_prefix=f"{prefix}_raw_", tables=["crm.contacts", "crm.accounts"], conn=pg)
        monkeypatch.setenv("CS_SCHEMA_PREFIX", prefix)
        build_golden_contacts(tmp_path, "postgres", {"raw_crm_schema": f"{prefix}_raw_crm"})
        rows = run_postgres(pg, f"select contact_id, email, merged_record_count from {prefix}_intermediate.int_contacts")
        assert rows == [("C1", "jean@example.com", 2)]
    finally:
        drop_schemas([f"{prefix}_"], conn=pg)
