"""The orchestration examples of docs/orchestration: the Dagster definitions load from the project's manifest (dagster
and dagster-dbt are in the dev extras) and map the runner's exit codes; the cron script retries a held lock and exits
with the build's code. The runner itself is replaced by a stub that prints a recorded JSON result: no build runs here."""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from conftest import PROJECT
from test_conventions import parse_lint_project

ORCH = PROJECT / "docs" / "orchestration"

RESULT = {"run_id": "20261202T050000Z-abc123", "as_of_date": "2026-06-30", "success": True,
          "publication": "/srv/publish/customer_scoring.duckdb", "error": None, "failures": [], "warnings": [],
          "steps": [{"name": "dbt build", "seconds": 41.2, "success": True, "detail": "656 nodes"}], "exit_code": 0}


def write_stub(folder, codes: list[int]):
    """A `customer-scoring` stand-in: appends its arguments to calls.jsonl, prints RESULT (with the error of a
    failure) and exits with the next code of `codes` (the last one repeats)."""
    stub = folder / "customer-scoring"
    stub.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, pathlib, sys
        here = pathlib.Path({str(folder)!r})
        calls = here / "calls.jsonl"
        n = len(calls.read_text().splitlines()) if calls.exists() else 0
        with calls.open("a") as f:
            f.write(json.dumps(sys.argv[1:]) + "\\n")
        codes = {codes!r}
        code = codes[min(n, len(codes) - 1)]
        result = dict({RESULT!r}, exit_code=code, success=code == 0)
        if code:
            result["error"] = "step dbt build failed: customer_scores: fail"
            result["failures"] = ["customer_scores: fail"]
        if code != 2:
            print(json.dumps(result))
        sys.exit(code)
        """))
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return stub


def calls(folder) -> list[list[str]]:
    return [json.loads(line) for line in (folder / "calls.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    """docs/orchestration/dagster_definitions.py, imported with the lint parse's manifest."""
    dg = pytest.importorskip("dagster", reason="dagster is not installed (scripts/setup.sh --dev installs it)")
    pytest.importorskip("dagster_dbt", reason="dagster-dbt is not installed (scripts/setup.sh --dev installs it)")
    _, target = parse_lint_project(tmp_path_factory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS_DBT_MANIFEST", str(target / "manifest.json"))
        mp.setenv("CS_WORK_DIR", str(tmp_path_factory.mktemp("dagster_work")))
        spec = importlib.util.spec_from_file_location("cs_dagster_definitions", ORCH / "dagster_definitions.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return dg, module


def test_dagster_definitions_load(definitions):
    dg, mod = definitions
    dg.Definitions.validate_loadable(mod.defs)
    specs = {s.key: s for s in mod.customer_scoring_assets.specs}
    scores = specs[dg.AssetKey(["marts", "customer_scores"])]
    # the dbt group is the Dagster group, its owner the asset's owner (models/_groups.yml)
    assert scores.group_name == "customer"
    assert scores.owners == ["customer-analytics@example.com"]
    assert dg.AssetKey(["audit", "quarantine"]) in specs
    assert dg.AssetKey(["config", "scoring_weights"]) in specs
    assert mod.defs.resolve_job_def("nightly_build") is not None
    assert mod.defs.resolve_schedule_def("nightly_build_schedule").cron_schedule == "0 5 * * *"


def test_dagster_materialises_through_the_runner(definitions, tmp_path, monkeypatch):
    dg, mod = definitions
    monkeypatch.setattr(mod, "BUILD_COMMAND", [str(write_stub(tmp_path, [0])), "build"])
    monkeypatch.setattr(mod, "BUILD_ARGS", ["--raw", "data/raw"])
    everything = dg.materialize([mod.customer_scoring_assets])
    assert everything.success
    events = everything.get_asset_materialization_events()
    assert len(events) == len(list(mod.customer_scoring_assets.keys))
    meta = events[0].materialization.metadata
    assert meta["run_id"].value == RESULT["run_id"] and meta["as_of_date"].value == "2026-06-30"
    one = dg.materialize([mod.customer_scoring_assets], selection=[dg.AssetKey(["marts", "customer_scores"])])
    assert one.success and len(one.get_asset_materialization_events()) == 1
    full, subset = calls(tmp_path)
    assert "--select" not in full and full[:3] == ["build", "--raw", "data/raw"] and "--json" in full
    assert subset[-2:] == ["--select", "customer_scores"]


@pytest.mark.parametrize("code, retried", [(1, False), (2, False), (4, False), (143, True)])
def test_dagster_fails_on_the_runner_exit_codes(definitions, tmp_path, monkeypatch, code, retried):
    dg, mod = definitions
    monkeypatch.setattr(mod, "BUILD_COMMAND", [str(write_stub(tmp_path, [code])), "build"])
    with pytest.raises(mod.BuildFailed) as failure:
        mod.run_build([], logging.getLogger("test"))
    assert f"exited {code} ({mod.EXIT_MEANINGS[code]})" in failure.value.description
    assert failure.value.allow_retries is retried
    if code == 1:
        assert "customer_scores: fail" in failure.value.description


def test_dagster_retries_a_held_lock(definitions, tmp_path, monkeypatch):
    dg, mod = definitions
    monkeypatch.setattr(mod, "BUILD_COMMAND", [str(write_stub(tmp_path, [3])), "build"])
    with pytest.raises(dg.RetryRequested) as retry:
        mod.run_build([], logging.getLogger("test"))
    assert retry.value.max_retries == 6 and retry.value.seconds_to_wait == 300


def run_cron(tmp_path, codes: list[int]) -> subprocess.CompletedProcess:
    env = {**os.environ, "CS_BIN": str(write_stub(tmp_path, codes)), "CS_WORK_DIR": str(tmp_path / "build"),
           "CS_LOCK_WAIT": "0", "CS_LOCK_TRIES": "3"}
    return subprocess.run(["bash", str(ORCH / "cron_build.sh")], env=env, capture_output=True, text=True, timeout=60)


def test_cron_script_reports_and_exits_with_the_build_code(tmp_path):
    ok = run_cron(tmp_path, [3, 0])
    assert ok.returncode == 0, ok.stderr
    assert len(calls(tmp_path)) == 2  # retried once after the held lock
    assert "cron_build: ok: run 20261202T050000Z-abc123 as of 2026-06-30: dbt build ok 41 s; 0 warning(s)" in ok.stderr


@pytest.mark.parametrize("codes, expected", [([1], "FAILED (exit 1, nothing published"), ([4], "REFUSED (exit 4)"),
                                             ([3], "stayed locked for 3 tries"), ([2], "bad arguments")])
def test_cron_script_failures(tmp_path, codes, expected):
    res = run_cron(tmp_path, codes)
    assert res.returncode == codes[0], res.stderr
    assert expected in res.stderr
    if codes == [1]:
        assert "error: step dbt build failed: customer_scores: fail" in res.stderr
