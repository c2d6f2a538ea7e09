"""calibrate on hand-made history frames (score_history, score_factor_history and outcomes built here, no dbt build):
the engine's score recomputed from the factors, thresholds for target sizes and rates, weights judged on held-out
periods, and the proposed seed files: valid for the project's seed validation, and the diff applies."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from customer_scoring import calibrate as cal
from customer_scoring import runner

from conftest import PROJECT, copy_project

THRESHOLDS = [("A", 70.0), ("B", 50.0), ("C", 30.0), ("D", 0.0)]
# The runner's configuration step (runner.build, step config): the seeds and their validation.
VALIDATION = ["build", "--select", "resource_type:seed", "int_scoring__config_errors", "--indirect-selection", "cautious"]


def history_frames(weights: dict[str, float], truth: dict[str, float], intercept: float, entities: int = 1500,
                   periods: int = 6, seed: int = 1, open_periods: int = 1, truth_late: dict | None = None,
                   late_from: int | None = None):
    """score_history, score_factor_history and outcome rows of one profile: every entity has a normalised value 0-1
    per criterion (every 13th entity misses the last criterion), converts with probability
    logistic(intercept + sum(truth x value)) (truth_late from period late_from on), and is scored with `weights`
    by the engine's rule. The last `open_periods` periods have an open window."""
    rng = np.random.default_rng(seed)
    criteria = list(weights)
    dates = [dt.date(2025, 1, 31) + dt.timedelta(days=30 * i) for i in range(periods)]
    history, factors, outcomes = [], [], []
    ids = np.array([f"c{e:05d}" for e in range(entities)])
    for k, day in enumerate(dates):
        values = np.round(rng.random((entities, len(criteria))), 6)
        values[::13, -1] = np.nan
        coefs = truth_late if truth_late and late_from is not None and k >= late_from else truth
        logit = intercept + np.nan_to_num(values, nan=0.5) @ np.array([coefs.get(c, 0.0) for c in criteria])
        converted = rng.random(entities) < 1 / (1 + np.exp(-logit))
        complete = k < periods - open_periods
        for i, c in enumerate(criteria):
            factors.append(pd.DataFrame({"as_of_date": day, "entity_id": ids, "factor": c, "factor_kind": "criterion",
                                         "normalized_value": values[:, i], "weight": weights[c], "points": None}))
        outcomes.append(pd.DataFrame({"as_of_date": day, "entity_id": ids, "is_window_complete": complete,
                                      "is_converted": pd.array(converted if complete else [None] * entities,
                                                               dtype="boolean")}))
        history.append(pd.DataFrame({"as_of_date": day, "entity_id": ids, "score": None, "tier": None}))
    history, factors, outcomes = (pd.concat(f, ignore_index=True) for f in (history, factors, outcomes))
    # the stored score and tier, as the build makes them
    wide = cal.wide_frame(history, factors, outcomes, criteria)
    wide["score"] = cal.recompute_scores(wide, weights, criteria)
    wide["tier"] = cal.assign_tiers(wide["score"].to_numpy(), THRESHOLDS)
    return wide


