"""Pre-flight check of the raw tables, before dbt runs: what a user's export holds against the input contract.

`check(raw_path, target, user_vars)` looks at every contract table (DuckDB: the files under the raw folder;
PostgreSQL: the tables of the raw schemas) and returns a `RawCheck`:
- `errors`: one line per blocking fault, naming table, column and what it is for: a required table that is absent,
  a required column that is missing, two columns of one name (compared without case and surrounding spaces: a CSV
  or Parquet file with `email` twice, a warehouse table with "Email" and email). The runner stops on them before dbt
  parses anything.
- `notes`: what the build will do about the rest, said once: absent optional tables (and what cannot be computed
  without them), missing optional columns (typed NULLs, or their default), extra columns (ignored), the malformed
  lines of a CSV file (quarantined by staging as malformed_line, with their line numbers) and the dialect detected
  for a text file.

A CSV file is read as staging reads it (raw_file_reader): without DuckDB's sniffer, which gives up on a whole file
for one bad line in its sample; the columns are the header line's fields, the delimiter the declared one, else a tab
for .tsv, else whichever of , ; tab | the header line holds most.
- `dbt_vars`: the dialects detected, as var `raw_dialects_detected`; staging layers what the user declared
  (vars `raw_dialect`, `raw_dialects`) over it, so a declared key is never overridden, and detection only fills
  keys the user did not declare (it is not even run for them).

Detection only decides what the values prove, over the whole sample of a table (never one value alone):
- decimal mark: a value holding both '.' and ',' has its decimal mark last ('1.234,50'); a comma followed by other
  than exactly three digits ('12,5', '3,14159') is a decimal comma. Commas only ever followed by exactly three
  digits ('1,234') are ambiguous: nothing is decided and the note says how to declare it (until then such values
  are quarantined or nulled with a reason, never read as 1.234 or 1234 by chance);
- thousands mark: the other mark seen in grouped position, or a space / apostrophe between digit groups;
- date order: day-first when some date starts with a number above 12 ('28/06/2026'), month-first when the second
  number is above 12; undecided (a note) when every date fits both;
- encoding: UTF-8 when the file decodes as UTF-8, else Latin-1 (which Windows exports usually are).
The time zone of timestamps written without an offset cannot be detected: it is UTC unless declared.
"""
from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from customer_scoring.contract import TABLES, RawTable

log = logging.getLogger("customer_scoring")

SAMPLE_ROWS = 20_000
DEFAULT_MAX_LINE_SIZE = 2_000_000  # bytes: DuckDB's default; a longer CSV line is quarantined (dialect max_line_size)
MALFORMED_TEXT = {"MISSING COLUMNS": "too few fields", "TOO MANY COLUMNS": "too many fields",
                  "UNQUOTED VALUE": "a quoted field is not closed",
                  "LINE SIZE OVER MAXIMUM": "longer than max_line_size",
                  "INVALID ENCODING": "not in the file's encoding", "INVALID UNICODE": "not in the file's encoding"}
FILE_SUFFIXES = (("parquet", ".parquet"), ("csv", ".csv"), ("csv", ".csv.gz"), ("csv", ".tsv"))
DATE_PREFIX = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


@dataclass
class TableInfo:
    table: RawTable
    location: str | None = None  # file path or schema.table; None when absent
    fmt: str | None = None  # parquet, csv or table
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # contract-style name -> (name, type)
    header: list[str] = field(default_factory=list)  # CSV: the header line's names
    delimiter: str = ","  # CSV: the delimiter found
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # a name given twice -> its positions
    unread: list[str] = field(default_factory=list)  # other files of the table that the chosen one hides
    malformed: list[tuple[int, str]] = field(default_factory=list)  # CSV: (line, fault) quarantined as malformed_line
    # CSV: (line, following lines) of a quote opened and never closed: every later line was read into that one field
    swallowed: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class RawCheck:
    tables: list[TableInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dbt_vars: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "tables": {t.table.qualified: (t.location or "absent") for t in self.tables},
            "malformed_lines": {t.table.qualified: len(t.malformed) for t in self.tables if t.malformed},
            "errors": self.errors, "notes": self.notes, "detected_vars": self.dbt_vars,
        }


