"""dbt conventions (docs/DECISIONS.md D86, D87): named selectors, groups and access, exposures. One `dbt parse` on the
lint target (no database, no data) per test run, shared by the xdist workers (conftest.shared_once) and reused by every
`dbt ls` here (no second parse) and by tests/test_orchestration.py."""
from __future__ import annotations

import json
import re

import pytest
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest, WritableManifest

from conftest import PROJECT, shared_once
from customer_scoring import runner

_PARSED: dict = {}


def _parse(folder):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS_TARGET", "lint")
        res = dbtRunner().invoke(["parse", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                                  "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
                                  "--quiet"])
    assert res.success, f"dbt parse failed: {res.exception}"
    return folder


def parse_lint_project(tmp_path_factory):
    """`CS_TARGET=lint dbt parse` once per test run; returns (manifest, folder holding manifest.json: read-only)."""
    if "manifest" not in _PARSED:
        target = shared_once(tmp_path_factory, "lint_parse", _parse) / "target"
        written = WritableManifest.read_and_check_versions(str(target / "manifest.json"))
        _PARSED.update(manifest=Manifest.from_writable_manifest(written), target=target,
                       own=tmp_path_factory.mktemp("lint_ls"))
    return _PARSED["manifest"], _PARSED["target"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    manifest, _ = parse_lint_project(tmp_path_factory)
    own = _PARSED["own"]  # this worker's target and log folders: the shared parse stays read-only

    def ls(*selection: str) -> dict[str, str]:
        """`dbt ls` on the parsed manifest (no second parse): unique_id -> resource_type."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CS_TARGET", "lint")
            res = dbtRunner(manifest=manifest).invoke(
                ["ls", *selection, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                 "--target-path", str(own / "target"), "--log-path", str(own / "logs"), "--output", "json",
                 "--output-keys", "unique_id resource_type", "--quiet"])
        assert res.success, f"dbt ls {' '.join(selection)} failed: {res.exception}"
        rows = [json.loads(line) for line in res.result]
        return {r["unique_id"]: r["resource_type"] for r in rows}

    return manifest, ls


def _models(selected: dict[str, str]) -> set[str]:
    return {uid.split(".")[-1] for uid, kind in selected.items() if kind == "model"}


def _public(manifest) -> set[str]:
    return {t for _, t in runner._public_relations(manifest, "duckdb")}


def test_marts_selector_is_exactly_the_publication(project):
    manifest, ls = project
    published = _public(manifest)
    assert len(published) >= 20, published
    selected = ls("--selector", "marts")
    assert _models(selected) == published
    assert "unit_test" not in selected.values()
    access = {n.name: n.access for n in manifest.nodes.values() if n.resource_type == "model"}
    assert {name for name, a in access.items() if a == "public"} == published
    assert {"customer_scores", "lead_scores", "quarantine", "dq_reconciliation"} <= published


def test_every_model_has_a_domain_group_with_an_owner(project):
    manifest, _ = project
    groups = {g.name: g for g in manifest.groups.values()}
    assert len(groups) >= 5
    for g in groups.values():
        assert g.owner.name and g.owner.email, g.name
    models = [n for n in manifest.nodes.values() if n.resource_type == "model"]
    assert not [n.name for n in models if n.group not in groups]
    private = [n for n in models if n.access == "private"]
    assert private, "no private model: the intermediate folders read by one domain only are private"
    # dbt refuses a ref to a private model from another group at parse time; check the rule held
    for n in models:
        for parent in n.depends_on.nodes:
            p = manifest.nodes.get(parent)
            if p is not None and p.resource_type == "model" and p.access == "private":
                assert p.group == n.group, (n.name, p.name)
    assert {n.group for n in models if n.name in ("customer_scores", "customer_profile_scores")} == {"customer"}


def test_full_checks_has_the_project_checks_and_nightly_has_none(project):
    """full-checks = nightly + the unit tests + the structural data tests, which are exactly the intermediate models'
    data tests (D101) and what the runner leaves out without --full-checks (runner.PROJECT_CHECKS)."""
    manifest, ls = project
    full, nightly = ls("--selector", "full-checks"), ls("--selector", "nightly")
    unit = {uid for uid, kind in full.items() if kind == "unit_test"}
    assert unit and len(unit) == len(manifest.unit_tests)
    assert "unit_test" not in nightly.values()
    structural = {uid for uid, n in manifest.nodes.items() if n.resource_type == "test" and "structural" in n.tags}
    intermediate = {uid for uid, n in manifest.nodes.items()
                    if n.resource_type == "test" and n.original_file_path.startswith("models/intermediate/")}
    assert structural and structural == intermediate
    assert set(nightly) == set(full) - unit - structural
    assert runner.PROJECT_CHECKS == ("test_type:unit", "tag:structural")
    runnable = ("model", "seed", "test", "unit_test")
    assert {u for u, k in ls("--exclude", *runner.PROJECT_CHECKS).items() if k in runnable} == \
        {u for u, k in nightly.items() if k in runnable}
    kinds = set(nightly.values())
    assert {"model", "seed", "test"} <= kinds
    assert sum(1 for k in nightly.values() if k == "model") == sum(
        1 for n in manifest.nodes.values() if n.resource_type == "model")


def test_scoring_and_audit_selectors(project):
    _, ls = project
    scoring = ls("--selector", "scoring")
    assert {"seed.customer_scoring.scoring_weights", "seed.customer_scoring.event_scoring",
            "seed.customer_scoring.employee_bands"} <= set(scoring)
    assert {"customer_scores", "lead_scores", "account_scores", "int_scoring__config_errors"} <= _models(scoring)
    assert "quarantine" not in _models(scoring) and "unit_test" not in scoring.values()
    audit = _models(ls("--selector", "audit"))
    assert {"quarantine", "dq_reconciliation", "dq_repairs", "dq_freshness", "stg_shop__orders"} <= audit
    assert not audit & {"customer_scores", "lead_scores", "offer_scores"}


def _named_relations(source: str, schemas: str) -> set[str]:
    """Relations a Python module names in its SQL and messages, e.g. marts.customer_scores -> customer_scores."""
    return set(re.findall(rf"\b(?:{schemas})\.([a-z_]+)\b", source))


def test_exposures_answer_what_feeds_them(project):
    manifest, ls = project
    exposures = {e.name: e for e in manifest.exposures.values()}
    assert set(exposures) == {"bi_publication", "activation_exports", "html_report"}
    for e in exposures.values():
        assert e.owner.name and e.owner.email, e.name

    def parents(name):
        return {uid.split(".")[-1] for uid in exposures[name].depends_on.nodes}

    # the BI publication reads every public relation, and only those, but the optional erasure log: an exposure
    # cannot depend on a model a var may disable (a build with enable_erasure_requests false would not parse)
    optional = {"erasure_log"}
    assert parents("bi_publication") == _public(manifest) - optional
    # the report and the exports declare every relation their code reads
    code = PROJECT / "customer_scoring"
    for exposure, module, schemas in (("html_report", "report.py", "marts|audit"),
                                      ("activation_exports", "activation.py", "marts|audit|pii|config")):
        undeclared = _named_relations((code / module).read_text(), schemas) - parents(exposure) - optional
        assert not undeclared, (f"customer_scoring/{module} reads {sorted(undeclared)}: add them to the exposure "
                                f"{exposure} in models/_exposures.yml")
    # `dbt ls --select +exposure:...` gives everything upstream, down to the staging models and seeds
    report = ls("--select", "+exposure:html_report")
    assert {"customer_scores", "int_customer__rfm", "stg_shop__orders"} <= _models(report)
    assert "seed.customer_scoring.scoring_weights" in report
    exports = _models(ls("--select", "+exposure:activation_exports"))
    assert {"audience_members", "contacts", "int_activation__audience_rows"} <= exports
    assert not exports & {"offer_evaluation", "model_calibration"}


def test_no_model_has_versions_yet(project):
    """D86: a mart's contract has not changed since it was published; a breaking change adds a version."""
    manifest, _ = project
    assert not [n.name for n in manifest.nodes.values() if n.resource_type == "model" and n.version is not None]



# README "Running it": the runner takes dbt selections, not selector names; each named selection's equivalent.
RUNNER_EQUIVALENTS = {
    "marts": ["--select", "access:public"],
    "scoring": ["--select", "path:seeds/scoring+", "path:seeds/engagement+", "path:seeds/enrichment+"],
    "audit": ["--select", "+path:models/marts/data_quality"],
}


@pytest.mark.parametrize("selector", sorted(RUNNER_EQUIVALENTS))
def test_the_readme_gives_each_selector_as_a_runner_selection(project, selector):
    _, ls = project
    # what the runner runs for that selection without --full-checks
    assert set(ls("--selector", selector)) == set(ls(*RUNNER_EQUIVALENTS[selector], "--exclude",
                                                     *runner.PROJECT_CHECKS))
    assert " ".join(RUNNER_EQUIVALENTS[selector][1:]) in (PROJECT / "README.md").read_text()
