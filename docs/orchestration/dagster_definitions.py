"""Dagster definitions for customer-scoring: a worked example (docs/orchestration/README.md).

Every seed and model of the dbt project is a Dagster asset, read from the project's manifest by dagster-dbt, in the
Dagster group of its dbt group and owned by that group's owner (models/_groups.yml). The assets are materialised by
the project's runner, `customer-scoring build --json`, not by `dbt build`: the runner also checks the raw tables,
runs the predict step between its two dbt steps, checks freshness and publishes atomically, which dbt alone does not.

    dbt parse (CS_TARGET=lint: no database needed) -> target/manifest.json
    dagster dev -f docs/orchestration/dagster_definitions.py

Environment (all optional): CS_PROJECT_DIR (the dbt project, default: two folders up), CS_DBT_MANIFEST (default
<project>/target/manifest.json), CS_BUILD_COMMAND (default <project>/.venv/bin/customer-scoring build),
CS_BUILD_ARGS (default "--raw data/raw"), CS_WORK_DIR (default <project>/build), CS_SCHEDULE (cron, default
"0 5 * * *", UTC).

Exit codes of the runner (README "Exit codes") and what a Dagster run does with them:
    0        success: each selected asset is materialised, with the run's id, as-of date and step timings
    3        another build holds the work folder's lock: retried (RetryRequested, every 5 minutes, 6 times)
    130, 143 interrupted by SIGINT or SIGTERM: a failure that the run's retry policy may retry
    1, 2, 4  a failed build, bad arguments, a publication refused for row loss: a failure, never retried (4 needs a
             person: `customer-scoring publish --accept-row-loss` when the loss is real)
"""

import graphlib
import json
import os
import shlex
import subprocess
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

PROJECT_DIR = Path(os.environ.get("CS_PROJECT_DIR", Path(__file__).resolve().parents[2]))
MANIFEST = Path(os.environ.get("CS_DBT_MANIFEST", PROJECT_DIR / "target" / "manifest.json"))
WORK_DIR = Path(os.environ.get("CS_WORK_DIR", PROJECT_DIR / "build"))
BUILD_COMMAND = shlex.split(os.environ.get("CS_BUILD_COMMAND", f"{PROJECT_DIR / '.venv/bin/customer-scoring'} build"))
BUILD_ARGS = shlex.split(os.environ.get("CS_BUILD_ARGS", "--raw data/raw"))
SCHEDULE = os.environ.get("CS_SCHEDULE", "0 5 * * *")

EXIT_MEANINGS = {
    0: "success",
    1: "the build failed",
    2: "bad arguments",
    3: "another build holds the work folder's lock",
    4: "publication refused: a public mart would lose more than --max-row-loss of its rows",
    130: "interrupted by SIGINT",
    143: "interrupted by SIGTERM",
}
LOCK_HELD = 3
INTERRUPTED = (130, 143)


class BuildFailed(dg.Failure):
    """A build that exited with a code other than 0 and 3."""


def run_build(select: list[str], log) -> dict:
    """Runs `customer-scoring build --json` (with `--select` for a subset) and returns its JSON result (stdout, else
    <work dir>/logs/last_run.json). Raises RetryRequested on exit 3, BuildFailed on any other non-zero exit."""
    cmd = [*BUILD_COMMAND, *BUILD_ARGS, "--work-dir", str(WORK_DIR), "--json"]
    if select:
        cmd += ["--select", *select]
    log.info("running %s", shlex.join(cmd))
    proc = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True)
    code = proc.returncode
    result = _result(proc.stdout) if code != 2 else {}  # exit 2: refused before any run, no result of its own
    if code == 0:
        return result
    meaning = EXIT_MEANINGS.get(code, "unknown exit code")
    if code == LOCK_HELD:
        log.warning("exit 3: %s; retrying in 5 minutes", meaning)
        raise dg.RetryRequested(max_retries=6, seconds_to_wait=300)
    stderr_tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
    raise BuildFailed(
        description=f"customer-scoring build exited {code} ({meaning}): {result.get('error') or stderr_tail}",
        metadata={"exit_code": code, "failures": dg.MetadataValue.json(result.get("failures") or []),
                  "stderr": dg.MetadataValue.text(stderr_tail)},
        allow_retries=code in INTERRUPTED,
    )


def _result(stdout: str) -> dict:
    """The run's JSON result: `--json` prints it on stdout; the runner always writes it to last_run.json too."""
    for text in (stdout, _read(WORK_DIR / "logs" / "last_run.json")):
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return {}


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


# The runner runs the dbt data tests itself (a failed one fails the build), so they are not Dagster asset checks.
translator = DagsterDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))


@dbt_assets(manifest=MANIFEST, selector="nightly", dagster_dbt_translator=translator)
def customer_scoring_assets(context: dg.AssetExecutionContext):
    """The whole project, built and published by the runner. A subset selected in Dagster becomes the runner's
    `--select` (its dbt names): a partial build runs and tests those nodes and publishes nothing (README)."""
    selected = context.selected_asset_keys
    select = sorted(key.path[-1] for key in selected) if context.is_subset else []
    result = run_build(select, context.log)
    metadata = {
        "run_id": result.get("run_id"),
        "as_of_date": result.get("as_of_date"),
        "publication": result.get("publication"),
        "steps": dg.MetadataValue.json(result.get("steps") or []),
        "warnings": dg.MetadataValue.json(result.get("warnings") or []),
    }
    # Dagster takes a multi-asset's materialisations parents first.
    deps = {spec.key: {d.asset_key for d in spec.deps} & selected for spec in context.assets_def.specs
            if spec.key in selected}
    for key in graphlib.TopologicalSorter(deps).static_order():
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


nightly_build = dg.define_asset_job("nightly_build", selection=dg.AssetSelection.assets(customer_scoring_assets))

defs = dg.Definitions(
    assets=[customer_scoring_assets],
    jobs=[nightly_build],
    schedules=[dg.ScheduleDefinition(job=nightly_build, cron_schedule=SCHEDULE, execution_timezone="UTC")],
)
