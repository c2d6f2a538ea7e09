"""Customer prediction models (customer_scoring.predict) on synthetic training examples of the contract's shape:
customers simulated from a BG/NBD process with known parameters (purchase days, Gamma-Gamma spend), summarised at a
spine of cut-offs the way int_customer__training_examples does. Pure Python."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from customer_scoring import btyd, predict

TRUTH = btyd.BGNBDParams(r=0.6, alpha=40.0, a=0.9, b=4.0)
TRUTH_GG = btyd.GammaGammaParams(p=5.0, q=4.0, gamma=30.0)
AS_OF = dt.date(2026, 6, 30)
HORIZON = 180
SPACING = 30
HISTORY_DAYS = 1100
THREADS = 1  # two cores shared by several test runs: one OpenMP thread avoids spin-waiting


def simulate_transactions(n: int, seed: int, history_days: int = HISTORY_DAYS, csat_effect: bool = True) -> pd.DataFrame:
    """One order per purchase day. Customer i is acquired on a day uniform in [0, history_days); lambda ~ Gamma(r,
    rate alpha) per day, p ~ Beta(a, b): after each repeat purchase the customer drops out with probability p.
    Order value ~ Gamma(p_gg, rate nu), nu ~ Gamma(q, rate gamma). Beyond BG/NBD, as on real data: a satisfaction
    score 1-5 (csat) per customer scales the dropout probability by (6 - csat)^2 / 9 and
    the purchase rate by (csat / 3)^2 (a one-order customer's history says nothing of either), so a fitted model that reads it can
    beat the horizon-free model, which cannot (csat_effect=False: pure BG/NBD). Columns contact_id, day (day 0 = AS_OF - history_days), amount, csat."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, history_days, n).astype(float)
    lam = rng.gamma(TRUTH.r, 1.0 / TRUTH.alpha, n)
    drop = rng.beta(TRUTH.a, TRUTH.b, n)
    nu = rng.gamma(TRUTH_GG.q, 1.0 / TRUTH_GG.gamma, n)
    csat = rng.integers(1, 6, n)
    if csat_effect:
        drop = np.clip(drop * (6 - csat) ** 2 / 9, 0.0, 0.95)
        lam = lam * (csat / 3) ** 2
    ids, days = [np.arange(n)], [first]
    t = first.copy()
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1.0 / lam[idx])
        inside = t[idx] < history_days + 2 * HORIZON
        idx = idx[inside]
        active[:] = False
        active[idx] = True
        ids.append(idx)
        days.append(t[idx].copy())
        active[idx] = rng.random(idx.size) >= drop[idx]  # dropout after a repeat purchase
    cid = np.concatenate(ids)
    day = np.floor(np.concatenate(days)).astype(int)
    tx = pd.DataFrame({"cid": cid, "day": day}).drop_duplicates().sort_values(["cid", "day"], kind="mergesort")
    tx["amount"] = np.round(rng.gamma(TRUTH_GG.p, 1.0 / nu[tx["cid"].to_numpy()]), 2)
    tx["contact_id"] = "c" + tx["cid"].astype(str).str.zfill(6)
    tx["csat"] = csat[tx["cid"].to_numpy()]
    return tx[["contact_id", "day", "amount", "csat"]].reset_index(drop=True)


def _quintile(values: pd.Series) -> pd.Series:
    return np.ceil(values.rank(method="first", pct=True) * 5).astype(int)