def test_score_recomputed_from_factors_as_the_engine_makes_it():
    """Weights a 50, b 30, c 20. Entity 1: a 1, b unknown, c 0.5 -> 100 x (50 + 10) / 70 = 85.71; a rule of +20 ->
    105.71, bounded to 100. Entity 2: a 0.2, b 0.9, c 0.5 -> (10 + 27 + 10) = 47.00; a rule of -50 -> 0. On the
    second date c is 0.5 for both (constant: 0 points, its weight out of the denominators): entity 1 a 1 alone ->
    100; entity 2 100 x (10 + 27) / 80 -> 46.25. Entity 3 (first date only): 100 x 20 x 0.1 / 100 = 2.00."""
    d1, d2 = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
    rows = [
        (d1, "e1", "a", 1.0), (d1, "e1", "b", None), (d1, "e1", "c", 0.5),
        (d1, "e2", "a", 0.2), (d1, "e2", "b", 0.9), (d1, "e2", "c", 0.5),
        (d1, "e3", "a", 0.0), (d1, "e3", "b", 0.0), (d1, "e3", "c", 0.1),
        (d2, "e1", "a", 1.0), (d2, "e1", "b", None), (d2, "e1", "c", 0.5),
        (d2, "e2", "a", 0.2), (d2, "e2", "b", 0.9), (d2, "e2", "c", 0.5),
    ]
    factors = pd.DataFrame([(d, e, f, "criterion", v, None, None) for d, e, f, v in rows],
                           columns=["as_of_date", "entity_id", "factor", "factor_kind", "normalized_value", "weight",
                                    "points"])
    rules = pd.DataFrame([(d1, "e1", "vip", "rule", None, None, 20.0), (d1, "e2", "refund", "rule", None, None, -50.0)],
                         columns=factors.columns)
    history = pd.DataFrame([(d, e, 0.0, "?") for d, e in {(r[0], r[1]) for r in rows}],
                           columns=["as_of_date", "entity_id", "score", "tier"])
    outcomes = history[["as_of_date", "entity_id"]].assign(is_converted=None, is_window_complete=False)
    wide = cal.wide_frame(history, pd.concat([factors, rules]), outcomes, ["a", "b", "c"])
    scores = dict(zip(zip(wide["as_of_date"], wide["entity_id"]),
                      cal.recompute_scores(wide, {"a": 50, "b": 30, "c": 20}, ["a", "b", "c"])))
    assert scores[(d1, "e1")] == 100.0
    assert scores[(d1, "e2")] == 0.0
    assert scores[(d1, "e3")] == 2.0
    assert scores[(d2, "e1")] == 100.0
    assert scores[(d2, "e2")] == 46.25
    without_rules = cal.recompute_scores(wide.assign(rule_points=0.0), {"a": 50, "b": 30, "c": 20}, ["a", "b", "c"])
    assert dict(zip(zip(wide["as_of_date"], wide["entity_id"]), without_rules))[(d1, "e1")] == 85.71


def test_thresholds_reach_the_requested_sizes_on_held_out_periods():
    weights = {"c1": 40.0, "c2": 35.0, "c3": 25.0}
    wide = history_frames(weights, {"c1": 3.0, "c2": 1.0}, -2.5)
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, sizes={"A": 10, "B": 20, "C": 30}, holdout=2)
    assert [str(d) for d in p.holdout_periods] == ["2025-05-01", "2025-05-31"]  # the open period is neither
    assert len(p.fit_periods) == 3
    assert [t for t, _ in p.thresholds_after] == ["A", "B", "C", "D"] and p.thresholds_after[-1][1] == 0
    mins = [s for _, s in p.thresholds_after]
    assert mins == sorted(mins, reverse=True) and len(set(mins)) == 4
    shares = {row.tier: row.share for row in p.table_after}
    for tier, target in (("A", 10), ("B", 20), ("C", 30), ("D", 40)):
        assert abs(shares[tier] - target) < 2.5, (tier, shares)
    # the current thresholds were far from these sizes
    targets = {"A": 10, "B": 20, "C": 30, "D": 40}
    assert sum(abs(row.share - targets[row.tier]) for row in p.table_before) > 30
    assert sum(abs(row.share - targets[row.tier]) for row in p.table_after) < 5


def test_thresholds_for_target_rates_are_the_lowest_meeting_them():
    weights = {"c1": 40.0, "c2": 35.0, "c3": 25.0}
    wide = history_frames(weights, {"c1": 4.0, "c2": 1.0}, -3.0)
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, rates={"A": 0.6, "B": 0.35, "C": 0.2}, holdout=2,
                      min_population=30)
    fit = wide[wide["as_of_date"].isin(p.fit_periods)]
    scores, converted = fit["score"].to_numpy(), fit["is_converted"].astype(float).to_numpy()
    above = 101.0
    for (tier, threshold), target in zip(p.thresholds_after, (0.6, 0.35, 0.2)):
        band = (scores >= threshold) & (scores < above)
        assert band.sum() >= 30 and converted[band].mean() >= target
        # every lower threshold misses the target (or the population)
        for lower in np.unique(scores[(scores < threshold) & (scores > 0)]):
            wider = (scores >= lower) & (scores < above)
            assert wider.sum() < 30 or converted[wider].mean() < target, (tier, lower)
        above = threshold
    rates = {row.tier: row.rate for row in p.table_after}
    assert rates["A"] > rates["B"] > rates["C"] > rates["D"]