# ------------------------------------------------------------------------------------------------------ locating
def _duckdb_tables(raw: Path, user_vars: dict) -> list[TableInfo]:
    import duckdb

    fmt_var = user_vars.get("raw_format", "auto")
    out = []
    con = duckdb.connect()
    try:
        for t in TABLES:
            info = TableInfo(t)
            ident = user_vars.get(f"{t.schema}__{t.name}_identifier", t.name)
            for fmt, suffix in FILE_SUFFIXES:
                if fmt_var not in ("auto", fmt):
                    continue
                path = raw / t.schema / f"{ident}{suffix}"
                if path.is_file():
                    if info.location:
                        info.unread.append(str(path))
                    else:
                        info.location, info.fmt = str(path), fmt
            if info.location:
                declared = _declared(user_vars, t)
                encoding = declared.get("encoding")
                if encoding is None and info.fmt == "csv":
                    encoding = _file_encoding(Path(info.location))  # a Latin-1 export must be read as such
                try:
                    if info.fmt == "csv":
                        info.delimiter, info.header = _csv_header(con, info, encoding, declared)
                        if not info.header:
                            raise RawCheckError(f"{t.qualified}: {info.location} has no header line: a CSV raw file "
                                                f"starts with the names of its columns (docs/INPUT_CONTRACT.md)")
                        names = [(n, "VARCHAR") for n in info.header]
                        info.duplicates = _duplicates(info.header)
                        if not info.duplicates:
                            info.malformed, info.swallowed = _malformed_lines(con, info, encoding, declared)
                    else:
                        reader = _reader(info, encoding, declared)
                        names = [(r[0], r[1]) for r in con.execute(f"describe select * from {reader}").fetchall()]
                        info.duplicates = _duplicates(_parquet_top_level(con, info.location))
                except duckdb.Error as exc:
                    raise RawCheckError(f"{t.qualified}: cannot read {info.location}: "
                                        f"{str(exc).splitlines()[0]}") from exc
                info.columns = {n.strip().lower(): (n, typ) for n, typ in names}
            out.append(info)
    finally:
        con.close()
    return out


def _sql_str(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _csv_header(con, info: TableInfo, encoding: str | None, declared: dict) -> tuple[str, list[str]]:
    """The delimiter and the column names of a CSV file, from its first line, as staging finds them (raw_file_reader):
    the declared delimiter, else a tab for .tsv, else whichever of , ; tab | the header line holds most."""
    row = con.execute(
        f"select h from read_csv({_sql_str(info.location)}, auto_detect = false, header = false, "
        f"columns = {{'h': 'VARCHAR'}}, delim = chr(1), quote = '', escape = '', strict_mode = false, "
        f"ignore_errors = true, encoding = {_sql_str(_duckdb_encoding(encoding or 'utf-8'))}, "
        f"max_line_size = {_max_line_size(declared)}) limit 1").fetchone()
    line = ((row[0] if row else None) or "").replace("\ufeff", "").replace("\r", "")
    delim = declared.get("delimiter", "auto")
    if delim == "auto" and info.location.endswith(".tsv"):
        delim = "\t"
    elif delim == "auto":
        delim = ","
        for cand in (";", "\t", "|"):
            if line.count(cand) > line.count(delim):
                delim = cand
    quote = declared.get("quote", '"')
    fields = next(csv.reader([line], delimiter=delim, quotechar=quote, skipinitialspace=True), []) \
        if line.strip() else []
    return delim, [f.strip() or f"column{i}" for i, f in enumerate(fields, start=1)]


def _max_line_size(declared: dict) -> int:
    return int(declared.get("max_line_size", DEFAULT_MAX_LINE_SIZE))


def _duplicates(names: list[str]) -> dict[str, list[int]]:
    """Column names that are the same once lower-cased and trimmed -> their positions (from 1)."""
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names, start=1):
        seen.setdefault(n.strip().lower(), []).append(i)
    return {n: pos for n, pos in seen.items() if len(pos) > 1}


