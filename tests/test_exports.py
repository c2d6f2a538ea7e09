"""Activation exports (customer_scoring.activation, the runner's export steps): exactly the columns each channel may
carry, manifest counts and checksums, byte-identical reruns, atomic placement after the publication only, killed runs
cleaned, the SHA-256 of emails as the ad platforms expect it.

Most tests run on a small work database made here with tables of exactly the shapes of the interfaces (config.audiences,
config.channel_columns, marts.audience_members, marts.audience_exclusions, marts.activation_triggers, pii.contacts): no
dbt build. The end-to-end checks read the export the session's demo build (`built`) wrote.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer_scoring import activation, publish, runner

AS_OF = dt.date(2026, 6, 30)

# What each channel may carry (the design's interface 4), held here and not read from config.channel_columns: a seed
# that let a channel carry more would be caught by the scan, not trusted by it.
ALLOWED = {
    "email": {"contact_id", "email", "first_name", "last_name", "score", "tier", "recommended_action"},
    "phone": {"contact_id", "phone", "first_name", "last_name", "score", "tier", "recommended_action"},
    "ads": {"email_sha256"},
    "crm": {"entity_type", "entity_id", "contact_id", "profile", "score", "tier", "recommended_action"},
}
PERSONAL = {"email", "email_sha256", "phone", "first_name", "last_name", "birth_date", "city", "country_code"}

CHANNEL_COLUMNS = [  # channel, column_name, is_default
    *[("email", c, c in ("contact_id", "email", "first_name", "last_name"))
      for c in ("contact_id", "email", "first_name", "last_name", "score", "tier", "recommended_action")],
    *[("phone", c, c in ("contact_id", "phone", "first_name", "last_name"))
      for c in ("contact_id", "phone", "first_name", "last_name", "score", "tier", "recommended_action")],
    ("ads", "email_sha256", True),
    *[("crm", c, True) for c in ("entity_type", "entity_id", "contact_id", "profile", "score", "tier",
                                 "recommended_action")],
]
AUDIENCES = [  # audience, entity_type, profile, tiers, channel, columns
    ("retain_at_risk_email", "customer", "retain", "A;B", "email", ""),
    ("call_list_phone", "lead", "lead", "A", "phone", "contact_id;phone;first_name;last_name;score"),
    ("lookalikes_ads", "customer", "acquire", "A", "ads", ""),
    ("hot_leads_crm", "lead", "lead", "", "crm", ""),
    ("top_accounts_crm", "account", "account", "A", "crm", "entity_id;score;tier"),
]


def norm_email(raw: str) -> str:
    """The documented normalisation (pii.contacts.email): trimmed, lower case."""
    return raw.strip().lower()


def sha(raw: str) -> str:
    return hashlib.sha256(norm_email(raw).encode("utf-8")).hexdigest()


CONTACTS = [  # contact_id, email as entered, phone, first_name, last_name, birth_date, city
    ("C001", "  Anne.Martin@Example.FR ", "+33612345678", "Anne", "Martin", dt.date(1980, 1, 2), "Lyon"),
    ("C002", "bob@example.com", "+33698765432", "Bob, Jr.", 'O"Neil', dt.date(1975, 5, 6), "Paris"),
    ("C003", "chloé@exemple.fr", None, "Chloé", "Dupré", None, "Nantes"),
    ("C004", "dan@example.com", "+33611112222", "Dan", "", dt.date(1990, 3, 4), None),
    ("C005", "eve@example.com", "+33633334444", "Eve", "Lee", dt.date(1985, 7, 8), "Lille"),
]
MEMBERS = [  # audience, entity_type, entity_id, contact_id, profile, score, tier
    ("retain_at_risk_email", "customer", "C002", "C002", "retain", "81.50", "A"),
    ("retain_at_risk_email", "customer", "C001", "C001", "retain", "64.00", "B"),
    ("retain_at_risk_email", "customer", "C003", "C003", "retain", "70.25", "B"),
    ("call_list_phone", "lead", "C005", "C005", "lead", "90.00", "A"),
    ("call_list_phone", "lead", "C004", "C004", "lead", "88.10", "A"),
    ("lookalikes_ads", "customer", "C001", "C001", "acquire", "77.00", "A"),
    ("lookalikes_ads", "customer", "C003", "C003", "acquire", "75.00", "A"),
    ("hot_leads_crm", "lead", "C004", "C004", "lead", "88.10", "A"),
    ("hot_leads_crm", "lead", "C005", "C005", "lead", "90.00", "A"),
    ("top_accounts_crm", "account", "ACC9", None, "account", "93.00", "A"),
]
EXCLUSIONS = [  # audience, entity_id, contact_id, reason
    ("retain_at_risk_email", "C004", "C004", "unsubscribed"),
    ("retain_at_risk_email", "C005", "C005", "no_consent"),
    ("retain_at_risk_email", "C006", "C006", "no_consent"),
    ("call_list_phone", "C003", "C003", "missing_address"),
    ("lookalikes_ads", "C002", "C002", "no_consent"),
    ("hot_leads_crm", "C006", "C006", "do_not_contact"),
]
TRIGGERS = [  # trigger_id, first_exported_on, trigger_type, entity_id, from_tier, to_tier
    ("t2", AS_OF, "entered_tier", "C002", "B", "A"),
    ("t1", AS_OF, "new_mql", "C005", None, "A"),
    ("t0", AS_OF - dt.timedelta(days=30), "left_tier", "C001", "A", "B"),  # sent by an earlier date: not again
]


def make_work_db(path: Path, channel_columns=CHANNEL_COLUMNS, audiences=AUDIENCES, members=MEMBERS) -> Path:
    """A work database holding the six relations an export reads, with the interfaces' columns and types."""
    con = duckdb.connect(str(path))
    try:
        for schema in ("config", "marts", "pii"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create or replace table config.audiences (audience varchar, entity_type varchar, "
                    "profile varchar, tiers varchar, condition_field varchar, condition_operator varchar, "
                    "condition_value varchar, channel varchar, columns varchar, description varchar)")
        for name, entity, profile, tiers, channel, columns in audiences:
            con.execute("insert into config.audiences values (?, ?, ?, ?, null, null, null, ?, ?, 'test')",
                        [name, entity, profile, tiers, channel, columns or None])
        con.execute("create or replace table config.channel_columns (channel varchar, column_name varchar, "
                    "is_default boolean, description varchar)")
        con.executemany("insert into config.channel_columns values (?, ?, ?, 'test')", channel_columns)
        con.execute("create or replace table marts.audience_members (audience varchar, channel varchar, "
                    "as_of_date date, entity_type varchar, entity_id varchar, contact_id varchar, profile varchar, "
                    "score decimal(5, 2), tier varchar, recommended_action varchar)")
        channel_of = {a[0]: a[4] for a in audiences}
        con.executemany("insert into marts.audience_members values (?, ?, ?, ?, ?, ?, ?, cast(? as decimal(5, 2)), "
                        "?, 'act ' || ?)",
                        [(a, channel_of[a], AS_OF, e, i, c, p, s, t, t) for a, e, i, c, p, s, t in members])
        con.execute("create or replace table marts.audience_exclusions (audience varchar, channel varchar, "
                    "as_of_date date, entity_type varchar, entity_id varchar, contact_id varchar, reason varchar)")
        con.executemany("insert into marts.audience_exclusions values (?, ?, ?, 'customer', ?, ?, ?)",
                        [(a, channel_of[a], AS_OF, i, c, r) for a, i, c, r in EXCLUSIONS])
        con.execute("create or replace table marts.activation_triggers (trigger_id varchar, first_exported_on date, "
                    "changed_on date, trigger_type varchar, entity_type varchar, entity_id varchar, "
                    "contact_id varchar, profile varchar, from_tier varchar, to_tier varchar, "
                    "score_before decimal(5, 2), score_after decimal(5, 2), moved_factors varchar)")
        con.executemany("insert into marts.activation_triggers values (?, ?, ?, ?, 'lead', ?, ?, 'lead', ?, ?, "
                        "50.00, 88.50, 'recency +12.0; frequency +6.5')",
                        [(t, d, d, k, e, e, f, to) for t, d, k, e, f, to in TRIGGERS])
        con.execute("create or replace table pii.contacts (contact_id varchar, email varchar, email_sha256 varchar, "
                    "phone varchar, first_name varchar, last_name varchar, birth_date date, city varchar, "
                    "country_code varchar)")
        con.executemany("insert into pii.contacts values (?, ?, ?, ?, ?, ?, ?, ?, 'FR')",
                        [(c, norm_email(e), sha(e), ph, f, la, b, city) for c, e, ph, f, la, b, city in CONTACTS])
    finally:
        con.close()
    return path


def export(db: Path, out: Path, run_id: str = "run1", as_of: dt.date = AS_OF) -> Path:
    source = activation.duckdb_source(db)
    try:
        prepared = activation.prepare(source, out, as_of, run_id)
    finally:
        source.close()
    return activation.place(prepared)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def scan_export(folder: Path) -> list[str]:
    """Every file of an export set against the channel rules: the faults found (empty when it is clean). Each
    audience's CSV and Parquet hold only the columns its channel may carry, exactly those the manifest lists, the rows
    it counts; an ads file holds SHA-256 hex digests only; no file but an email or phone audience's holds an @;
    the triggers carry no personal column."""
    manifest = activation.read_manifest(folder)
    faults = []
    names = {p.name for p in folder.iterdir()}
    expected = {activation.MANIFEST, "triggers.csv", "triggers.parquet"}
    for name, a in manifest["audiences"].items():
        expected |= {f"{name}.csv", f"{name}.parquet"}
        allowed = ALLOWED[a["channel"]]
        header, rows = read_csv(folder / f"{name}.csv")
        con = duckdb.connect()
        pq_columns = [r[0] for r in con.execute(f"describe select * from '{folder / (name + '.parquet')}'").fetchall()]
        pq_rows = con.execute(f"select count(*) from '{folder / (name + '.parquet')}'").fetchone()[0]
        con.close()
        for kind, columns in (("csv", header), ("parquet", pq_columns)):
            if set(columns) - allowed:
                faults.append(f"{name}.{kind} ({a['channel']}): {sorted(set(columns) - allowed)} not allowed")
            if columns != a["columns"]:
                faults.append(f"{name}.{kind}: columns {columns} != manifest {a['columns']}")
        if len(rows) != a["rows"] or pq_rows != a["rows"]:
            faults.append(f"{name}: {len(rows)} csv / {pq_rows} parquet rows != manifest {a['rows']}")
        if a["channel"] not in ("email", "phone") and any("@" in v for r in rows for v in r):
            faults.append(f"{name}.csv ({a['channel']}): an email address in a file that may not carry one")
        if a["channel"] == "ads" and not all(len(v) == 64 and set(v) <= set("0123456789abcdef") for r in rows
                                             for v in r):
            faults.append(f"{name}.csv: a value that is not a lower-case SHA-256 hex digest")
    header, rows = read_csv(folder / "triggers.csv")
    if set(header) & PERSONAL or any("@" in v for r in rows for v in r):
        faults.append(f"triggers.csv carries personal data: {sorted(set(header) & PERSONAL)}")
    if names != expected:
        faults.append(f"files {sorted(names ^ expected)} unexpected or missing")
    return faults


@pytest.fixture()
def work(tmp_path) -> Path:
    return make_work_db(tmp_path / "work.duckdb")


# --- columns per channel ------------------------------------------------------------------------------------------

def test_each_audience_exports_exactly_its_channels_columns(work, tmp_path):
    folder = export(work, tmp_path / "exports")
    assert folder == tmp_path / "exports" / "2026-06-30"
    assert scan_export(folder) == []
    m = activation.read_manifest(folder)["audiences"]
    # defaults in the documented order; an audience's own list in its order
    assert m["retain_at_risk_email"]["columns"] == ["contact_id", "email", "first_name", "last_name"]
    assert m["call_list_phone"]["columns"] == ["contact_id", "phone", "first_name", "last_name", "score"]
    assert m["lookalikes_ads"]["columns"] == ["email_sha256"]
    assert m["hot_leads_crm"]["columns"] == ["entity_type", "entity_id", "contact_id", "profile", "score", "tier",
                                             "recommended_action"]
    assert m["top_accounts_crm"]["columns"] == ["entity_id", "score", "tier"]
    # personal columns joined from pii.contacts, rows ordered by entity_id, CSV quoting and decimals kept
    text = (folder / "retain_at_risk_email.csv").read_text(encoding="utf-8")
    assert text == ("contact_id,email,first_name,last_name\n"
                    "C001,anne.martin@example.fr,Anne,Martin\n"
                    'C002,bob@example.com,"Bob, Jr.","O""Neil"\n'
                    "C003,chloé@exemple.fr,Chloé,Dupré\n")
    # an empty last name is "" and stays apart from a missing value (an empty field)
    assert (folder / "call_list_phone.csv").read_text() == ("contact_id,phone,first_name,last_name,score\n"
                                                            'C004,+33611112222,Dan,"",88.10\n'
                                                            "C005,+33633334444,Eve,Lee,90.00\n")
    assert (folder / "top_accounts_crm.csv").read_text() == "entity_id,score,tier\nACC9,93.00,A\n"


def test_the_scan_catches_a_column_its_channel_may_not_carry(tmp_path):
    # A configuration that let the crm channel carry the email (the seed's validation would refuse it; the export
    # must not be trusted either way): the exporter follows the configuration, the scan fails on the file.
    loose = [*CHANNEL_COLUMNS, ("crm", "email", False)]
    db = make_work_db(tmp_path / "loose.duckdb", channel_columns=loose,
                      audiences=[*AUDIENCES[:3], ("hot_leads_crm", "lead", "lead", "", "crm", "entity_id;email"),
                                 AUDIENCES[4]])
    folder = export(db, tmp_path / "exports")
    faults = scan_export(folder)
    assert any(f.startswith("hot_leads_crm.csv (crm): ['email'] not allowed") for f in faults), faults
    assert any("hot_leads_crm.csv (crm): an email address" in f for f in faults), faults


def test_a_column_outside_the_channel_is_refused(tmp_path):
    db = make_work_db(tmp_path / "bad.duckdb",
                      audiences=[*AUDIENCES[:4], ("top_accounts_crm", "account", "account", "A", "crm",
                                                  "entity_id;email;birth_date")])
    source = activation.duckdb_source(db)
    try:
        with pytest.raises(activation.ExportError, match=r"audience top_accounts_crm: channel crm may not carry "
                                                         r"email, birth_date"):
            activation.prepare(source, tmp_path / "exports", AS_OF, "run1")
    finally:
        source.close()
    assert not (tmp_path / "exports").exists() or list((tmp_path / "exports").iterdir()) == []


# --- manifest -------------------------------------------------------------------------------------------------------

def test_manifest_counts_rows_exclusions_and_checksums(work, tmp_path):
    folder = export(work, tmp_path / "exports")
    m = activation.read_manifest(folder)
    assert m["run_id"] == "run1" and m["as_of_date"] == "2026-06-30"
    retain = m["audiences"]["retain_at_risk_email"]
    assert (retain["channel"], retain["rows"], retain["excluded_rows"]) == ("email", 3, 3)
    assert retain["excluded_by_reason"] == {"do_not_contact": 0, "unsubscribed": 1, "hard_bounce": 0,
                                            "no_consent": 2, "missing_address": 0}
    assert m["audiences"]["call_list_phone"]["excluded_by_reason"]["missing_address"] == 1
    assert m["audiences"]["hot_leads_crm"]["excluded_by_reason"]["do_not_contact"] == 1
    assert m["audiences"]["top_accounts_crm"]["excluded_rows"] == 0
    for a in m["audiences"].values():
        assert sum(a["excluded_by_reason"].values()) == a["excluded_rows"]
    # only the triggers first exported on the as-of date, ordered by trigger_id
    assert m["triggers"]["rows"] == 2 and m["triggers"]["by_type"] == {"entered_tier": 1, "new_mql": 1}
    header, rows = read_csv(folder / "triggers.csv")
    assert header == list(activation.TRIGGER_COLUMNS) and [r[0] for r in rows] == ["t1", "t2"]
    files = {n: s for a in [*m["audiences"].values(), m["triggers"]] for n, s in a["files"].items()}
    assert len(files) == 2 * (len(AUDIENCES) + 1)
    for name, digest in files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_ads_hash_is_sha256_of_the_trimmed_lower_case_email(work, tmp_path):
    folder = export(work, tmp_path / "exports")
    _, rows = read_csv(folder / "lookalikes_ads.csv")
    # C001 was entered as "  Anne.Martin@Example.FR ": the digest of "anne.martin@example.fr"
    assert [r[0] for r in rows] == [hashlib.sha256(b"anne.martin@example.fr").hexdigest(),
                                    hashlib.sha256("chloé@exemple.fr".encode()).hexdigest()]


# --- determinism, atomic placement ------------------------------------------------------------------------------

def test_a_rerun_writes_byte_identical_files_and_replaces_the_set(work, tmp_path):
    out = tmp_path / "exports"
    first = export(work, out, run_id="run1")
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    inode = first.stat().st_ino
    second = export(work, out, run_id="run2")
    after = {p.name: p.read_bytes() for p in second.iterdir()}
    assert second == first and second.stat().st_ino != inode  # a new folder, exchanged in whole
    assert sorted(after) == sorted(before)
    for name in before:
        if name == activation.MANIFEST:
            # the same manifest but for the run id
            assert after[name] == before[name].replace(b'"run_id": "run1"', b'"run_id": "run2"')
        else:
            assert after[name] == before[name], name
    assert sorted(p.name for p in out.iterdir()) == ["2026-06-30"]  # nothing left beside it


def test_a_rerun_replaces_the_set_where_folders_cannot_be_exchanged(work, tmp_path):
    out = tmp_path / "exports"
    export(work, out, run_id="run1")
    con = duckdb.connect(str(work))
    con.execute("delete from marts.audience_members where audience = 'hot_leads_crm' and entity_id = 'C004'")
    con.close()
    source = activation.duckdb_source(work)
    prepared = activation.prepare(source, out, AS_OF, "run2")
    source.close()

    def no_exchange(a, b):
        raise OSError(22, "Invalid argument")

    folder = activation.place(prepared, exchange=no_exchange)
    assert activation.read_manifest(folder)["audiences"]["hot_leads_crm"]["rows"] == 1
    assert sorted(p.name for p in out.iterdir()) == ["2026-06-30"]


KILLED_CHILD = r"""
import datetime as dt, os, signal, sys
from pathlib import Path
from customer_scoring import activation
source = activation.duckdb_source(Path(sys.argv[1]))
prepared = activation.prepare(source, Path(sys.argv[2]), dt.date(2026, 6, 30), "killed")
print(prepared.tmp, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # killed between the export step and the publication
"""


def test_a_killed_run_leaves_no_set_and_its_temporary_folder_is_cleaned(work, tmp_path):
    out = tmp_path / "exports"
    export(work, out, run_id="run1")
    manifest = (out / "2026-06-30" / activation.MANIFEST).read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(work), str(out)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    tmp = Path(proc.stdout.strip())
    assert tmp.is_dir() and tmp.parent == out and tmp.name.startswith(".2026-06-30.killed.")
    # the current set is the earlier run's, whole
    assert (out / "2026-06-30" / activation.MANIFEST).read_bytes() == manifest
    assert activation.clean_stale(out) == [tmp]
    assert sorted(p.name for p in out.iterdir()) == ["2026-06-30"]


def test_a_set_moved_aside_by_a_killed_run_is_restored(work, tmp_path):
    out = tmp_path / "exports"
    folder = export(work, out, run_id="run1")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    aside = out / f".2026-06-30.run2.{dead}.old"
    os.rename(folder, aside)  # killed between the two renames of a placement without exchange
    assert activation.clean_stale(out) == []
    assert activation.read_manifest(folder)["run_id"] == "run1"


# --- the runner: prepared before the publication, placed only after it ------------------------------------------

def fake_build(root: Path, db_maker=make_work_db) -> runner.BuildSettings:
    """A work folder as a passing build leaves it (its work database and last_run.json), for `publish` to publish
    and export again without dbt."""
    work_dir = root / "build"
    (work_dir / "logs").mkdir(parents=True)
    db_maker(work_dir / "customer_scoring.duckdb")
    public = ["marts.activation_triggers", "marts.audience_exclusions", "marts.audience_members"]
    (work_dir / "logs" / "last_run.json").write_text(json.dumps({
        "run_id": "build1", "as_of_date": AS_OF.isoformat(), "publishable": True, "public_relations": public,
        "built_public": public}))
    return runner.BuildSettings(as_of=AS_OF, work_dir=work_dir, publish_dir=root / "publish")


def test_publish_exports_after_the_publication(tmp_path):
    settings = fake_build(tmp_path)
    res = runner.publish_last(settings)
    assert res.success, res.error
    assert [s.name for s in res.steps] == ["export", "publish", "export (place)"]
    assert res.exports == tmp_path / "exports" / "2026-06-30"
    m = activation.read_manifest(res.exports)
    assert m["run_id"] == res.run_id  # the publication's run id (meta.publication)
    con = duckdb.connect(str(res.publication), read_only=True)
    assert con.execute("select run_id from meta.publication").fetchone()[0] == res.run_id
    con.close()
    assert json.loads((settings.work_dir / "logs" / "last_run.json").read_text())["exports"] == str(res.exports)


def test_a_refused_or_failed_publication_moves_nothing(tmp_path, monkeypatch):
    settings = fake_build(tmp_path)
    assert runner.publish_last(settings).success
    exports = tmp_path / "exports"
    before = {p.name: p.read_bytes() for p in (exports / "2026-06-30").iterdir()}
    # the audiences shrink by more than half: the publication is refused, the previous export set stays
    con = duckdb.connect(str(settings.work_db))
    con.execute("delete from marts.audience_members where audience <> 'top_accounts_crm'")
    con.close()
    res = runner.publish_last(settings)
    assert res.refused and res.exit_code == runner.EXIT_REFUSED and res.exports is None
    assert [(s.name, s.success) for s in res.steps] == [("export", True), ("publish", False)]
    assert {p.name: p.read_bytes() for p in (exports / "2026-06-30").iterdir()} == before
    assert sorted(p.name for p in exports.iterdir()) == ["2026-06-30"]  # the prepared set removed

    def failing(*args, **kwargs):
        raise publish.PublishError("could not lock the published tables (test)")

    monkeypatch.setattr(publish, "publish_duckdb", failing)
    settings.accept_row_loss = True
    res = runner.publish_last(settings)
    assert not res.success and res.failed_step == "publish"
    assert {p.name: p.read_bytes() for p in (exports / "2026-06-30").iterdir()} == before
    assert sorted(p.name for p in exports.iterdir()) == ["2026-06-30"]


def test_no_export_and_export_dir(tmp_path):
    settings = fake_build(tmp_path)
    settings.export = False
    res = runner.publish_last(settings)
    assert res.success and [s.name for s in res.steps] == ["publish"] and res.exports is None
    assert not (tmp_path / "exports").exists()
    settings.export, settings.export_dir = True, tmp_path / "elsewhere"
    res = runner.publish_last(settings)
    assert res.success and res.exports == tmp_path / "elsewhere" / "2026-06-30"


def test_command_line_options():
    from customer_scoring import cli

    seen = {}

    def fake_publish_last(settings):
        seen["settings"] = settings
        return runner.BuildResult(run_id="x", as_of=AS_OF, steps=[], success=True)

    original = runner.publish_last
    runner.publish_last = fake_publish_last
    try:
        cli.main(["publish", "--work-dir", "w", "--export-dir", "/tmp/somewhere", "--no-export"])
        assert seen["settings"].export is False and seen["settings"].export_dir == Path("/tmp/somewhere")
        cli.main(["publish", "--work-dir", "w"])
        assert seen["settings"].export is True and seen["settings"].export_dir == Path("exports")
    finally:
        runner.publish_last = original


# --- PostgreSQL: the same relations in build_* schemas give the same bytes --------------------------------------

PG_TYPES = {"VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean", "DECIMAL(5,2)": "numeric(5, 2)"}


@pytest.mark.postgres
def test_postgres_source_writes_the_same_files(work, tmp_path):
    """The six relations copied as they are into build_* schemas of PostgreSQL (text, numeric(5, 2), date, boolean;
    an empty last name and null cities included): the export is byte for byte the DuckDB one, manifest included."""
    from conftest import connect_postgres
    from psycopg2 import sql

    pg = connect_postgres()
    duck = duckdb.connect(str(work), read_only=True)
    try:
        with pg, pg.cursor() as cur:
            for schema, table in activation.RELATIONS.values():
                target = sql.Identifier(f"build_{schema}", table)
                cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(f"build_{schema}")))
                cur.execute(sql.SQL("drop table if exists {}").format(target))
                cols = duck.execute(f"select column_name, data_type from information_schema.columns "
                                    f"where table_schema = '{schema}' and table_name = '{table}' "
                                    f"order by ordinal_position").fetchall()
                cur.execute(sql.SQL("create table {} ({})").format(target, sql.SQL(", ").join(
                    sql.SQL("{} " + PG_TYPES[t]).format(sql.Identifier(c)) for c, t in cols)))
                rows = duck.execute(f'select * from "{schema}"."{table}"').fetchall()
                if rows:
                    cur.executemany(sql.SQL("insert into {} values ({})").format(
                        target, sql.SQL(", ").join(sql.Placeholder() * len(cols))), rows)
        source = activation.postgres_source("build_", conn=pg)
        try:
            prepared = activation.prepare(source, tmp_path / "pg", AS_OF, "run1")
        finally:
            source.close()
    finally:
        duck.close()
        with pg, pg.cursor() as cur:
            for schema in {s for s, _ in activation.RELATIONS.values()}:
                cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(f"build_{schema}")))
        pg.close()
    on_pg = activation.place(prepared)
    on_duck = export(work, tmp_path / "duck", run_id="run1")
    assert sorted(p.name for p in on_pg.iterdir()) == sorted(p.name for p in on_duck.iterdir())
    for p in on_duck.iterdir():
        assert (on_pg / p.name).read_bytes() == p.read_bytes(), p.name
    assert 'C004,+33611112222,Dan,"",88.10\n' in (on_pg / "call_list_phone.csv").read_text()