def build_examples(tx: pd.DataFrame, horizon: int = HORIZON, n_cutoffs: int = 6, spacing: int = SPACING,
                   history_days: int = HISTORY_DAYS) -> pd.DataFrame:
    """The contract's rows: for each cut-off D (days from day 0; the as-of date is history_days, the labelled ones
    history_days - horizon - k spacing), every customer with an order on or before D, features from the orders up
    to D and labels from (D, D + horizon] (only where D + horizon <= the as-of date)."""
    as_of_day = history_days
    cutoffs = [as_of_day - horizon - k * spacing for k in range(n_cutoffs)][::-1] + [as_of_day]
    out = []
    for D in cutoffs:
        if D < 0:
            continue
        past = tx[tx["day"] <= D]
        if past.empty:
            continue
        g = past.groupby("contact_id", sort=True)
        f = pd.DataFrame({"first": g["day"].min(), "last": g["day"].max(), "n": g["day"].size(),
                          "monetary": g["amount"].sum()})
        first_amount = past.drop_duplicates("contact_id").set_index("contact_id")["amount"]
        f["repeat_spend"] = f["monetary"] - first_amount
        gaps = past.assign(gap=g["day"].diff()).groupby("contact_id")["gap"]
        f["last_gap"] = gaps.last()
        f["gap_sd"] = gaps.std(ddof=0)
        labelled = D + horizon <= as_of_day
        e = pd.DataFrame(index=f.index)
        e["cutoff_date"] = AS_OF - dt.timedelta(days=as_of_day - D)
        e["is_scoring_row"] = D == as_of_day
        e["is_labelled"] = labelled
        e["recency_days"] = D - f["last"]
        e["frequency_orders"] = f["n"]
        e["monetary_net"] = f["monetary"].round(2)
        e["r_score"] = 6 - _quintile(e["recency_days"])
        e["f_score"] = _quintile(e["frequency_orders"])
        e["m_score"] = _quintile(e["monetary_net"])
        e["tenure_days"] = D - f["first"]
        e["avg_basket"] = (f["monetary"] / f["n"]).round(2)
        e["mean_gap_days"] = np.where(f["n"] > 1, (f["last"] - f["first"]) / (f["n"] - 1).clip(lower=1), np.nan)
        e["gap_cv"] = np.where(f["n"] > 2, f["gap_sd"] / e["mean_gap_days"], np.nan)
        e["completed_orders_total"] = f["n"]
        for w in (30, 90, 365):
            e[f"orders_{w}d"] = past[past["day"] > D - w].groupby("contact_id").size().reindex(f.index, fill_value=0)
        e["last_gap_days"] = f["last_gap"]
        e["gap_trend"] = (e["last_gap_days"] / e["mean_gap_days"]).round(4)
        e["latest_nps"] = np.nan  # surveys switched off: an all-null feature
        e["csat_weighted"] = g["csat"].first()
        e["btyd_x"] = f["n"] - 1
        e["btyd_t_x"] = f["last"] - f["first"]
        e["btyd_t"] = D - f["first"]
        e["btyd_mean_spend"] = np.where(f["n"] > 1, (f["repeat_spend"] / (f["n"] - 1).clip(lower=1)).round(2), np.nan)
        if labelled:
            future = tx[(tx["day"] > D) & (tx["day"] <= D + horizon)].groupby("contact_id")
            e["label_orders"] = future.size().reindex(f.index, fill_value=0)
            e["label_revenue"] = future["amount"].sum().reindex(f.index, fill_value=0.0).round(2)
            e["label_purchase"] = (e["label_orders"] > 0).astype(int)
            e["label_churn"] = np.where(e["completed_orders_total"] >= 2, 1 - e["label_purchase"], np.nan)
        else:
            for c in ("label_orders", "label_revenue", "label_purchase", "label_churn"):
                e[c] = np.nan
        out.append(e.reset_index())
    return pd.concat(out, ignore_index=True)


def run(examples, registry, **kw):
    args = dict(horizon_days=HORIZON, as_of=AS_OF, registry_dir=registry, seed=0, refit="always",
                n_threads=THREADS)
    args.update(kw)
    return predict.predict_customers(examples, **args)


@pytest.fixture(scope="module")
def examples():
    return build_examples(simulate_transactions(5000, seed=1))


@pytest.fixture(scope="module")
def fitted(examples, tmp_path_factory):
    registry = tmp_path_factory.mktemp("registry")
    return run(examples, registry), registry


def _status(result, target):
    s = result.prediction_status.set_index("target")
    return s.loc[target, "status"], s.loc[target, "message"]


def _eval(result, target):
    return result.prediction_evaluation[result.prediction_evaluation["target"] == target].set_index("model_name")


