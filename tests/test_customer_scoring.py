"""Customer scoring: tiers that separate real behaviour, configuration validation, profiles as data, explanations.

Builds here (each on the session's 2,000-contact demo data): one with a broken configuration (seeds and the
validation model only) and one with an added profile; the rest reads the session's `built` publication and its
`holdout_build` (the same data as of END_DATE - 182 days).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import END_DATE, LATER_BUYERS, attach_builds, copy_project, run_build, tiers_by_threshold, work_db
from customer_scoring import runner

PROFILES = ("acquire", "develop", "retain")
# A tier needs this many customers for its repeat-purchase rate to be compared: with fewer, one customer moves the
# rate by 5 points or more, so the comparison would test noise. Such a tier is left out of the chain (and said so in
# the assertion message); at least two tiers of every profile must remain.
MIN_TIER_CUSTOMERS = 20


# --- tiers against what customers did next ---------------------------------------------------------------------

def repeat_rates(holdout: runner.BuildResult, built: runner.BuildResult) -> tuple[dict, dict[str, list[str]]]:
    """Per profile and tier of the past build: (customers, share with a completed order after its as-of date and
    on or before END_DATE), orders read from the END_DATE build's clean orders; and each profile's tiers, best
    first."""
    con = attach_builds(holdout.publication, work_db(built))
    try:
        rows = con.execute(f"""
            with later as ({LATER_BUYERS})
            select s.profile, s.tier, count(*), avg(case when later.contact_id is not null then 1.0 else 0.0 end)
            from past.marts.customer_profile_scores as s
            left join later on s.contact_id = later.contact_id
            group by s.profile, s.tier
        """, [holdout.as_of, END_DATE]).fetchall()
        order = {p: tiers_by_threshold(con, p, "now") for p in PROFILES}  # the same seeds in both builds
    finally:
        con.close()
    out: dict[str, dict[str, tuple[int, float]]] = defaultdict(dict)
    for profile, tier, n, rate in rows:
        out[profile][tier] = (n, float(rate))
    return out, order


def test_tiers_rank_customers_by_repeat_purchase_in_the_following_half_year(holdout_build, built):
    rates, order = repeat_rates(holdout_build, built)
    assert set(PROFILES) <= set(rates), rates
    for profile in PROFILES:
        tiers = rates[profile]
        assert None not in tiers, f"{profile}: customers without a tier"
        best_first = order[profile][:3]  # the three best tiers; tests/test_score_evidence.py checks them all
        compared = [t for t in best_first if tiers.get(t, (0, 0))[0] >= MIN_TIER_CUSTOMERS]
        left_out = {t: tiers.get(t, (0, 0))[0] for t in best_first if t not in compared}
        shown = ", ".join(f"{t} {tiers[t][0]} customers {tiers[t][1]:.2f}" for t in order[profile] if t in tiers)
        assert len(compared) >= 2, f"{profile}: too few tiers with {MIN_TIER_CUSTOMERS}+ customers ({shown})"
        chain = [tiers[t][1] for t in compared]
        assert all(a > b for a, b in zip(chain, chain[1:])), (
            f"{profile}: repeat-purchase rate must fall from tier to tier: {shown}"
            + (f" (left out for size: {left_out})" if left_out else "")
        )


# --- configuration validation ------------------------------------------------------------------------------------

def read_seed(project: Path, name: str) -> list[dict[str, str]]:
    with open(project / "seeds" / "scoring" / f"{name}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def write_seed(project: Path, name: str, rows: list[dict[str, str]]) -> None:
    path = project / "seeds" / "scoring" / f"{name}.csv"
    with open(path, newline="") as fh:
        header = next(csv.reader(fh))
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit_seed(project: Path, name: str, edit) -> None:
    write_seed(project, name, edit(read_seed(project, name)))


def row_of(rows: list[dict[str, str]], **match) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


# (seed, row key as the validation names it, what it says): one per broken row below.
BAD_ROWS = [
    ("scoring_weights", "profile=acquire, criterion=lifetime_value", "unknown criterion"),
    ("scoring_weights", "profile=develop", "weights must sum to 100, they sum to 105"),
    ("tier_thresholds", "profile=retain, tier=A", "min_score 70 is also that of tier B"),
    ("tier_thresholds", "profile=retain, tier=B", "min_score 70 is also that of tier A"),
    ("tier_thresholds", "profile=acquire, tier=C", "tier has no action"),
    ("rfm_segment_map", "cell=333", "no segment for this RFM cell"),
    ("point_rules", "rule_id=detractor", "unknown field nps_klass"),
    ("ideal_company_profile", "attribute=industry, value=Software", "fit must be a number from 0 to 1, got 1.5"),
    ("ideal_customer_profile", "attribute=agee_band, value=25-34",
     "unknown attribute: age_band, gender or country_code expected"),
    # the shipped profile predict renamed forecast everywhere: customer_scores' contract still has its columns
    ("scoring_profiles", "profile=predict", "customer_scores publishes score_predict and tier_predict (its contract,"),
]


def break_configuration(project: Path) -> None:
    def weights(rows):
        rows.append({"profile": "acquire", "criterion": "lifetime_value", "weight": "0", "rationale": "not computed"})
        row_of(rows, profile="develop", criterion="csat_weighted")["weight"] = "15"
        return rows

    def tiers(rows):
        row_of(rows, profile="retain", tier="B")["min_score"] = "70"
        row_of(rows, profile="acquire", tier="C")["action"] = ""
        return rows

    def segment_map(rows):
        return [r for r in rows if (r["r_score"], r["f_score"], r["m_score"]) != ("3", "3", "3")]

    def point_rules(rows):
        row_of(rows, rule_id="detractor")["field"] = "nps_klass"
        return rows

    def company_profile(rows):
        row_of(rows, attribute="industry", attribute_value="Software")["fit"] = "1.5"
        return rows

    def customer_profile(rows):
        row_of(rows, attribute="age_band", attribute_value="25-34")["attribute"] = "agee_band"
        return rows

    def renamed(rows):
        for r in rows:
            if r["profile"] == "predict":
                r["profile"] = "forecast"
        return rows

    edit_seed(project, "ideal_company_profile", company_profile)
    edit_seed(project, "ideal_customer_profile", customer_profile)
    edit_seed(project, "scoring_weights", weights)
    edit_seed(project, "tier_thresholds", tiers)
    for seed in ("scoring_profiles", "scoring_weights", "tier_thresholds"):
        edit_seed(project, seed, renamed)
    edit_seed(project, "rfm_segment_map", segment_map)
    edit_seed(project, "point_rules", point_rules)


@pytest.fixture(scope="module")
def broken_config_build(demo_raw, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_config")
    project = copy_project(root / "project")
    break_configuration(project)
    mp = pytest.MonkeyPatch()
    mp.setenv("CS_PROJECT_DIR", str(project))
    try:
        # With the data tests on, as a user runs it: the scoring seeds carry none, so the validation's own report,
        # the one that names every offending row, is what stops the build.
        # (--dbt-artifacts: node_messages reads dbt's run_results.json)
        res = run_build(demo_raw, root, select=["+int_scoring__config_errors"], dbt_tests="data", dbt_artifacts=True)
    finally:
        mp.undo()
    return root, res


def node_messages(root: Path) -> str:
    """The full messages of the failed nodes, as dbt wrote them in run_results.json."""
    results = json.loads((root / "build" / "target" / "run_results.json").read_text())["results"]
    return "\n".join(r["message"] or "" for r in results if r["status"] not in ("success", "pass"))


def test_invalid_configuration_fails_the_build_naming_each_offending_row(broken_config_build):
    root, res = broken_config_build
    assert not res.success
    # the configuration is validated in its own step, before any raw table is read
    assert res.steps[-1].name == "config"
    assert any("int_scoring__config_errors" in f for f in res.failures), res.failures
    assert not (root / "publish" / "customer_scoring.duckdb").exists()
    text = node_messages(root)
    assert f"Invalid scoring configuration, {len(BAD_ROWS)} problem(s)" in text, text
    for seed, key, problem in BAD_ROWS:
        line = f"- {seed} ({key}): {problem}"
        assert line in text, f"missing from the build's error: {line!r}\n--- error:\n{text}"


def test_runner_error_names_each_offending_row(broken_config_build):
    _, res = broken_config_build
    text = "\n".join([res.error or "", *res.failures])
    for seed, key, problem in BAD_ROWS:
        assert f"{seed} ({key}): {problem}" in text


def test_shipped_configuration_is_valid(built):
    assert built.success, built.error
    con = duckdb.connect(str(work_db(built)), read_only=True)
    try:
        assert con.execute("select * from intermediate.int_scoring__config_errors").fetchall() == []
    finally:
        con.close()


# --- validation as data (D94): a rule is one row of scoring_config_checks --------------------------------------------

def build_validation(project: Path, tmp_path: Path, monkeypatch) -> tuple[bool, str]:
    """dbt build of int_scoring__config_errors and its seeds only (no raw data): (success, the messages of the failed
    nodes)."""
    from dbt.cli.main import dbtRunner

    from customer_scoring.runner import _release_duckdb

    db = tmp_path / "config.duckdb"
    monkeypatch.setenv("CS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("CS_TARGET", "duckdb")
    res = dbtRunner().invoke([
        "build", "--select", "+int_scoring__config_errors", "--exclude", "test_type:unit", "--indirect-selection",
        "cautious", "--project-dir", str(project), "--profiles-dir", str(project), "--target-path",
        str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"])
    _release_duckdb()
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    text = "\n".join(r["message"] or "" for r in results if r["status"] not in ("success", "pass"))
    return res.success, text


def test_a_new_seed_column_is_checked_by_one_rule_row_and_a_bad_rule_row_is_named(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    # a new column of scoring_profiles, owner, with one row off the allowed set and one empty
    rows = read_seed(project, "scoring_profiles")
    for r in rows:
        r["owner"] = "crm"
    row_of(rows, profile="acquire")["owner"] = "sales"
    row_of(rows, profile="develop")["owner"] = ""
    with open(project / "seeds" / "scoring" / "scoring_profiles.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    checks = project / "seeds" / "scoring" / "scoring_config_checks.csv"
    with open(checks, "a", newline="") as fh:
        fh.write("scoring_profiles,owner,required,,\n")  # the new column's checks: one line each
        fh.write("scoring_profiles,owner,accepted_values,crm|marketing,\n")
        fh.write("scoring_profiles,owner,no_such_check,,\n")  # malformed rule rows: each named, none run
        fh.write("scoring_profilez,owner,required,,\n")
        fh.write("scoring_profiles,ownr,required,,\n")
        fh.write("scoring_weights,weight,range,abc,\n")
        fh.write("scoring_profiles,description,required,,{nope} is empty\n")
    ok, text = build_validation(project, tmp_path, monkeypatch)
    assert not ok
    kinds = "key, required, whole_number, range, identifier, distinct, accepted_values, reference"
    validated = ("scoring_profiles, scoring_criteria, scoring_weights, point_rules, tier_thresholds, criterion_bins, "
                 "criterion_categories, rfm_segments, mql_rules, age_bands, ideal_customer_profile, "
                 "ideal_company_profile, customer_activity_types, lead_activity_types")
    expected = [
        ("scoring_config_checks", "config_table=scoring_profiles, column_name=owner, check_kind=no_such_check",
         f"unknown check_kind no_such_check: use {kinds}"),
        ("scoring_config_checks", "config_table=scoring_profiles, column_name=description, check_kind=required",
         "unknown placeholder {nope} in message: a required message may say {column} or {row.<column>}"),
        ("scoring_config_checks", "config_table=scoring_profiles, column_name=ownr, check_kind=required",
         "unknown column ownr of scoring_profiles"),
        ("scoring_config_checks", "config_table=scoring_weights, column_name=weight, check_kind=range",
         "argument must be min|max (numbers, one may be empty), got abc"),
        ("scoring_config_checks", "config_table=scoring_profilez, column_name=owner, check_kind=required",
         f"unknown config_table scoring_profilez: this rules seed checks {validated}"),
        ("scoring_profiles", "profile=acquire", "owner must be crm or marketing, got sales"),
        ("scoring_profiles", "profile=develop", "owner is empty"),
    ]
    assert f"Invalid scoring configuration, {len(expected)} problem(s)" in text, text
    for seed, key, problem in expected:
        assert f"- {seed} ({key}): {problem}" in text, text


# --- a profile, a criterion and a rule added as data only ----------------------------------------------------------

@pytest.fixture(scope="module")
def winback_build(demo_raw, tmp_path_factory):
    root = tmp_path_factory.mktemp("winback")
    project = copy_project(root / "project")

    def profiles(rows):
        return rows + [{"profile": "winback", "entity_type": "customer", "objective": "reduce_churn",
                        "description": "Win back lapsed customers who used to spend"}]

    def weights(rows):
        # a new profile...
        rows += [
            {"profile": "winback", "criterion": c, "weight": w, "rationale": "test"}
            for c, w in (("monetary_net", "40"), ("frequency_orders", "30"), ("tenure_days", "20"),
                         ("nps_class", "10"))
        ]
        # ...and a criterion added to a shipped profile, keeping its weights at 100
        row_of(rows, profile="develop", criterion="monetary_net")["weight"] = "5"
        rows.append({"profile": "develop", "criterion": "r_score", "weight": "5", "rationale": "test"})
        return rows

    def tiers(rows):
        return rows + [
            {"profile": "winback", "tier": t, "min_score": s, "action": a, "description": "test"}
            for t, s, a in (("A", "60", "Personal call"), ("B", "30", "Win-back offer"), ("C", "0", "No action"))
        ]

    def point_rules(rows):
        return rows + [{"rule_id": "winback_refund", "profile": "winback", "field": "order_refunded",
                        "operator": ">=", "value": "1", "points": "-10", "per_occurrence": "false",
                        "window_days": "365", "cap": "", "description": "test"}]

    edit_seed(project, "scoring_profiles", profiles)
    edit_seed(project, "scoring_weights", weights)
    edit_seed(project, "tier_thresholds", tiers)
    edit_seed(project, "point_rules", point_rules)
    mp = pytest.MonkeyPatch()
    mp.setenv("CS_PROJECT_DIR", str(project))
    try:
        # Only the customer marts the test reads (a partial build: read from its work database).
        res = run_build(demo_raw, root, select=["+customer_scores", "+customer_profile_scores",
                                                "+customer_score_factors"])
    finally:
        mp.undo()
    assert res.success, res.error
    return root / "build" / "customer_scoring.duckdb"


def test_added_profile_is_scored_without_code_change(winback_build, pub):
    con = duckdb.connect(str(winback_build), read_only=True)
    try:
        customers = con.execute("select count(*) from marts.customer_scores").fetchone()[0]
        n, lo, hi, untiered, tiers = con.execute("""
            select count(*), min(score), max(score), count(*) filter (where tier is null or recommended_action is null),
                   list(distinct tier order by tier)
            from marts.customer_profile_scores where profile = 'winback'
        """).fetchone()
        r_score_factors = con.execute("""
            select count(*) from marts.customer_score_factors
            where profile = 'develop' and factor = 'r_score' and factor_kind = 'criterion'
        """).fetchone()[0]
        rule_factors = con.execute("""
            select count(*), max(points) from marts.customer_score_factors
            where profile = 'winback' and factor = 'winback_refund'
        """).fetchone()
    finally:
        con.close()
    assert customers > 0 and n == customers, "one winback row per customer"
    assert Decimal(0) <= lo and hi <= Decimal(100) and lo < hi
    assert untiered == 0
    assert set(tiers) <= {"A", "B", "C"} and len(tiers) >= 2, tiers
    assert r_score_factors == customers, "the criterion added to develop weighs in for every customer"
    assert rule_factors[0] > 0 and rule_factors[1] == Decimal("-10.00")
    # the same customers as the shipped build, scored on one more profile
    shipped = pub.execute("select count(*) from marts.customer_scores").fetchone()[0]
    assert shipped == customers


# --- explanations -----------------------------------------------------------------------------------------------

def parse_top_factors(text: str) -> list[tuple[str, Decimal]]:
    if text == "":
        return []
    out = []
    for part in text.split(", "):
        name, points = part.rsplit(": ", 1)
        out.append((name, Decimal(points)))
    return out


def test_factors_add_up_to_the_score_exactly(pub):
    rows = pub.execute("""
        select s.contact_id, s.profile, s.score, coalesce(sum(f.points), 0) as points, count(f.factor) as factors
        from marts.customer_profile_scores as s
        left join marts.customer_score_factors as f
            on s.contact_id = f.contact_id and s.profile = f.profile
        group by all
    """).fetchall()
    assert len(rows) > 0
    wrong = [r for r in rows if r[2] != r[3]]
    assert not wrong, f"{len(wrong)} of {len(rows)} scores differ from the sum of their factors, e.g. {wrong[:5]}"
    orphans = pub.execute("""
        select count(*) from marts.customer_score_factors as f
        anti join marts.customer_profile_scores as s on s.contact_id = f.contact_id and s.profile = f.profile
    """).fetchone()[0]
    assert orphans == 0


def test_top_factors_are_the_largest_factors(pub):
    factors: dict[tuple[str, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for contact_id, profile, factor, points in pub.execute(
            "select contact_id, profile, factor, points from marts.customer_score_factors").fetchall():
        factors[(contact_id, profile)].append((factor, points))
    scores = pub.execute("select contact_id, profile, top_factors from marts.customer_profile_scores").fetchall()
    assert scores
    for contact_id, profile, top in scores:
        listed = parse_top_factors(top)
        assert len(listed) <= 3, top
        nonzero = [f for f in factors[(contact_id, profile)] if f[1] != 0]
        expected = sorted(nonzero, key=lambda f: (-abs(f[1]), f[0]))[:3]
        assert listed == expected, (contact_id, profile, top, expected)
        if nonzero:
            assert abs(listed[0][1]) == max(abs(p) for _, p in nonzero)


def test_primary_columns_repeat_the_primary_profile(pub):
    """customer_scores' primary_* columns are the primary profile's row of customer_profile_scores."""
    differ = pub.execute("""
        select count(*) from marts.customer_scores as c
        left join marts.customer_profile_scores as p
            on c.contact_id = p.contact_id and c.primary_profile = p.profile
        where p.contact_id is null or c.primary_score is distinct from p.score or c.primary_tier is distinct from p.tier
           or c.recommended_action is distinct from p.recommended_action
           or c.top_factors is distinct from p.top_factors
    """).fetchone()[0]
    assert differ == 0


def test_reproducibility_check_covers_the_customer_marts(pub, built):
    """test_runner.test_same_input_and_as_of_give_identical_marts compares every table of schemas marts and audit:
    the customer marts must be among them."""
    from test_runner import dump_tables

    tables = dump_tables(built.publication)
    assert {"marts.customer_scores", "marts.customer_profile_scores", "marts.customer_score_factors"} <= set(tables)


# --- engagement seeds: a fraction is named, never rounded at load (decisions D34) ----------------------------------

def test_fractions_in_the_engagement_seeds_are_named_not_rounded(tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    from customer_scoring.runner import _release_duckdb

    project = copy_project(tmp_path / "project")
    folder = project / "seeds" / "engagement"

    def edit(name, key, column, value):
        with open(folder / f"{name}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        row_of(rows, **key)[column] = value
        with open(folder / f"{name}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    edit("event_scoring", {"event_type": "page_view"}, "half_life_days", "14.5")
    edit("event_scoring", {"event_type": "email_open"}, "window_days", "0.5")
    edit("engagement_settings", {"setting": "inactivity_days"}, "value", "90.5")
    edit("engagement_levels", {"engagement_level": "3"}, "engagement_level", "2.5")
    db = tmp_path / "seeds.duckdb"
    monkeypatch.setenv("CS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("CS_TARGET", "duckdb")
    res = dbtRunner().invoke([
        "build", "--select", "event_scoring", "engagement_settings", "engagement_levels", "event_types",
        "engagement_seeds_are_valid", "--store-failures", "--project-dir", str(project), "--profiles-dir",
        str(project), "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"])
    _release_duckdb()
    assert not res.success
    with duckdb.connect(str(db), read_only=True) as con:
        (schema,) = con.execute("select table_schema from information_schema.tables "
                                "where table_name = 'engagement_seeds_are_valid'").fetchone()
        problems = con.execute(f"select seed_name, row_key, problem from {schema}.engagement_seeds_are_valid "
                               "order by 1, 2, 3").fetchall()
    whole = "half_life_days, cap_per_day and window_days must be whole numbers"
    assert problems == [
        ("engagement_levels", "2.5", "levels must be whole numbers 1, 2, 3 ... in order"),
        ("engagement_settings", "inactivity_days", "must be a whole number of days"),
        ("event_scoring", "email_open", whole),
        ("event_scoring", "page_view", whole),
    ]
