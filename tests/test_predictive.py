"""Predictive scoring end to end: the runner's predict step between the dbt steps, the predictions in the marts, the
evaluation marts and a saved model scoring without a refit (the minimum-data rule: tests/test_own_data.py, whose
three customers are far below it).

The judge of the predictions is the future the models never saw: the session's holdout build (as of END_DATE - 182
days) predicts purchases over its horizon (180 days), and the session's full build (as of END_DATE) says who did buy.
"""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest

from conftest import END_DATE, HOLDOUT_DAYS, LATER_BUYERS, attach_builds, work_db
from customer_scoring import predict_io, runner

TARGETS = {"p_purchase", "expected_orders", "expected_revenue", "p_alive", "churn_risk"}


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Mann-Whitney AUC, ties counted half (independent of the code under test)."""
    pos, neg = score[label == 1], score[label == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


@pytest.fixture(scope="module")
def later_window(holdout_build, built):
    """The holdout build's customers with their predictions, RFM scores and whether they bought within the horizon
    after the holdout date (from the full build)."""
    past, now = work_db(holdout_build), work_db(built)
    con = attach_builds(past, now)
    start = END_DATE - dt.timedelta(days=HOLDOUT_DAYS)
    rows = con.execute(f"""
        select s.contact_id, cast(s.p_purchase as double), s.r_score + s.f_score + s.m_score,
               case when s.contact_id in ({LATER_BUYERS}) then 1 else 0 end
        from past.marts.customer_scores as s
    """, [start, END_DATE]).fetchall()
    con.close()
    return rows


def test_the_holdout_builds_purchase_model_beats_rfm_and_a_constant_on_the_window_it_never_saw(later_window):
    p = np.array([r[1] for r in later_window], dtype=float)
    rfm = np.array([r[2] for r in later_window], dtype=float)
    y = np.array([r[3] for r in later_window], dtype=int)
    assert len(y) > 300 and 0 < y.sum() < len(y)
    assert not np.isnan(p).any(), "every customer of the holdout build has a purchase probability"
    auc_model, auc_rfm = _auc(p, y), _auc(rfm, y)
    assert auc_model > auc_rfm, (auc_model, auc_rfm)
    # the constant's Brier: the best constant for this window is its own base rate (an upper bound on what a
    # constant fitted on the past could do)
    brier_model = float(np.mean((p - y) ** 2))
    brier_constant = float(np.mean((y.mean() - y) ** 2))
    assert brier_model < brier_constant, (brier_model, brier_constant)
    # calibrated on the window it never saw: the mean probability is close to the observed rate, and so is each
    # decile's (about 63 customers a bin)
    assert abs(p.mean() - y.mean()) < 0.06, (p.mean(), y.mean())
    order = np.argsort(p, kind="stable")
    bins = [(k + 1, len(b), float(p[b].mean()), float(y[b].mean())) for k, b in enumerate(np.array_split(order, 10))]
    assert_calibrated(bins, ece_limit=0.06)


def test_model_evaluation_shows_the_chosen_model_beside_its_baselines(pub):
    rows = pub.execute("""
        select target, model_name, is_baseline, is_chosen, examples, positives, auc, brier, mae
        from marts.model_evaluation
    """).fetchall()
    by_target: dict[str, list] = {}
    for r in rows:
        by_target.setdefault(r[0], []).append(r)
    assert {"p_purchase", "churn_risk", "expected_orders", "expected_revenue"} <= by_target.keys()
    purchase = by_target["p_purchase"]
    names = {r[1] for r in purchase if r[2]}
    assert {"constant", "recency", "rfm_score"} <= names, names
    chosen = [r for r in purchase if r[3]]
    assert len(chosen) == 1, chosen
    rfm = next(r for r in purchase if r[1] == "rfm_score")
    constant = next(r for r in purchase if r[1] == "constant")
    assert chosen[0][6] > rfm[6], (chosen[0], rfm)
    assert chosen[0][7] < constant[7], (chosen[0], constant)
    # regressions carry MAE, classifications AUC
    assert all(r[8] is not None and r[6] is None for r in by_target["expected_orders"])


def test_model_calibration_bins_of_the_chosen_purchase_model_are_close_to_what_was_observed(pub):
    rows = pub.execute("""
        select c.bin, c.examples, cast(c.mean_predicted as double), cast(c.observed_rate as double)
        from marts.model_calibration as c
        inner join marts.model_evaluation as e
            on c.target = e.target and c.model_name = e.model_name and c.cutoff_date = e.cutoff_date
        where c.target = 'p_purchase' and e.is_chosen
        order by c.bin
    """).fetchall()
    assert len(rows) == 10
    assert_calibrated(rows)


def assert_calibrated(rows, ece_limit: float | None = None):
    """Calibration bins (bin, examples, mean predicted, observed rate) within the stated tolerance: every bin's
    observed rate within three binomial standard errors of its mean prediction, plus 0.05 (a bin of 16 judged
    customers cannot say more), and, when given, the expected calibration error (bins weighted by size) below
    ece_limit."""
    for _, n, predicted, observed in rows:
        tolerance = 3 * (predicted * (1 - predicted) / n) ** 0.5 + 0.05
        assert abs(observed - predicted) <= tolerance, (rows, predicted, observed, tolerance)
    if ece_limit is not None:
        ece = sum(n * abs(predicted - observed) for _, n, predicted, observed in rows) / sum(r[1] for r in rows)
        assert ece < ece_limit, (ece, rows)


def test_predictions_reach_the_marts_with_their_model_and_the_predict_profile(pub):
    status = dict(pub.execute("select target, status from marts.model_status").fetchall())
    assert set(status) >= TARGETS
    assert status["p_purchase"] == "fitted" and status["p_alive"] in ("fitted", "horizon_free")
    row = pub.execute("""
        select count(*), count(p_purchase), count(p_purchase_model), count(expected_revenue), count(p_alive),
               count(churn_risk), sum(case when completed_orders_total >= 2 then 1 else 0 end),
               min(p_purchase), max(p_purchase)
        from marts.customer_scores
    """).fetchone()
    customers, purchase, model, revenue, alive, churn, repeat, low, high = row
    assert customers == purchase == model == revenue == alive > 0
    assert churn == repeat, "churn risk is for repeat customers only"
    assert 0 <= low < high <= 1
    # every model named in the marts is in the registry
    ids = {r[0] for r in pub.execute("select distinct p_purchase_model from marts.customer_scores").fetchall()}
    registry = {r[0] for r in pub.execute("select model_id from marts.model_registry").fetchall()}
    assert ids <= registry
    # the 'predict' profile weighs the predictions: its factors name them
    factors = {r[0] for r in pub.execute(
        "select distinct factor from marts.customer_score_factors where profile = 'predict'").fetchall()}
    assert {"p_purchase", "expected_revenue"} <= factors, factors


def test_a_saved_model_scores_the_same_rows_without_refitting(built, tmp_path):
    """--refit never: the predict step loads the saved models and gives the same predictions (on a copy of the
    work database, so the session's build is untouched)."""
    root = tmp_path / "copy"
    (root / "build").mkdir(parents=True)
    shutil.copy(work_db(built), root / "build" / "customer_scoring.duckdb")
    saved = work_db(built).parent / "models"
    settings = runner.BuildSettings(as_of=END_DATE, work_dir=root / "build", publish_dir=root / "publish",
                                    refit="never", model_dir=saved)
    before = sorted(predict_io.read_frame(settings, ("predict", "prediction_scores"), "entity_id, target")
                    .itertuples(index=False))
    parsed = runner.invoke_dbt(["parse"], runner.project_dir(), settings)
    assert parsed.success
    manifest = parsed.result
    built_relations = {name: ("intermediate", name) for name in runner.TRAINING_EXAMPLES}
    result = runner.BuildResult(run_id="t", as_of=END_DATE, steps=[], success=False)
    detail = runner._predict(settings, result, runner.project_dir(), manifest, built_relations)
    assert "saved model" in detail, detail
    after = sorted(predict_io.read_frame(settings, ("predict", "prediction_scores"), "entity_id, target")
                   .itertuples(index=False))
    assert after == before
    status = predict_io.read_frame(settings, ("predict", "prediction_status"), "target")
    before_status = dict(zip(status.target, status.status))
    # every target a model was fitted for is scored by that saved model now
    assert before_status["p_purchase"] in ("saved_model", "horizon_free"), before_status