# --------------------------------------------------------------------------------------------------------------------
# Metrics on a tiny example, by hand
# --------------------------------------------------------------------------------------------------------------------
def test_metrics_hand_checked():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    m = predict.classification_metrics(y, p)
    # AUC: pairs (positive, negative) ranked right, ties one half. Positive 0.9 beats all 9 negatives; 0.7 beats 8
    # (not 0.8); 0.1 beats the two 0.05 and ties six 0.1 -> 2 + 3. (9 + 8 + 5) / 27.
    assert m["auc"] == pytest.approx(22 / 27)
    assert m["brier"] == pytest.approx((0.1**2 + 0.8**2 + 0.3**2 + 6 * 0.1**2 + 0.9**2 + 2 * 0.05**2) / 12)
    ll = -(np.log(0.9) + np.log(0.2) + np.log(0.7) + 6 * np.log(0.9) + np.log(0.1) + 2 * np.log(0.95)) / 12
    assert m["log_loss"] == pytest.approx(ll)
    # Top decile = ceil(12 / 10) = 2 rows: 0.9 (positive) and 0.8 (negative): share 1/2, base rate 3/12 -> lift 2.
    assert m["top_decile_lift"] == pytest.approx(2.0)
    assert (m["examples"], m["positives"], m["base_rate"]) == (12, 3, 0.25)
    assert m["mae"] is None
    # Ties at the edge of the top decile count with their mean: top 2 of [0.9, 0.5, 0.5, 0.5] are 0.9 and one of
    # three 0.5 whose labels are 1, 0, 0 -> (0 + 1/3) / 2 share over a base rate of 1/4.
    assert predict.top_decile_lift([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                                   [0.9, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.1]) == pytest.approx((1 / 6) / (2 / 12))
    assert predict.top_decile_lift([1, 0, 1, 0], [0.3] * 4) == pytest.approx(1.0)  # a constant has no lift
    # Rank-only scores have no Brier or log loss.
    r = predict.classification_metrics(y, -np.arange(12), probability=False)
    assert r["brier"] is None and r["log_loss"] is None and r["auc"] == pytest.approx((9 + 8 + 2) / 27)
    g = predict.regression_metrics([0, 2, 5, 0], [1.0, 1.0, 3.0, 0.5])
    assert g["mae"] == pytest.approx((1 + 1 + 2 + 0.5) / 4)
    assert (g["predicted_total"], g["actual_total"], g["positives"]) == (5.5, 7.0, 2)
    assert g["top_decile_lift"] == pytest.approx(5 / (7 / 4))  # top 1 row (3.0) has label 5; mean label 7/4
    bins = predict.calibration_bins(np.arange(20) % 2, np.linspace(0, 1, 20))
    assert [b["examples"] for b in bins] == [2] * 10 and bins[0]["mean_predicted"] == pytest.approx(1 / 38)
    assert all(b["observed_rate"] == 0.5 for b in bins)


# --------------------------------------------------------------------------------------------------------------------
# A full run on simulated data
# --------------------------------------------------------------------------------------------------------------------
def test_chosen_purchase_model_beats_baselines_on_held_out_cutoff(fitted, examples):
    result, _ = fitted
    ev = _eval(result, "p_purchase")
    chosen = ev[ev["is_chosen"]]
    assert len(chosen) == 1 and not chosen["is_baseline"].iloc[0]
    c = chosen.iloc[0]
    latest = AS_OF - dt.timedelta(days=HORIZON)
    assert set(ev["cutoff_date"]) == {latest}  # judged on the latest labelled cut-off
    assert c["auc"] > ev.loc["rfm_score", "auc"] + 0.02
    assert c["brier"] < ev.loc["constant", "brier"] - 0.01
    assert c["top_decile_lift"] > ev.loc["rfm_score", "top_decile_lift"]
    assert bool(ev.loc["constant", "is_baseline"]) and ev.loc["constant", "auc"] == pytest.approx(0.5)
    assert set(ev.index) == {"constant", "recency", "rfm_score", "horizon_free", "logistic_regression",
                             "hist_gradient_boosting"}
    # The evaluation counts are the validation customers (group 3, never in a fit) at the latest labelled cut-off.
    val = examples[examples["cutoff_date"] == latest]
    val = val[predict.customer_groups(val["contact_id"]) == 3]
    assert 0.2 < len(val) / (examples["cutoff_date"] == latest).sum() < 0.3
    assert c["examples"] == len(val) and c["positives"] == int(val["label_purchase"].sum())
    assert pd.isna(ev.loc["recency", "brier"])
    status, message = _status(result, "p_purchase")
    assert status == "fitted" and "sigmoid calibration" in message
    # Regressions: the chosen model's total is near the actual total, and it beats the constant's MAE.
    for target in ("expected_orders", "expected_revenue"):
        ev = _eval(result, target)
        c = ev[ev["is_chosen"]].iloc[0]
        assert abs(c["predicted_total"] / c["actual_total"] - 1) < 0.15, target
        assert c["mae"] < ev.loc["constant", "mae"], target
        assert pd.isna(c["auc"]) and _status(result, target)[0] == "fitted"


def test_calibration_bins_within_tolerance(fitted):
    # Tolerance: in every decile, |mean predicted - observed rate| <= 3 binomial standard errors + 0.02.
    result, _ = fitted
    cal = result.prediction_calibration
    chosen = _eval(result, "p_purchase").query("is_chosen").index[0]
    bins = cal[(cal["target"] == "p_purchase") & (cal["model_name"] == chosen)]
    assert list(bins["bin"]) == list(range(1, 11))
    assert bins["model_id"].notna().all()
    se = np.sqrt(bins["mean_predicted"] * (1 - bins["mean_predicted"]) / bins["examples"])
    gap = (bins["mean_predicted"] - bins["observed_rate"]).abs()
    assert (gap <= 3 * se + 0.02).all(), bins


def test_scores_registry_and_p_alive(fitted, examples):
    result, registry = fitted
    scores = result.prediction_scores
    scoring = examples[examples["is_scoring_row"]]
    for target in ("p_purchase", "expected_orders", "expected_revenue", "p_alive"):
        s = scores[scores["target"] == target]
        assert sorted(s["entity_id"]) == sorted(scoring["contact_id"]), target
    p = scores[scores["target"] == "p_purchase"]["value"]
    assert ((p > 0) & (p < 1)).all()
    # Churn only for repeat customers (>= 2 completed orders at the as-of date), and judged on them alone.
    churn = scores[scores["target"] == "churn_risk"]
    assert sorted(churn["entity_id"]) == sorted(scoring.loc[scoring["completed_orders_total"] >= 2, "contact_id"])
    latest = examples[examples["cutoff_date"] == AS_OF - dt.timedelta(days=HORIZON)]
    latest = latest[predict.customer_groups(latest["contact_id"]) == 3]
    ev = _eval(result, "churn_risk")
    assert (ev["examples"] == int((latest["completed_orders_total"] >= 2).sum())).all()
    assert (ev["positives"] == int(latest["label_churn"].sum())).all()
    # p_alive is the BG/NBD closed form fitted on the as-of date's customers.
    fit = btyd.fit_bgnbd(scoring["btyd_x"], scoring["btyd_t_x"], scoring["btyd_t"])
    want = pd.Series(btyd.p_alive(fit, scoring["btyd_x"], scoring["btyd_t_x"], scoring["btyd_t"]),
                     index=scoring["contact_id"]).sort_index()
    got = scores[scores["target"] == "p_alive"].set_index("entity_id")["value"].sort_index()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    assert _status(result, "p_alive")[0] == "horizon_free"
    # Every model id in the scores is in the registry, with its artifact and model.json.
    reg = result.model_registry.set_index("model_id")
    assert set(scores["model_id"]) <= set(reg.index)
    for model_id, row in reg.iterrows():
        meta = json.loads((registry / model_id / "model.json").read_text())
        assert meta["model_id"] == model_id and (registry / model_id / "model.joblib").is_file()
        assert row["features"] == ",".join(meta["features"]) and meta["library_versions"]["scikit-learn"]
    pp = reg.loc[scores.loc[scores["target"] == "p_purchase", "model_id"].iloc[0]]
    assert pp["validation_cutoff"] == AS_OF - dt.timedelta(days=HORIZON)
    assert len(pp["training_cutoffs"].split(",")) == 6 and pp["sample_rows"] > 10_000
    assert "bgnbd_p_purchase" in pp["features"].split(",")


def test_same_input_same_output(fitted, examples, tmp_path):
    # Rows in another order, another registry: identical DataFrames (but the fitting time and the folder) and ids.
    result, _ = fitted
    shuffled = examples.sample(frac=1.0, random_state=7).reset_index(drop=True)
    again = run(shuffled, tmp_path / "registry")
    for name in ("prediction_scores", "prediction_evaluation", "prediction_calibration", "prediction_status"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name), check_exact=True)
    cols = [c for c in predict.REGISTRY_COLUMNS if c not in ("fitted_at", "artifact_path")]
    pd.testing.assert_frame_equal(result.model_registry[cols], again.model_registry[cols], check_exact=True)