def test_an_erasure_removes_the_other_dates_export_sets(tmp_path):
    settings = fake_build(tmp_path)
    earlier = tmp_path / "exports" / "2026-05-31"
    earlier.mkdir(parents=True)
    (earlier / "retain_at_risk_email.csv").write_text("contact_id,email\nC009,erased@example.com\n")
    con = duckdb.connect(str(settings.work_db))
    con.execute("create schema audit")
    con.execute("create table audit.erasure_log (request_id varchar, key_hash varchar, table_name varchar, "
                "rows_removed bigint, applied_on date)")
    con.execute("insert into audit.erasure_log values ('r1', 'h', 'crm.contacts', 1, date '2026-05-31')")
    con.close()
    # a request applied by an earlier build: the sets written since then were already without the person
    res = runner.publish_last(settings)
    assert res.success and earlier.is_dir()
    con = duckdb.connect(str(settings.work_db))
    con.execute("insert into audit.erasure_log values ('r2', 'h2', 'crm.contacts', 2, ?), ('r2', 'h2', "
                "'shop.orders', 3, ?)", [AS_OF, AS_OF])
    con.close()
    res = runner.publish_last(settings)
    assert res.success, res.error
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["2026-06-30"]
    place = next(s for s in res.steps if s.name == "export (place)")
    assert place.detail.endswith("1 erasure request(s) applied as of 2026-06-30: removed the export sets of "
                                 "2026-05-31")


