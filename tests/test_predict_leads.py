"""Lead conversion and campaign response models (customer_scoring.predict.predict_leads, predict_campaign_response)
on synthetic training examples of the shape of int_lead__training_examples and int_campaign__training_examples,
simulated from processes with a known signal. Pure Python."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from customer_scoring import predict

AS_OF = dt.date(2026, 6, 30)
HORIZON = 180
SPACING = 30
HISTORY_DAYS = 1100
RESPONSE_DAYS = 14
THREADS = 1
STAGES = predict.LEAD_STAGES  # opportunity, sql, mql, lead, subscriber


def _cutoff_days(n_cutoffs: int = 6, horizon: int = HORIZON) -> list[int]:
    """Days (day 0 = AS_OF - HISTORY_DAYS) of the labelled cut-offs, oldest first, then the as-of date."""
    return [HISTORY_DAYS - horizon - k * SPACING for k in range(n_cutoffs)][::-1] + [HISTORY_DAYS]


def _date(day: int) -> dt.date:
    return AS_OF - dt.timedelta(days=HISTORY_DAYS - day)


# --------------------------------------------------------------------------------------------------------------------
# Leads: a conversion hazard from the stage, the fit, the B2B flag and a latent intent the engagement shows with noise
# --------------------------------------------------------------------------------------------------------------------
def simulate_leads(n: int, seed: int) -> pd.DataFrame:
    """Rows of int_lead__training_examples. Lead i is created on a day uniform in [0, HISTORY_DAYS) and converts
    after an exponential time with the daily hazard 0.0012 exp(0.5 (2 - stage index) + 2 (fit - 0.5) + 0.6 intent
    + 0.3 is_b2b): the stage (opportunity first), the fit (industry and job function for B2B leads, age band for B2C
    ones), and an intent ~ N(0, 1) that the engagement score shows with noise at each cut-off. At a cut-off D the
    leads are those created on or before D and not converted by then; label_convert = a conversion in (D, D + H]."""
    rng = np.random.default_rng(seed)
    created = rng.integers(0, HISTORY_DAYS, n)
    is_b2b = rng.random(n) < 0.6
    stage = rng.choice(len(STAGES), n, p=[0.05, 0.12, 0.23, 0.30, 0.30])
    industry_fit = np.round(rng.beta(2, 2, n), 4)
    job_fit = np.round(rng.beta(2, 2, n), 4)
    age_fit = np.round(rng.beta(2, 2, n), 4)
    fit = np.where(is_b2b, (industry_fit + job_fit) / 2, age_fit)
    intent = rng.normal(0.0, 1.0, n)
    hazard = 0.0012 * np.exp(0.5 * (2 - stage) + 2.0 * (fit - 0.5) + 0.6 * intent + 0.3 * is_b2b)
    converts = created + rng.exponential(1.0 / hazard)
    pipeline = np.where(stage == 0, np.round(rng.gamma(2.0, 5000.0, n), 2), 0.0)
    ids = np.array([f"L{i:06d}" for i in range(n)], dtype=object)
    out = []
    for D in _cutoff_days():
        lead = np.flatnonzero((created <= D) & (converts > D))
        labelled = D + HORIZON <= HISTORY_DAYS
        engagement = np.clip(np.round(50 + 15 * intent[lead] + rng.normal(0, 15, lead.size), 2), 0, 100)
        positive = rng.random(lead.size) < 0.7
        out.append(pd.DataFrame({
            "cutoff_date": _date(D), "contact_id": ids[lead], "is_scoring_row": D == HISTORY_DAYS,
            "is_labelled": labelled, "is_b2b": is_b2b[lead],
            "industry_fit": np.where(is_b2b[lead], industry_fit[lead], np.nan),
            "job_function_fit": np.where(is_b2b[lead], job_fit[lead], np.nan),
            "age_band_fit": np.where(is_b2b[lead], np.nan, age_fit[lead]),
            "engagement_score": engagement,
            "high_intent_events": rng.poisson(np.exp(0.5 * intent[lead])),
            "days_since_last_positive": np.where(positive, rng.integers(0, 90, lead.size), np.nan),
            "lead_stage": pd.Series(np.array(STAGES, dtype=object)[stage[lead]], dtype=object),
            "open_pipeline_amount": pipeline[lead],
            "days_since_created": D - created[lead],
            "label_convert": (converts[lead] <= D + HORIZON).astype(float) if labelled else np.nan,
        }))
    return pd.concat(out, ignore_index=True)


def run_leads(examples, registry, **kw):
    args = dict(horizon_days=HORIZON, as_of=AS_OF, registry_dir=registry, seed=0, refit="always", n_threads=THREADS)
    args.update(kw)
    return predict.predict_leads(examples, **args)


@pytest.fixture(scope="module")
def leads():
    return simulate_leads(12000, seed=11)


@pytest.fixture(scope="module")
def leads_fitted(leads, tmp_path_factory):
    registry = tmp_path_factory.mktemp("lead_registry")
    return run_leads(leads, registry), registry


# --------------------------------------------------------------------------------------------------------------------
# Campaigns: a response propensity per contact that the past responses and the engagement each show with noise
# --------------------------------------------------------------------------------------------------------------------
def simulate_campaigns(n: int, seed: int) -> pd.DataFrame:
    """Rows of int_campaign__training_examples. Contact i answers each send with probability p_i = sigmoid(-1.6 +
    0.9 u_i + 0.5 is_customer), u_i ~ N(0, 1), after a delay of 1 + Geometric(0.3) days (answered within
    RESPONSE_DAYS = 14 days: nearly always); sends come as a Poisson process of one per 60 to 180 days from day 0.
    The engagement score shows u_i with noise. At a labelled cut-off D: the contacts sent a campaign in (D, D + H],
    about the first such send (next_campaign_id, next_sent_on), with the campaign history up to D (sends, responses
    answered by D, days since the last one); is_labelled when the send's response window ends on or before the
    as-of date. At the as-of date: every contact, unlabelled."""
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, 1.0, n)
    is_customer = rng.random(n) < 0.4
    p = 1.0 / (1.0 + np.exp(-(-1.6 + 0.9 * u + 0.5 * is_customer)))
    engagement = np.clip(np.round(40 + 15 * u + rng.normal(0, 15, n), 2), 0, 100)
    recency = np.where(is_customer, rng.integers(1, 400, n), -1)
    frequency = np.where(is_customer, 1 + rng.poisson(2.0, n), -1)
    rate = 1.0 / rng.uniform(60, 180, n)
    end = HISTORY_DAYS + HORIZON
    # A Poisson process on [0, end): a Poisson number of sends at uniform times.
    i = np.repeat(np.arange(n), rng.poisson(rate * end))
    t = np.floor(rng.uniform(0, end, i.size)).astype(int)
    answered = rng.random(i.size) < p[i]
    delay = 1 + rng.geometric(0.3, i.size)
    sends = pd.DataFrame({"i": i, "sent": t, "responded": np.where(answered, t + delay, -1)})
    sends = sends.drop_duplicates(["i", "sent"]).sort_values(["i", "sent"], kind="mergesort").reset_index(drop=True)
    sends["campaign_id"] = "K" + sends["sent"].astype(str)
    ids = np.array([f"C{i:06d}" for i in range(n)], dtype=object)
    out = []
    for D in _cutoff_days():
        scoring = D == HISTORY_DAYS
        past = sends[sends["sent"] <= D]
        hist = pd.DataFrame({
            "campaign_sends": past.groupby("i").size(),
            "campaign_responses": past[(past["responded"] >= 0) & (past["responded"] <= D)].groupby("i").size(),
            "last_response": past[(past["responded"] >= 0) & (past["responded"] <= D)].groupby("i")["responded"].max(),
        }).reindex(range(n))
        if scoring:
            who = np.arange(n)
            nxt = pd.DataFrame({"campaign_id": None, "sent": np.nan, "responded": np.nan}, index=who)
        else:
            window = sends[(sends["sent"] > D) & (sends["sent"] <= D + HORIZON)]
            nxt = window.sort_values(["i", "sent"]).drop_duplicates("i").set_index("i")
            who = nxt.index.to_numpy()
        labelled = (not scoring) & (nxt["sent"].to_numpy() + RESPONSE_DAYS <= HISTORY_DAYS)
        answered = (nxt["responded"].to_numpy() >= 0) & (nxt["responded"].to_numpy() - nxt["sent"].to_numpy()
                                                         <= RESPONSE_DAYS)
        h = hist.loc[who]
        out.append(pd.DataFrame({
            "cutoff_date": _date(D), "contact_id": ids[who], "is_scoring_row": scoring, "is_labelled": labelled,
            "next_campaign_id": nxt["campaign_id"].to_numpy(dtype=object),
            "next_sent_on": [None if pd.isna(s) else _date(int(s)) for s in nxt["sent"]],
            "is_customer": is_customer[who],
            "recency_days": np.where(is_customer[who], recency[who], np.nan),
            "frequency_orders": np.where(is_customer[who], frequency[who], np.nan),
            "engagement_score": engagement[who],
            "campaign_sends": h["campaign_sends"].fillna(0).to_numpy(dtype=int),
            "campaign_responses": h["campaign_responses"].fillna(0).to_numpy(dtype=int),
            "days_since_last_response": (D - h["last_response"]).to_numpy(),
            "label_response": np.where(labelled, answered.astype(float), np.nan),
        }))
    return pd.concat(out, ignore_index=True)


def run_campaigns(examples, registry, **kw):
    args = dict(horizon_days=HORIZON, as_of=AS_OF, registry_dir=registry, seed=0, refit="always", n_threads=THREADS)
    args.update(kw)
    return predict.predict_campaign_response(examples, **args)


@pytest.fixture(scope="module")
def campaigns():
    return simulate_campaigns(6000, seed=12)


@pytest.fixture(scope="module")
def campaigns_fitted(campaigns, tmp_path_factory):
    registry = tmp_path_factory.mktemp("campaign_registry")
    return run_campaigns(campaigns, registry), registry


def _status(result, target):
    s = result.prediction_status.set_index("target")
    return s.loc[target, "status"], s.loc[target, "message"]


def _eval(result, target):
    return result.prediction_evaluation[result.prediction_evaluation["target"] == target].set_index("model_name")


def _validation_rows(examples, label):
    """The judged rows: the latest labelled cut-off, backtest group 3, labelled."""
    latest = _date(_cutoff_days()[-2])
    v = examples[(examples["cutoff_date"] == latest) & examples["is_labelled"] & examples[label].notna()]
    return v[predict.customer_groups(v["contact_id"]) == 3]


def _assert_calibrated(result, target):
    # Tolerance (as for customers): in every decile, |mean predicted - observed rate| <= 3 binomial standard errors
    # + 0.02.
    cal = result.prediction_calibration
    chosen = _eval(result, target).query("is_chosen").index[0]
    bins = cal[(cal["target"] == target) & (cal["model_name"] == chosen)]
    assert list(bins["bin"]) == list(range(1, 11)) and bins["model_id"].notna().all()
    se = np.sqrt(bins["mean_predicted"] * (1 - bins["mean_predicted"]) / bins["examples"])
    gap = (bins["mean_predicted"] - bins["observed_rate"]).abs()
    assert (gap <= 3 * se + 0.02).all(), bins


# --------------------------------------------------------------------------------------------------------------------
# Lead conversion
# --------------------------------------------------------------------------------------------------------------------
def test_lead_model_beats_its_baselines_on_the_held_out_cutoff(leads_fitted, leads):
    result, _ = leads_fitted
    ev = _eval(result, "p_convert")
    assert set(ev.index) == {"constant", "engagement_score", "lead_stage", "logistic_regression",
                             "hist_gradient_boosting"}
    chosen = ev[ev["is_chosen"]]
    assert len(chosen) == 1 and not chosen["is_baseline"].iloc[0]
    c = chosen.iloc[0]
    valid = _validation_rows(leads, "label_convert")
    assert set(ev["cutoff_date"]) == {_date(_cutoff_days()[-2])}
    assert (ev["examples"] == len(valid)).all() and c["positives"] == int(valid["label_convert"].sum())
    # The simplest baselines: engagement alone, the stage order; the model reads both and the fit.
    assert c["auc"] > ev.loc["engagement_score", "auc"] + 0.03
    assert c["auc"] > ev.loc["lead_stage", "auc"] + 0.03
    assert c["brier"] < ev.loc["constant", "brier"] - 0.005
    assert ev.loc[["engagement_score", "lead_stage"], "brier"].isna().all()  # rank-only
    # The lead_stage baseline ranks opportunity > sql > mql > lead > subscriber.
    rank = valid["lead_stage"].map({"opportunity": 4, "sql": 3, "mql": 2, "lead": 1, "subscriber": 0})
    assert ev.loc["lead_stage", "auc"] == pytest.approx(roc_auc_score(valid["label_convert"], rank), abs=1e-12)
    status, message = _status(result, "p_convert")
    assert status == "fitted" and "sigmoid calibration fitted on" in message and "held-out leads" in message
    # Every lead at the as-of date is scored, entity_type 'lead', with a model of the registry.
    s = result.prediction_scores
    scoring = leads[leads["is_scoring_row"]]
    assert set(s["target"]) == {"p_convert"} and set(s["entity_type"]) == {"lead"}
    assert sorted(s["entity_id"]) == sorted(scoring["contact_id"])
    assert ((s["value"] > 0) & (s["value"] < 1)).all()
    reg = result.model_registry.set_index("model_id")
    assert list(reg.index) == list(s["model_id"].unique())
    features = reg["features"].iloc[0].split(",")
    assert [f for f in features if f.startswith("lead_stage")] == [f"lead_stage_{v}" for v in STAGES]
    assert "label_convert" not in features and "contact_id" not in features
    assert not any(f.startswith("bgnbd_") for f in features)


def test_lead_calibration_within_tolerance(leads_fitted):
    _assert_calibrated(leads_fitted[0], "p_convert")


def test_same_input_same_output(leads_fitted, leads, campaigns_fitted, campaigns, tmp_path):
    # Rows in another order, another registry: identical DataFrames (but the fitting time and the folder) and ids.
    for (result, _), examples, fn in ((leads_fitted, leads, run_leads), (campaigns_fitted, campaigns, run_campaigns)):
        shuffled = examples.sample(frac=1.0, random_state=7).reset_index(drop=True)
        again = fn(shuffled, tmp_path / fn.__name__)
        for name in ("prediction_scores", "prediction_evaluation", "prediction_calibration", "prediction_status"):
            pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name), check_exact=True)
        cols = [c for c in predict.REGISTRY_COLUMNS if c not in ("fitted_at", "artifact_path")]
        pd.testing.assert_frame_equal(result.model_registry[cols], again.model_registry[cols], check_exact=True)


def test_unseen_lead_stage_scores_as_a_null_stage(leads_fitted, leads, monkeypatch):
    """A stage outside the fixed order (here 'prospect') gets 0 in every lead_stage_* column, as a null stage does,
    and is logged; values are compared trimmed and lower-cased. Scored by the saved model (refit='never')."""
    result, registry = leads_fitted
    monkeypatch.setattr(predict, "_fit", lambda *a, **k: pytest.fail("refit='never' fitted a model"))
    scoring = leads[leads["is_scoring_row"]].reset_index(drop=True)
    saved = run_leads(scoring, registry, refit="never")
    pd.testing.assert_frame_equal(saved.prediction_scores, result.prediction_scores, check_exact=True)
    assert _status(saved, "p_convert")[0] == "saved_model"
    some = scoring.index[scoring["lead_stage"] == "sql"][:40]

    def values(stage):
        ex = scoring.copy()
        ex.loc[some, "lead_stage"] = stage
        r = run_leads(ex, registry, refit="never")
        return r, r.prediction_scores.set_index("entity_id").loc[scoring.loc[some, "contact_id"], "value"]

    prospect, v_prospect = values("prospect")
    _, v_null = values(None)
    _, v_sql = values(" SQL ")
    base = result.prediction_scores.set_index("entity_id").loc[scoring.loc[some, "contact_id"], "value"]
    np.testing.assert_array_equal(v_prospect.to_numpy(), v_null.to_numpy())
    np.testing.assert_array_equal(v_sql.to_numpy(), base.to_numpy())
    assert (v_prospect.to_numpy() != base.to_numpy()).all()  # the sql indicator mattered
    assert len(prospect.prediction_scores) == len(scoring)
    assert ("lead_stage: 40 rows with a value outside opportunity, sql, mql, lead, subscriber ('prospect' 40): all "
            "their lead_stage_* columns are 0, as for a null lead_stage") in prospect.log


def test_leads_below_the_minimum_are_not_scored(leads, tmp_path):
    # Fewer leads at the as-of date than min_examples: nothing is fitted, one line says why.
    keep = sorted(leads.loc[leads["is_scoring_row"], "contact_id"])[:412]
    few = leads[leads["contact_id"].isin(keep)]
    result = run_leads(few, tmp_path / "few")
    assert len(result.prediction_scores) == 0 and len(result.model_registry) == 0
    assert result.prediction_status[["target", "status", "message"]].values.tolist() == [
        ["p_convert", "not_fitted", "412 leads, 500 needed (var prediction_min_examples)"]]
    # Too few conversions in the training rows (groups 0-1 at the cut-offs before the last two): no horizon-free
    # model to fall back on, so p_convert has no score; the baselines are still published.
    train_days = [_date(d) for d in _cutoff_days()[:-3]]
    train = leads[leads["cutoff_date"].isin(train_days)]
    train = train[predict.customer_groups(train["contact_id"]) <= 1]
    pos = int(train["label_convert"].sum())
    result = run_leads(leads, tmp_path / "positives", min_positives=pos + 1)
    status, message = _status(result, "p_convert")
    assert status == "not_fitted"
    assert message == (f"{pos} converted leads in the training windows, {pos + 1} needed (var "
                       "prediction_min_positives); not scored (a lead has no purchase history for a horizon-free "
                       "model)")
    assert len(result.prediction_scores) == 0 and len(result.model_registry) == 0
    ev = result.prediction_evaluation
    assert set(ev["model_name"]) == {"constant", "engagement_score", "lead_stage"} and not ev["is_chosen"].any()


# --------------------------------------------------------------------------------------------------------------------
# Campaign response
# --------------------------------------------------------------------------------------------------------------------
def test_campaign_model_beats_its_baselines_on_the_held_out_cutoff(campaigns_fitted, campaigns):
    result, _ = campaigns_fitted
    ev = _eval(result, "p_campaign_response")
    assert set(ev.index) == {"constant", "past_response_rate", "engagement_score", "logistic_regression",
                             "hist_gradient_boosting"}
    c = ev[ev["is_chosen"]].iloc[0]
    assert not c["is_baseline"]
    # Judged on the labelled rows only: a past row whose send's response window ends after the as-of date has no
    # label and is in no fit or judgement.
    valid = _validation_rows(campaigns, "label_response")
    latest = campaigns[campaigns["cutoff_date"] == _date(_cutoff_days()[-2])]
    assert (~latest["is_labelled"]).sum() > 50
    assert (ev["examples"] == len(valid)).all() and c["positives"] == int(valid["label_response"].sum())
    assert c["auc"] > ev.loc["past_response_rate", "auc"] + 0.01
    assert c["auc"] > ev.loc["engagement_score", "auc"] + 0.01
    assert c["brier"] < ev.loc["constant", "brier"] - 0.005
    sends, responses = valid["campaign_sends"], valid["campaign_responses"]
    rate = np.where(sends > 0, responses / sends.where(sends > 0, 1), 0.0)
    assert ev.loc["past_response_rate", "auc"] == pytest.approx(roc_auc_score(valid["label_response"], rate),
                                                                abs=1e-12)
    status, message = _status(result, "p_campaign_response")
    labelled = campaigns[campaigns["is_labelled"]]
    assert status == "fitted" and result.prediction_status["examples"].iloc[0] == len(labelled)
    # Every golden contact is scored, entity_type 'contact'.
    s = result.prediction_scores
    assert set(s["entity_type"]) == {"contact"} and set(s["target"]) == {"p_campaign_response"}
    assert sorted(s["entity_id"]) == sorted(campaigns.loc[campaigns["is_scoring_row"], "contact_id"])
    _assert_calibrated(result, "p_campaign_response")


def test_campaign_non_feature_columns_are_ignored(campaigns_fitted, campaigns, tmp_path):
    result, _ = campaigns_fitted
    features = result.model_registry["features"].iloc[0].split(",")
    assert features == ["is_customer", "recency_days", "frequency_orders", "engagement_score", "campaign_sends",
                        "campaign_responses", "days_since_last_response", "past_response_rate"]
    # Other campaign ids and send dates, or no such columns at all: the same models, ids and scores.
    other = campaigns.assign(next_campaign_id="X" + campaigns["next_campaign_id"].fillna(""),
                             next_sent_on=pd.NaT)
    for i, ex in enumerate((other, campaigns.drop(columns=["next_campaign_id", "next_sent_on"]))):
        again = run_campaigns(ex, tmp_path / str(i))
        pd.testing.assert_frame_equal(again.prediction_scores, result.prediction_scores, check_exact=True)
        pd.testing.assert_frame_equal(again.prediction_evaluation, result.prediction_evaluation, check_exact=True)


def test_campaign_below_the_minimum_is_not_scored(campaigns, tmp_path):
    # Too few responses among the held-out contacts at the latest labelled cut-off: a judge needs both outcomes.
    pos = int(_validation_rows(campaigns, "label_response")["label_response"].sum())
    result = run_campaigns(campaigns, tmp_path, min_positives=pos + 1)
    status, message = _status(result, "p_campaign_response")
    assert status == "not_fitted"
    assert message == (f"{pos} responding contacts in the validation window, {pos + 1} needed (var "
                       "prediction_min_positives); not scored (campaign response has no horizon-free model)")
    assert len(result.prediction_scores) == 0 and len(result.model_registry) == 0
    # Fewer golden contacts at the as-of date than min_examples: nothing is fitted.
    n = int(campaigns["is_scoring_row"].sum())
    result = run_campaigns(campaigns, tmp_path, min_examples=n + 1)
    assert result.prediction_status[["status", "message"]].values.tolist() == [
        ["not_fitted", f"{n} contacts, {n + 1} needed (var prediction_min_examples)"]]