# --------------------------------------------------------------------------------------------------------------------
# Saved models
# --------------------------------------------------------------------------------------------------------------------
def test_refit_never_scores_with_the_saved_model(fitted, examples, monkeypatch, tmp_path):
    result, registry = fitted
    scoring_only = examples[examples["is_scoring_row"]].copy()
    monkeypatch.setattr(predict, "_fit", lambda *a, **k: pytest.fail("refit='never' fitted a model"))
    saved = run(scoring_only, registry, refit="never")
    pd.testing.assert_frame_equal(saved.prediction_scores, result.prediction_scores, check_exact=True)
    for target in ("p_purchase", "churn_risk", "expected_orders", "expected_revenue"):
        status, message = _status(saved, target)
        assert status == "saved_model" and "not refitted" in message
    # The saved model's evaluation is published again with its scores.
    pd.testing.assert_frame_equal(saved.prediction_evaluation, result.prediction_evaluation, check_exact=True)
    # 'auto' on the same date uses the saved models too.
    auto = run(examples, registry, refit="auto")
    pd.testing.assert_frame_equal(auto.prediction_scores, result.prediction_scores, check_exact=True)
    # A changed feature list is refused in one line naming the target.
    with pytest.raises(predict.PredictionError, match=r"^p_purchase: saved model p_purchase\..* other features "
                                                      r"than the examples have \(missing gap_cv; new -\)") as err:
        run(scoring_only.drop(columns="gap_cv"), registry, refit="never")
    assert "\n" not in str(err.value)
    # No saved model (a target below the minimum data, or won by the horizon-free model): served as without one.
    empty = run(scoring_only, tmp_path / "empty", refit="never")
    status, message = _status(empty, "p_purchase")
    assert status == "horizon_free", message
    assert message.startswith(f"no saved fitted model of it in {tmp_path / 'empty'} for a 180-day horizon as of "
                              "2026-06-30 or earlier (refit='never'); served by the horizon-free BG/NBD model"), message