def test_a_build_without_every_model_an_export_reads_exports_nothing(tmp_path):
    settings = fake_build(tmp_path)
    result = runner.BuildResult(run_id="r", as_of=AS_OF, steps=[], success=False)
    marts = {("marts", "audience_members"), ("marts", "audience_exclusions"), ("marts", "activation_triggers")}
    exported: dict = {}
    detail = runner._export_prepare(settings, result, exported, marts)
    assert detail == "skipped: pii.contacts not part of this build; the previous exports, if any, stay"
    assert detail == runner._export_prepare(settings, result, exported, marts | {("pii", "other")})
    assert exported == {} and not (tmp_path / "exports").exists()
    assert runner._export_prepare(settings, result, exported, marts | {("pii", "contacts")}).startswith(
        "5 audience(s), 10 rows, 6 excluded, 2 trigger(s); placed in ")
    activation.discard(exported["prepared"])


def test_publish_of_a_build_without_pii_contacts_publishes_and_exports_nothing(tmp_path):
    def without_contacts(path):
        make_work_db(path)
        con = duckdb.connect(str(path))
        con.execute("drop table pii.contacts")
        con.close()

    settings = fake_build(tmp_path, db_maker=without_contacts)
    res = runner.publish_last(settings)
    assert res.success and res.exports is None and [s.name for s in res.steps] == ["export", "publish"]
    assert res.steps[0].detail.startswith("skipped: pii.contacts missing from the work database ")