def test_proposed_weights_beat_the_current_ones_on_held_out_periods():
    """The outcome follows c1 and c2; the current weights favour c3, which says nothing."""
    weights = {"c1": 10.0, "c2": 20.0, "c3": 70.0}
    wide = history_frames(weights, {"c1": 4.0, "c2": 1.5}, -3.0, seed=3)
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, sizes={"A": 10, "B": 20, "C": 30}, fit_weights=True,
                      holdout=2)
    assert p.weights_kept
    w = p.weights_after
    assert sum(Decimal(str(v)) for v in w.values()) == 100 and min(w.values()) >= 0
    assert w["c1"] > w["c2"] > w["c3"]
    assert all(round(v, 1) == v for v in w.values())
    assert 0 < p.shrinkage <= 1
    # recomputed here: the held-out top tier converts better with the new weights than with the current ones
    held = wide[wide["as_of_date"].isin(p.holdout_periods)]
    fit = wide[wide["as_of_date"].isin(p.fit_periods)]
    criteria = list(weights)
    y = held["is_converted"].astype(float).to_numpy()

    def lift(weights_):
        thresholds, _ = cal.thresholds_for_sizes(cal.recompute_scores(fit, weights_, criteria), THRESHOLDS,
                                                 {"A": 10, "B": 20, "C": 30})
        return cal.tier_table(cal.recompute_scores(held, weights_, criteria), y, thresholds)[0].lift

    assert lift(w) == pytest.approx(p.lift_weights)
    assert lift(weights) == pytest.approx(p.lift_before)
    assert lift(w) > lift(weights) + 0.2


def test_weights_whose_held_out_lift_falls_are_not_proposed():
    """The fitting periods reward c1, the held-out periods c3 (the current weights' favourite): the fit would lower
    the held-out top-tier lift, so the current weights stay and the note says why."""
    weights = {"c1": 10.0, "c2": 20.0, "c3": 70.0}
    wide = history_frames(weights, {"c1": 4.0}, -3.0, truth_late={"c3": 4.0}, late_from=3, seed=5)
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, fit_weights=True, holdout=2)
    assert not p.weights_kept and p.weights_after == weights
    assert p.weights_fitted["c1"] > p.weights_fitted["c3"]
    assert p.lift_weights < p.lift_before
    assert any("weights not proposed" in n for n in p.notes)
    assert cal.seed_changes(p, PROJECT) == {}


def test_weights_judged_on_a_tiny_top_tier_are_not_proposed():
    """The case above where the new weights win, with a top tier of 2 % (about 30 entities a period, fewer than 70
    on the two held-out periods) and --min-population 70: a lift on so few entities is noise, nothing is proposed."""
    weights = {"c1": 10.0, "c2": 20.0, "c3": 70.0}
    wide = history_frames(weights, {"c1": 4.0, "c2": 1.5}, -3.0, seed=3)
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, sizes={"A": 2, "B": 20, "C": 30}, fit_weights=True,
                      holdout=2, min_population=70)
    assert not p.weights_kept and p.weights_after == weights
    assert any(re.match(r"weights not proposed: the held-out top tier holds \d+ entities .* fewer than "
                        r"--min-population 70", n) for n in p.notes), p.notes
    # with a minimum the top tier meets, the same weights are proposed
    assert cal.calibrate(wide, "retain", THRESHOLDS, weights, sizes={"A": 2, "B": 20, "C": 30}, fit_weights=True,
                         holdout=2, min_population=30).weights_kept


def test_dates_where_a_weighted_criterion_has_no_value_are_left_out():
    """A predictive criterion is null on backtest dates (no predictions there): those dates scored the profile with
    its fallback, so calibration leaves them out and says why; the dates with a value remain."""
    weights = {"c1": 10.0, "c2": 20.0, "c3": 70.0}
    wide = history_frames(weights, {"c1": 4.0, "c2": 1.5}, -3.0, seed=3, periods=7)
    dates = sorted(wide["as_of_date"].unique())
    wide.loc[wide["as_of_date"].isin(dates[:2]), "c3"] = np.nan
    p = cal.calibrate(wide, "retain", THRESHOLDS, weights, sizes={"A": 10, "B": 20, "C": 30}, holdout=2)
    assert not set(dates[:2]) & set(p.fit_periods + p.holdout_periods)
    assert p.fit_periods == list(dates[2:4]) and p.holdout_periods == list(dates[4:6])
    assert any(n.startswith(f"left out: c3 (weight 70) has no value on {dates[0]}, {dates[1]}") for n in p.notes)