def test_refit_auto_refits_a_model_older_than_the_spacing(fitted, examples, tmp_path):
    _, registry = fitted
    copy = tmp_path / "registry"
    shutil.copytree(registry, copy)
    # Age the saved churn model by one cut-off spacing: 'auto' refits it and keeps the others.
    for meta_path in copy.glob("churn_risk.*/model.json"):
        meta = json.loads(meta_path.read_text())
        meta["as_of_date"] = (AS_OF - dt.timedelta(days=SPACING)).isoformat()
        meta_path.write_text(json.dumps(meta))
    result = run(examples, copy, refit="auto")
    assert _status(result, "churn_risk")[0] == "fitted"
    assert _status(result, "p_purchase")[0] == "saved_model"
    assert any("churn_risk: saved model" in line and "30 days old" in line for line in result.log)


# --------------------------------------------------------------------------------------------------------------------
# Minimum data and horizons
# --------------------------------------------------------------------------------------------------------------------
def test_below_minimum_nothing_is_scored(tmp_path):
    tx = simulate_transactions(600, seed=3)
    ex = build_examples(tx)
    ex = ex[ex["contact_id"].isin(sorted(ex.loc[ex["is_scoring_row"], "contact_id"])[:412])]
    result = run(ex, tmp_path)
    assert len(result.prediction_scores) == 0
    st = result.prediction_status
    assert set(st["target"]) == {"p_purchase", "churn_risk", "expected_orders", "expected_revenue", "p_alive"}
    assert (st["status"] == "not_fitted").all()
    assert (st["message"] == "412 customers with history, 500 needed (var prediction_min_examples)").all()
    assert "p_purchase: not_fitted: 412 customers with history, 500 needed (var prediction_min_examples)" in result.log
    assert len(result.prediction_evaluation) == 0 and len(result.model_registry) == 0


def test_too_few_positives_in_validation_falls_back_to_horizon_free(tmp_path):
    ex = build_examples(simulate_transactions(1500, seed=4))
    latest = ex[ex["cutoff_date"] == AS_OF - dt.timedelta(days=HORIZON)]
    buyers = int(latest.loc[predict.customer_groups(latest["contact_id"]) == 3, "label_purchase"].sum())
    result = run(ex, tmp_path, min_examples=100, min_positives=buyers + 1)
    status, message = _status(result, "p_purchase")
    assert status == "horizon_free"
    assert message == (f"{buyers} purchasing customers in the validation window, {buyers + 1} needed (var "
                       "prediction_min_positives); served by the "
                       f"horizon-free BG/NBD model (its {HORIZON}-day prediction, not fitted to these labels)")
    scores = result.prediction_scores
    pp = scores[scores["target"] == "p_purchase"]
    assert len(pp) == int(ex["is_scoring_row"].sum()) and pp["model_id"].str.startswith("p_alive.horizon_free.").all()
    ev = _eval(result, "p_purchase")
    assert bool(ev.loc["horizon_free", "is_chosen"]) and "logistic_regression" not in ev.index