# --- end to end: the export the session's demo build wrote (`built`, 2,000 contacts, no build of its own) ---------

@pytest.fixture(scope="module")
def demo_export(built) -> Path:
    steps = {s.name: s.detail for s in built.steps}
    assert built.exports == built.publication.parent.parent / "exports" / "2026-06-30", steps.get("export")
    return built.exports


@pytest.fixture(scope="module")
def demo_work(built):
    from conftest import work_db

    con = duckdb.connect(str(work_db(built)), read_only=True)
    yield con
    con.close()


def test_demo_export_obeys_every_channel(demo_export, demo_work):
    assert scan_export(demo_export) == []
    m = activation.read_manifest(demo_export)
    configured = {r[0]: r[1] for r in demo_work.execute("select audience, channel from config.audiences").fetchall()}
    assert {n: a["channel"] for n, a in m["audiences"].items()} == configured
    assert {"email", "phone", "ads", "crm"} <= set(configured.values())


def test_demo_manifest_counts_equal_the_published_marts(demo_export, pub):
    m = activation.read_manifest(demo_export)
    assert m["run_id"] == pub.execute("select run_id from meta.publication").fetchone()[0]
    for name, a in m["audiences"].items():
        rows = pub.execute("select count(*) from marts.audience_members where audience = ?", [name]).fetchone()[0]
        reasons = dict(pub.execute("select reason, count(*) from marts.audience_exclusions where audience = ? "
                                   "group by 1", [name]).fetchall())
        assert (a["rows"], {k: v for k, v in a["excluded_by_reason"].items() if v}) == (rows, reasons), name
    assert sum(a["rows"] for a in m["audiences"].values()) > 0
    assert sum(a["excluded_rows"] for a in m["audiences"].values()) > 0
    triggers = pub.execute("select count(*) from marts.activation_triggers where first_exported_on = ?",
                           [AS_OF]).fetchone()[0]
    assert m["triggers"]["rows"] == triggers