def test_targets_are_parsed_and_checked():
    assert cal.parse_targets("A=10, B=20,C=30", "sizes") == {"A": 10, "B": 20, "C": 30}
    assert cal.parse_targets("A=0.3,B=0.15", "rates") == {"A": 0.3, "B": 0.15}
    for text, kind in (("A=60,B=50", "sizes"), ("A=30", "rates"), ("A", "sizes"), ("A=x", "rates")):
        with pytest.raises(cal.CalibrationError):
            cal.parse_targets(text, kind)
    with pytest.raises(cal.CalibrationError, match="no tiers"):
        cal.current_thresholds(cal.read_seed(PROJECT / cal.THRESHOLDS_SEED), "nope")


def test_proposed_seeds_pass_the_validation_and_the_diff_applies(tmp_path):
    """The retain profile's own criteria and weights: the proposal (sizes and weights) written with --out passes the
    project's seed validation (dbt build of the seeds and int_scoring__config_errors), and its diff applies to the
    seeds as they are (git apply --check) giving the written files."""
    weights = cal.current_weights(cal.read_seed(PROJECT / cal.WEIGHTS_SEED), "retain")
    thresholds = cal.current_thresholds(cal.read_seed(PROJECT / cal.THRESHOLDS_SEED), "retain")
    truth = {"recency_days": 3.0, "overdue_ratio": 1.0, "tenure_days": 1.5}
    wide = history_frames(weights, truth, -3.0, entities=800, periods=5, seed=11)
    p = cal.calibrate(wide, "retain", thresholds, weights, sizes={"A": 15, "B": 25, "C": 30}, fit_weights=True,
                      holdout=1)
    assert p.weights_kept and p.thresholds_changed
    changes = cal.seed_changes(p, PROJECT)
    assert set(changes) == {cal.THRESHOLDS_SEED, cal.WEIGHTS_SEED}
    diff = cal.unified_diff(changes)
    # only the retain rows change
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and all(",retain," in f",{line[1:]}" or line[1:].startswith("retain,") for line in changed)

    out = tmp_path / "proposed"
    written = cal.write_seeds(changes, PROJECT, out)
    assert sorted(p.name for p in written) == ["scoring_weights.csv", "tier_thresholds.csv"]
    new_weights = cal.current_weights(cal.read_seed(out / "scoring_weights.csv"), "retain")
    assert sum(Decimal(str(v)) for v in new_weights.values()) == 100 and new_weights == p.weights_after

    pristine = tmp_path / "pristine"
    shutil.copytree(PROJECT / "seeds" / "scoring", pristine / "seeds" / "scoring")
    (tmp_path / "proposal.diff").write_text(diff)
    for args in (["--check"], []):
        subprocess.run(["git", "apply", *args, str(tmp_path / "proposal.diff")], cwd=pristine, check=True)
    for path in written:
        assert (pristine / "seeds" / "scoring" / path.name).read_text() == path.read_text()

    project = copy_project(tmp_path / "project")
    for path in written:
        shutil.copy(path, project / "seeds" / "scoring" / path.name)
    settings = runner.BuildSettings(as_of=dt.date(2026, 6, 30), work_dir=tmp_path / "work")
    parsed = runner.invoke_dbt(["parse"], project, settings)  # one parse for both checks (seeds are read at run time)
    assert parsed.success, parsed.exception
    res = runner.invoke_dbt(VALIDATION, project, settings, manifest=parsed.result)
    assert res.success, runner._failures(res) or res.exception
    # and the validation does fail on a broken proposal (weights no longer summing to 100)
    broken = (project / "seeds" / "scoring" / "scoring_weights.csv").read_text().replace(
        f"retain,recency_days,{cal._number(p.weights_after['recency_days'])},",
        f"retain,recency_days,{cal._number(p.weights_after['recency_days'] + 1)},")
    (project / "seeds" / "scoring" / "scoring_weights.csv").write_text(broken)
    res = runner.invoke_dbt(VALIDATION, project, settings, manifest=parsed.result)
    assert not res.success and "weights must sum to 100" in " ".join(runner._failures(res))


def test_offer_and_unknown_profiles_are_refused_with_what_to_do():
    """The shipped seed: 'offer' scores offers, which the score history does not keep; a typo names the profiles."""
    seed = cal.read_seed(PROJECT / cal.PROFILES_SEED)
    cal.check_profile(seed, "retain")
    with pytest.raises(cal.CalibrationError, match=r"scores offers.*offer_evaluation"):
        cal.check_profile(seed, "offer")
    with pytest.raises(cal.CalibrationError, match=r"'retian' is not in .*scoring_profiles.csv \(profiles: .*retain"):
        cal.check_profile(seed, "retian")