def _parquet_top_level(con, path: str) -> list[str]:
    """The top-level column names of a Parquet file as written (DuckDB renames a second 'email' to 'email_1')."""
    rows = con.execute(f"select name, coalesce(num_children, 0) from parquet_schema({_sql_str(path)})").fetchall()
    top, open_children = [], []
    for i, (name, children) in enumerate(rows):
        if i:
            if len(open_children) == 1:
                top.append(name)
            open_children[-1] -= 1
        if children:
            open_children.append(children)
        while open_children and open_children[-1] == 0:
            open_children.pop()
    return top


def _malformed_lines(con, info: TableInfo, encoding: str | None,
                     declared: dict) -> tuple[list[tuple[int, str]], list[tuple[int, int]]]:
    """(line number, DuckDB's error type) of each line staging quarantines as malformed_line; and (line number, count
    of the non-empty lines after it) of each quote opened on a line and never closed, which reads every later line of
    the file into that field."""
    con.execute("drop table if exists temp.main.cs_rejects; drop table if exists temp.main.cs_rejects_scans")
    con.execute(f"select count(*) from {_reader(info, encoding, declared, rejects='cs_rejects')}").fetchall()
    malformed = con.execute("select line, arg_min(error_type, coalesce(column_idx, 0)) from temp.main.cs_rejects "
                            "group by line order by line").fetchall()
    swallowed = []
    for line, text in con.execute("select distinct line, csv_line from temp.main.cs_rejects "
                                  "where error_type = 'UNQUOTED VALUE' order by line").fetchall():
        following = sum(1 for part in (text or "").replace("\r\n", "\n").split("\n")[1:] if part.strip())
        if following:
            swallowed.append((int(line), following))
    return malformed, swallowed


def _reader(info: TableInfo, encoding: str | None, declared: dict, rejects: str = "cs_rows_rejects") -> str:
    """The table function reading a raw file as staging reads it (raw_file_reader): a CSV file without the sniffer,
    its header's columns as text, malformed lines stored in temporary table `rejects` and skipped."""
    path = _sql_str(info.location)
    if info.fmt == "parquet":
        return f"read_parquet({path})"
    quote = _sql_str(declared.get("quote", '"'))
    columns = ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in info.header)
    opts = ["auto_detect = false", "header = true", f"columns = {{{columns}}}", f"delim = {_sql_str(info.delimiter)}",
            f"quote = {quote}", f"escape = {quote}", f"encoding = {_sql_str(_duckdb_encoding(encoding or 'utf-8'))}",
            f"max_line_size = {_max_line_size(declared)}", "store_rejects = true", f"rejects_table = '{rejects}'",
            f"rejects_scan = '{rejects}_scans'"]
    return f"read_csv({path}, {', '.join(opts)})"