def test_demo_email_hashes_follow_the_documented_normalisation(demo_export, demo_work, demo_raw):
    contacts = demo_work.execute("select contact_id, email, email_sha256 from pii.contacts").fetchall()
    with_email = [(c, e, h) for c, e, h in contacts if e is not None]
    assert with_email and all(h is None for _, e, h in contacts if e is None)
    for contact_id, email, digest in with_email:
        assert email == email.strip().lower(), contact_id
        assert digest == hashlib.sha256(email.encode("utf-8")).hexdigest(), contact_id
    # raw e-mails entered with capitals or spaces (the demo's duplicates): their golden contact's e-mail is the
    # trimmed lower-case form and its digest that form's SHA-256
    raw = duckdb.connect().execute(
        f"select contact_id, email from '{demo_raw / 'crm' / 'contacts.parquet'}' "
        f"where email <> lower(trim(email))").fetchall()
    master = dict(demo_work.execute("select contact_id, master_contact_id "
                                    "from intermediate.int_contacts__identity").fetchall())
    golden = {c: (e, h) for c, e, h in with_email}
    checked = 0
    for contact_id, email in raw:
        if master.get(contact_id) in golden:
            assert golden[master[contact_id]] == (norm_email(email), sha(email)), (contact_id, email)
            checked += 1
    assert checked >= 3, raw
    # each ads file: the members' digests, nothing else
    m = activation.read_manifest(demo_export)
    for name, a in m["audiences"].items():
        if a["channel"] != "ads":
            continue
        _, rows = read_csv(demo_export / f"{name}.csv")
        expected = sorted(h for (h,) in demo_work.execute(
            "select p.email_sha256 from marts.audience_members as m inner join pii.contacts as p "
            "on p.contact_id = m.contact_id where m.audience = ?", [name]).fetchall())
        assert sorted(r[0] for r in rows) == expected and len(rows) == a["rows"]
