"""The salt of audit.erasure_log's key hashes. When none is configured (no env var CS_ERASURE_SALT, no var
erasure_salt), pii.erasure_salt draws one at random on the first build and keeps it on every later one, even a full
refresh, so a person keeps one hash for the life of the work folder; a new work folder draws another. A configured
salt is used as written (trimmed), the env var before the var. The dbt invocations share one database, one target
folder and the same vars, so each after the first reuses the first one's parse."""
from __future__ import annotations

import json
import re

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from conftest import PROJECT
from customer_scoring.runner import _release_duckdb

VARS = json.dumps({"as_of_date": "2026-06-30", "erasure_salt": "from-the-var"})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One database and one target folder for the module: the first invocation parses, the later ones reuse it."""
    return tmp_path_factory.mktemp("salt")


@pytest.fixture
def dbt(folder, monkeypatch):
    """Runs dbt on the module's database (no configured salt unless a test sets the env var); returns (invoke, db)."""
    monkeypatch.delenv("CS_ERASURE_SALT", raising=False)
    db = folder / "work.duckdb"
    monkeypatch.setenv("CS_DUCKDB_PATH", str(db))

    def invoke(*args: str):
        res = dbtRunner().invoke([*args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                                  "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
                                  "--vars", VARS, "--quiet"])
        _release_duckdb()  # dbt-duckdb keeps the file open in-process
        assert res.success, f"dbt {args[0]} failed: {res.exception}"
        return res

    return invoke, db


def stored_salt(db) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select salt from pii.erasure_salt").fetchall()
    finally:
        con.close()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_a_drawn_salt_is_kept_by_its_work_folder(dbt):
    invoke, db = dbt
    invoke("run", "--select", "erasure_salt")
    drawn = stored_salt(db)
    assert re.fullmatch(r"[0-9a-f]{64}", drawn), drawn
    invoke("run", "--select", "erasure_salt", "--full-refresh")
    assert stored_salt(db) == drawn, "a later build, even a full refresh, keeps the salt"
    con = duckdb.connect(str(db))
    con.execute("drop table pii.erasure_salt")  # a new work folder
    con.close()
    invoke("run", "--select", "erasure_salt")
    assert stored_salt(db) != drawn, "a new work folder draws a salt of its own"


def test_a_configured_salt_is_used_as_written(dbt, monkeypatch):
    invoke, _ = dbt
    sql = "select {{ privacy_salt() }} as salt"
    # var erasure_salt set (VARS), env var unset: the var
    assert invoke("compile", "--inline", sql).result.results[0].node.compiled_code.strip() == \
        "select 'from-the-var' as salt"
    # both: the env var, trimmed, its quote doubled; never a read of pii.erasure_salt
    monkeypatch.setenv("CS_ERASURE_SALT", " s3cr'et ")
    assert invoke("compile", "--inline", sql).result.results[0].node.compiled_code.strip() == \
        "select 's3cr''et' as salt"