def test_horizon_longer_than_history_is_served_by_the_horizon_free_model(tmp_path):
    horizon = HISTORY_DAYS + 10
    ex = build_examples(simulate_transactions(800, seed=5), horizon=horizon)
    assert not ex["is_labelled"].any()
    # As a warehouse client returns them: decimals as Decimal objects, dates as timestamps, nullable integers.
    ex["btyd_mean_spend"] = [None if pd.isna(v) else decimal.Decimal(f"{v:.2f}") for v in ex["btyd_mean_spend"]]
    ex["cutoff_date"] = pd.to_datetime(ex["cutoff_date"])
    ex["btyd_x"] = ex["btyd_x"].astype("Int64")
    result = run(ex, tmp_path, horizon_days=horizon)
    for target in ("p_purchase", "churn_risk", "expected_orders", "expected_revenue"):
        status, message = _status(result, target)
        assert status == "horizon_free", target
        assert message.startswith(f"no labelled cut-off: the {horizon}-day horizon reaches back to "
                                  f"{AS_OF - dt.timedelta(days=horizon)}"), message
    assert len(result.prediction_evaluation) == 0
    s = result.prediction_scores
    assert s.groupby("target").size()["p_purchase"] == int(ex["is_scoring_row"].sum())
    # Served by the BG/NBD fitted on the as-of date's customers: its P(purchase in the horizon), the model id of
    # the horizon-free fit.
    scoring = ex[ex["is_scoring_row"]].sort_values("contact_id")
    x, t_x, T = (scoring[c].astype(float) for c in ("btyd_x", "btyd_t_x", "btyd_t"))
    want = btyd.p_purchase(btyd.fit_bgnbd(x, t_x, T), horizon, x, t_x, T)
    got = s[s["target"] == "p_purchase"].sort_values("entity_id")
    np.testing.assert_allclose(got["value"].to_numpy(), want, rtol=1e-12)
    assert got["model_id"].str.startswith("p_alive.horizon_free.").all()


def test_invalid_input_is_named():
    ex = build_examples(simulate_transactions(300, seed=6))
    with pytest.raises(predict.PredictionError, match=r"^is_labelled: rows at .* 270-day window ends after"):
        run(ex.copy(), "/nonexistent", horizon_days=HORIZON + 90)
    with pytest.raises(predict.PredictionError, match=r"^examples: missing columns btyd_t$"):
        run(ex.drop(columns="btyd_t"), "/nonexistent")
    with pytest.raises(predict.PredictionError, match=r"^refit: 'sometimes'"):
        run(ex, "/nonexistent", refit="sometimes")
    bad = ex.assign(segment="gold")
    with pytest.raises(predict.PredictionError, match=r"^segment: not numeric"):
        run(bad, "/nonexistent")


def test_the_horizon_free_model_serves_a_target_when_it_beats_the_fitted_ones(tmp_path):
    """On pure BG/NBD customers (no effect the history does not show) the true model family wins the validation:
    the fitted candidates add nothing, so the horizon-free model scores the target, flagged chosen."""
    examples = build_examples(simulate_transactions(5000, seed=1, csat_effect=False))
    result = run(examples, tmp_path)
    status, message = _status(result, "p_purchase")
    assert status == "horizon_free", message
    assert message.startswith("the horizon-free model beat the fitted models at the validation cut-off 2026-01-01 "
                              "(log loss "), message
    ev = result.prediction_evaluation
    chosen = ev[(ev.target == "p_purchase") & ev.is_chosen]
    assert list(chosen.model_name) == ["horizon_free"]
    fitted = ev[(ev.target == "p_purchase") & ~ev.is_baseline]
    assert (fitted.log_loss > chosen.log_loss.iloc[0]).all()
    scores = result.prediction_scores
    assert scores[scores.target == "p_purchase"].model_id.str.contains("horizon_free").all()


def test_prediction_values_are_rounded_per_target_even_from_a_read_only_column():
    """predict_io.rounded: probabilities 6 decimals, orders 4, revenue 2; a column backed by a read-only array (as
    pandas hands out at scale) is copied, not written in place; a missing value stays missing."""
    from customer_scoring import predict_io

    values = np.array([0.12345678, 3.14159265, 1234.5678, np.nan])
    values.flags.writeable = False
    frame = pd.DataFrame({"target": ["p_purchase", "expected_orders", "expected_revenue", "p_alive"],
                          "value": values}, copy=False)
    out = predict_io.rounded("prediction_scores", frame)
    assert out["value"].tolist()[:3] == [0.123457, 3.1416, 1234.57] and np.isnan(out["value"].iloc[3])
    assert np.isnan(values[3]) and values[0] == 0.12345678, "the input is left as it was"