def _duckdb_encoding(enc: str) -> str:
    e = enc.lower().replace("_", "-")
    return {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1", "cp1252": "latin-1"}.get(e, e)


def _postgres_tables(user_vars: dict) -> list[TableInfo]:
    from customer_scoring import postgres

    out = []
    conn = postgres.connect()
    try:
        cur = conn.cursor()
        for t in TABLES:
            info = TableInfo(t)
            schema = user_vars.get(f"raw_{t.schema}_schema", f"raw_{t.schema}")
            ident = user_vars.get(f"{t.schema}__{t.name}_identifier", t.name)
            cur.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position", (schema, ident))
            rows = cur.fetchall()
            if rows:
                info.location, info.fmt = f"{schema}.{ident}", "table"
                info.columns = {r[0].strip().lower(): (r[0], r[1]) for r in rows}
                info.duplicates = _duplicates([r[0] for r in rows])  # "Email" and email are two columns here
            out.append(info)
    finally:
        conn.close()
    return out


class RawCheckError(RuntimeError):
    """The raw layer cannot be inspected at all (unreadable file, no connection)."""


# ------------------------------------------------------------------------------------------------------- checking
def _declared(user_vars: dict, t: RawTable) -> dict:
    d = dict(user_vars.get("raw_dialect") or {})
    per = user_vars.get("raw_dialects") or {}
    d.update(per.get(t.schema) or {})
    d.update(per.get(t.qualified) or {})
    return d


def check(raw_path: Path | None, target: str = "duckdb", user_vars: dict | None = None) -> RawCheck:
    """Inspect the raw layer against the contract; see the module docstring."""
    user_vars = user_vars or {}
    res = RawCheck()
    if target == "duckdb":
        raw = Path(raw_path) if raw_path is not None else Path("data/raw")
        if not raw.is_dir():
            res.errors.append(f"raw folder {raw} does not exist (pass --raw <folder> holding <source>/<table>.csv "
                              f"or .parquet files)")
            return res
        res.tables = _duckdb_tables(raw, user_vars)
    else:
        res.tables = _postgres_tables(user_vars)

    detected: dict[str, dict] = {}
    for info in res.tables:
        t = info.table
        switch_off = t.optional_switch and user_vars.get(t.optional_switch) is False
        if info.location is None:
            where = ("a file <raw>/" + t.schema + "/" + t.name + ".parquet or .csv") if target == "duckdb" else \
                f"table raw_{t.schema}.{t.name}"
            if t.required:
                res.errors.append(f"{t.qualified}: absent (no {where}); required: {t.purpose}")
            elif not switch_off:
                res.notes.append(f"{t.qualified}: absent, read as empty ({t.purpose}: not computed)")
            continue
        if info.duplicates:
            # the reader would keep one of them (DuckDB renames the second 'email' to 'email_1'): the first may be
            # the empty one, and every value of the other would be lost without a word
            for name, pos in info.duplicates.items():
                res.errors.append(f"{t.qualified}: {len(pos)} columns are named {name} in {info.location} (columns "
                                  f"{', '.join(map(str, pos))}, names compared without case and surrounding spaces): "
                                  f"only one can be read; remove or rename the others")
            continue
        if info.unread:
            # A user editing the CSV next to a Parquet file of the same table would otherwise change nothing.
            res.notes.append(f"{t.qualified}: read {info.location}; not read: {', '.join(info.unread)} (one file per "
                             f"table: .parquet, then .csv, .csv.gz, .tsv; var raw_format csv reads the CSV)")
        for line, following in info.swallowed:
            # Which of the later lines are rows cannot be known once a quote runs to the end of the file: reading on
            # would quarantine them all as one line (rows lost while the table reconciles), so the build stops.
            res.errors.append(f"{t.qualified}: line {line} of {info.location} opens a quoted field that is never "
                              f"closed, so the {following} line{'s' * (following > 1)} after it would be read as "
                              f"part of that field and lost; close the quote on line {line} (or double a quote that "
                              f"is part of the text: \"\")")
        if info.malformed:
            shown = ", ".join(f"line {n} {MALFORMED_TEXT.get(e, e.lower())}" for n, e in info.malformed[:5])
            more = f" and {len(info.malformed) - 5} more" if len(info.malformed) > 5 else ""
            res.notes.append(f"{t.qualified}: {len(info.malformed)} malformed line{'s' * (len(info.malformed) > 1)} "
                             f"in {info.location} quarantined as malformed_line, the other lines read ({shown}{more}; "
                             f"audit.quarantine has each)")
        missing_required = [c for c in t.required_columns if c.name not in info.columns]
        unknown = sorted(n for n, _ in info.columns.values() if n.strip().lower() not in t.column_names)
        hint = (f" (rename the column that holds it; columns not in the contract: {', '.join(unknown)})"
                if unknown else "")
        for c in missing_required:
            res.errors.append(f"{t.qualified}: column {c.name} is missing from {info.location}; required: {c.purpose}"
                              f"{hint}")
        missing = [c for c in t.specs if not c.required and c.name not in info.columns]
        if missing:
            res.notes.append(f"{t.qualified}: no column {', '.join(c.name for c in missing)} "
                             f"(read as NULL{_defaults(missing)})")
        extra = sorted(n for n, _ in info.columns.values() if n.strip().lower() not in t.column_names)
        if extra:
            res.notes.append(f"{t.qualified}: ignoring columns not in the contract: {', '.join(extra)}")
        if info.fmt in ("csv", "table") and not missing_required:
            found = _detect_dialect(info, _declared(user_vars, t), target)
            for note in found.pop("_notes", []):
                res.notes.append(f"{t.qualified}: {note}")
            if found:
                detected[t.qualified] = found
                res.notes.append(f"{t.qualified}: detected dialect " +
                                 ", ".join(f"{k}={v!r}" for k, v in sorted(found.items())))
    if detected:
        # A separate var: staging layers what the user declares (raw_dialect, raw_dialects) over it.
        res.dbt_vars["raw_dialects_detected"] = detected
    return res


def _defaults(cols) -> str:
    d = [f"{c.name} = {c.default.lstrip('$') if c.default.startswith('$') else repr(c.default)}"
         for c in cols if c.default is not None]
    return "; defaults: " + ", ".join(d) if d else ""


# ------------------------------------------------------------------------------------------------------- dialects
def _sample(info: TableInfo, columns: list[str], declared: dict, target: str) -> tuple[dict[str, list[str]], str]:
    """Up to SAMPLE_ROWS non-empty text values per column, and the encoding used to read them."""
    encoding = declared.get("encoding")
    if target == "duckdb":
        import duckdb

        if encoding is None:
            encoding = _file_encoding(Path(info.location))
        con = duckdb.connect()
        try:
            reader = _reader(info, encoding, declared)
            out = {}
            for c in columns:
                name = info.columns[c][0].replace('"', '""')
                rows = con.execute(
                    f'select trim("{name}") from {reader} where nullif(trim("{name}"), \'\') is not null '
                    f"limit {SAMPLE_ROWS}").fetchall()
                out[c] = [r[0] for r in rows]
            return out, encoding
        finally:
            con.close()
    from customer_scoring import postgres
    from psycopg2 import sql

    conn = postgres.connect()
    try:
        cur = conn.cursor()
        schema, table = info.location.split(".", 1)
        out = {}
        for c in columns:
            if info.columns[c][1] not in ("text", "character varying", "character"):
                continue
            ident = sql.Identifier(info.columns[c][0])
            cur.execute(sql.SQL("select trim({c}) from {t} where nullif(trim({c}), '') is not null limit {n}").format(
                c=ident, t=sql.Identifier(schema, table), n=sql.Literal(SAMPLE_ROWS)))
            out[c] = [r[0] for r in cur.fetchall()]
        return out, "utf-8"
    finally:
        conn.close()


def _file_encoding(path: Path) -> str:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read(8 << 20)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start < len(data) - 4:
            return "latin-1"
    return "utf-8"


def _detect_dialect(info: TableInfo, declared: dict, target: str) -> dict:
    t = info.table
    numeric = [c.name for c in t.specs if c.kind in ("decimal", "integer") and c.name in info.columns]
    dated = [c.name for c in t.specs if c.kind in ("timestamp", "date") and c.name in info.columns]
    if target == "duckdb":
        text_cols = numeric + dated
    else:
        text_cols = [c for c in numeric + dated if info.columns[c][1] in ("text", "character varying", "character")]
    found: dict = {"_notes": []}
    if target == "duckdb" and "encoding" not in declared:
        encoding = _file_encoding(Path(info.location))
        if encoding != "utf-8":
            found["encoding"] = encoding
        declared = {**declared, "encoding": encoding}
    if not text_cols:
        return found
    samples, _ = _sample(info, text_cols, declared, target)
    if "decimal_mark" not in declared:
        marks, note = detect_number_marks([v for c in numeric for v in samples.get(c, [])])
        if note:
            found["_notes"].append(f"{note} (columns {', '.join(numeric)}): e.g. --vars "
                                   f"'{{\"raw_dialects\": {{\"{t.qualified}\": {{\"decimal_mark\": \",\"}}}}}}'")
        for k, v in marks.items():
            if k not in declared:
                found[k] = v
    if "date_order" not in declared:
        order, note = detect_date_order([v for c in dated for v in samples.get(c, [])])
        if note:
            found["_notes"].append(f"{note} (columns {', '.join(dated)}): e.g. --vars "
                                   f"'{{\"raw_dialects\": {{\"{t.qualified}\": {{\"date_order\": \"dmy\"}}}}}}'")
        if order and order != "ymd":
            found["date_order"] = order
    return found


_NUM = re.compile(r"^[-+]?[$€£]?\s*[0-9][0-9.,' ]*\s*[$€£]?$")


def detect_number_marks(values: list[str]) -> tuple[dict, str | None]:
    """Decimal and thousands marks proven by a sample of number texts: ({'decimal_mark': ..., 'thousands_mark':
    ...} with only what the values prove, a note when something stays ambiguous or contradictory)."""
    comma_decimal = dot_decimal = False
    thousands: set[str] = set()
    ambiguous_comma: list[str] = []
    for raw in values:
        v = raw.strip().strip("$€£").strip()
        if not _NUM.match(v):
            continue
        if re.search(r"\d[ '’]\d{3}(\D|$)", v):
            thousands.add("'" if ("'" in v or "’" in v) else " ")
        if "," in v and "." in v:
            if v.rfind(",") > v.rfind("."):
                comma_decimal = True
                thousands.add(".")
            else:
                dot_decimal = True
                thousands.add(",")
        elif "," in v:
            if re.search(r",\d{3}$", v) and not re.search(r",\d{3},\d{3}$", v) and v.count(",") == 1:
                ambiguous_comma.append(raw)
            elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", v):
                thousands.add(",")
            else:
                comma_decimal = True
        elif "." in v:
            if re.fullmatch(r"[-+]?\d{1,3}(\.\d{3}){2,}", v):
                thousands.add(".")
            else:
                dot_decimal = True
    if comma_decimal and dot_decimal:
        return {}, ("numbers are written both with a decimal comma and a decimal point: declare raw_dialects "
                    "decimal_mark and thousands_mark for this table")
    out: dict = {}
    if comma_decimal:
        out["decimal_mark"] = ","
        marks = thousands - {","}
        if len(marks) == 1:
            out["thousands_mark"] = marks.pop()
    elif ambiguous_comma and not dot_decimal and "," not in thousands:
        return {}, (f"{len(ambiguous_comma)} numbers such as '{ambiguous_comma[0]}' could be a thousands comma or a "
                    f"decimal comma: declare raw_dialects decimal_mark (and thousands_mark) for this table; until "
                    f"then they are not read")
    elif "," in thousands or ambiguous_comma:
        out["thousands_mark"] = ","
    elif len(thousands - {".", ","}) == 1:
        out["thousands_mark"] = (thousands - {".", ","}).pop()
    return out, None


def detect_date_order(values: list[str]) -> tuple[str | None, str | None]:
    """'dmy', 'mdy' or None for dates that do not start with the year, with a note when undecided."""
    first = second = 0
    seen = 0
    example = None
    for v in values:
        m = DATE_PREFIX.match(v)
        if not m:
            continue
        seen += 1
        example = example or v
        a, b = int(m.group(1)), int(m.group(2))
        first += a > 12
        second += b > 12
    if not seen:
        return None, None
    if first and second:
        return None, (f"dates are written both day-first and month-first ({seen} dates not starting with the year): "
                      f"declare raw_dialects date_order; until then they are not read")
    if first:
        return "dmy", None
    if second:
        return "mdy", None
    return None, (f"{seen} dates such as '{example}' fit both day-first and month-first: declare raw_dialects "
                  f"date_order (dmy or mdy) for this table; until then they are not read")
