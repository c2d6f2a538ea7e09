"""Predictive scoring of customers (purchase, churn, expected orders and revenue over a horizon, P(alive)), of leads
(conversion) and of contacts (response to the next campaign).

Pure Python on DataFrames (pandas, numpy, scipy, scikit-learn); no warehouse access. The runner reads the relation
``int_customer__training_examples`` into a DataFrame, calls ``predict_customers`` and writes the five DataFrames of
the returned ``PredictionRun`` back as relations; likewise ``int_lead__training_examples`` -> ``predict_leads`` and
``int_campaign__training_examples`` -> ``predict_campaign_response`` (see "Leads and campaign response" below). The
three entry points share one run (``_Run``): what differs is a ``_Problem`` (targets, columns, baselines, whether
there is a horizon-free model).

Input: one row per (cutoff_date, contact_id), the contract of issue 12 (see ``REQUIRED_COLUMNS``):

- ``cutoff_date`` (date), ``contact_id`` (text), ``is_scoring_row`` (the as-of date itself, labels null),
  ``is_labelled`` (cutoff_date + horizon <= as-of date);
- features: every other column that is not a label (``label_*``), numbers or nulls (decimals and booleans are read as
  floats). The model's feature list is derived from the columns, so the SQL can add a feature without a change here;
  a saved model whose feature list differs is refused (``refit='never'``) or refitted (``'auto'``);
- the BG/NBD summary ``btyd_x``, ``btyd_t_x``, ``btyd_t`` (days) and ``btyd_mean_spend`` (money, null when x = 0);
- labels over (cutoff_date, cutoff_date + horizon]: ``label_purchase`` (0/1), ``label_orders`` (count),
  ``label_revenue`` (money), ``label_churn`` (0/1, repeat customers only); null where not labelled.

Targets (``TARGETS``): ``p_purchase`` (P(a completed order in the horizon), every customer), ``churn_risk`` (P(no
completed order in the horizon), customers with >= 2 completed orders), ``expected_orders`` (completed orders in the
horizon), ``expected_revenue`` (their net amount, money), and ``p_alive`` (BG/NBD P(alive) at the as-of date: no
label exists for being alive, so it is never validated against outcomes and always comes from the horizon-free model).

Models, per target:

- the horizon-free baseline, fitted at each cut-off on that cut-off's own customers (like the RFM quintiles, which
  are ranks among the cut-off's customers): BG/NBD (``customer_scoring.btyd``, D40) on btyd_x/btyd_t_x/btyd_t gives
  ``bgnbd_p_alive``, ``bgnbd_p_purchase`` (P(at least one purchase day in the horizon)), ``bgnbd_expected_orders``
  (expected purchase days in the horizon) and, with the Gamma-Gamma fitted on the customers with x > 0 and a positive
  mean spend, ``bgnbd_expected_revenue`` (expected purchase days x conditional expected spend; customers whose mean
  spend is not positive get the population mean spend). A fit that does not converge gives no values (NaN). These
  four columns are added to the features of the discriminative models;
- ``logistic_regression`` (binary) or ``poisson_glm`` (count and amount; ``ridge`` when an amount label is negative):
  features through asinh (log-like for large values, sign kept), median imputation with missing-value indicators,
  standardisation, L2 penalty (logistic C = 1, Poisson alpha = 1e-4), Newton-Cholesky solver (a few exact Newton
  steps: the features are few, the rows many);
- ``hist_gradient_boosting``: HistGradientBoostingClassifier, or the Regressor with the Poisson loss (squared error
  when an amount label is negative), missing values handled natively, 100 iterations, fixed ``random_state``.

Choice by time, on held-out customers: with the labelled cut-offs c1 < ... < cn and the customers split into four
fixed groups by a hash of contact_id (``customer_groups``), the candidates are judged on group 3 at cn, the latest
labelled cut-off. A binary target's candidates are trained on groups 0-1 at c1..c(n-2) and their sigmoid calibration
is fitted on group 2 at c(n-1); a regression's (or a binary target's with only two labelled cut-offs, then not
calibrated) are trained on groups 0-2 at c1..c(n-1). So the judged rows are later than every fitted or calibrated row
and their customers are in no fit: the label windows of consecutive cut-offs overlap (H = 180 days, spacing 30), so
a validation customer's row at an earlier cut-off would carry most of the validation window's purchases into the fit
(on simulated BG/NBD customers that lifted gradient boosting's AUC from 0.82 to 0.87, above the true model's 0.84).
What stays shared is time: training labels of other customers overlap the validation window (a season or a
campaign is seen by both). The candidate with the lowest validation log loss (binary) or mean Poisson deviance
(squared error for a negative amount label) is chosen; ties go to the linear model. The final model is the chosen
kind refitted on every labelled cut-off and customer; its calibration is fitted on held-out time and customers too:
the same kind trained on groups 0-2 at c1..c(n-1) scores group 3 at cn, and the sigmoid fitted on those scores is
applied to the final model's scores (the final model saw cn, so its own predictions there cannot calibrate it).

Calibration is sigmoid (Platt: a logistic regression of the label on the logit of the raw probability), not
isotonic: it keeps the order of the scores (AUC and lift of the calibrated model are those of the raw model), has two
parameters so 50 positives in one cut-off are enough, and fixes what moves between cut-offs (the base rate, a slope).

Fits on at most ``max_fit_rows`` rows (default 100,000): when a training slice is larger, customers are kept in the
order of a fixed hash of contact_id (the same customers at every cut-off) until the rows reach the cap. Validation and
scoring use every row. Rows are sorted by (cutoff_date, contact_id) before every fit, every estimator has a fixed
seed, so the same input gives byte-identical probabilities.

Evaluation (prediction_evaluation), on the validation rows: examples, positives (label > 0), base_rate (positives /
examples), auc (binary), brier and log_loss (binary probabilities; null for the rank-only recency and RFM-score
baselines), top_decile_lift (mean label in the top 10% by score / mean label, ties at the edge averaged), mae
(regressions), predicted_total and actual_total (for a probability: the expected against the observed number of
positives). Baselines (is_baseline): constant (the training rows' mean label), recency (binary; lower recency = higher
purchase score, higher = higher churn score), rfm_score (binary; r_score + f_score + m_score), horizon_free (BG/NBD).
prediction_calibration: 10 equal-count bins of the prediction (``calibration_bins``) for each candidate and the
horizon-free model. model_registry.sample_rows: the rows the saved model was fitted on.

Minimum data (``min_examples``, ``min_positives``): nothing is scored when the as-of date has fewer customers than
``min_examples`` ("412 customers with history, 500 needed (var prediction_min_examples)"). A target's
discriminative model needs at least two labelled cut-offs, ``min_examples`` examples and ``min_positives`` positives (and, for a binary target, as many
negatives) in its training rows, and ``min_positives`` positives (and negatives) in its validation rows (the held-out
quarter of the customers at the latest labelled cut-off: a judge needs both outcomes, not a training set's size);
otherwise it is not fitted and the target is served by the horizon-free model (status ``horizon_free``, the reason
in one line) when that model is available, else has no score (status ``not_fitted``). The horizon-free model is
also a candidate: when its validation loss is below every fitted candidate's, it serves the target (status
``horizon_free``, the losses in the message). The horizon-free model needs ``min_positives`` customers with a repeat
purchase day at the as-of date and a converged fit (and the Gamma-Gamma as many with a positive mean spend, for
revenue).

Registry: each fitted model is saved in ``registry_dir/<model_id>/`` (``model.joblib``: the estimator and its
calibration; ``model.json``: target, kind, horizon, as-of date, cut-offs, features, hyper-parameters, metrics, the
evaluation and calibration rows, training rows, library versions). ``model_id`` is
``<target>.<kind>.<as_of>.<12 hex>``, the hex a SHA-256 of the training data and settings, so a rerun gives the same
id (and overwrites the same folder). The horizon-free fit of the as-of date is saved too (target ``p_alive``, kind
``horizon_free``; it serves every target it scores). ``refit``: ``'always'`` fits; ``'never'`` scores with the newest
saved model per target (same horizon, as-of date on or before this one), raising ``PredictionError`` in one line when
its feature list differs from the examples; a target with no saved fitted model (below the minimum data, or won by
the horizon-free model when it was fitted) is served as it would be without one: by the horizon-free model where
there is one, else not at all, its status saying so; ``'auto'`` uses that saved model unless there is none,
its features differ, or it is ``cutoff_spacing_days`` or more older than the as-of date (a new labelled cut-off
exists then), and refits otherwise. A saved model's evaluation and calibration rows are published again with its
scores. The BG/NBD features are always computed from the scoring cut-off's own customers (as at every training
cut-off), with or without a refit. Artifacts are pickles: load only a registry folder you wrote.

Leads and campaign response: the same split by held-out time and customer (contact) group, candidates
(logistic_regression, hist_gradient_boosting), sigmoid calibration, choice by validation log loss, evaluation,
calibration bins, minimum data, registry and refit rules, on the rows of one target each; no horizon-free model (a
lead has no purchase history, a campaign response no BG/NBD analogue), so a target below the minimum data, or whose
training fails the checks, has no score (status ``not_fitted``, the reason and "not scored (...)" in one line).

- ``predict_leads``: target ``p_convert`` (label ``label_convert``: a first completed order or a won deal within the
  horizon), entity_type 'lead'. ``lead_stage`` (text) is one-hot encoded in the fixed order of ``LEAD_STAGES``
  (``lead_stage_opportunity``, ``_sql``, ``_mql``, ``_lead``, ``_subscriber``); values are compared trimmed and
  lower-cased, and a null or unknown stage is 0 in every one of those columns (an unknown one is logged with its
  count), so a new stage never fails a run nor gets a column the saved model does not have. Baselines: constant,
  ``engagement_score`` alone, ``lead_stage`` (opportunity > sql > mql > lead > subscriber > null or unknown).
- ``predict_campaign_response``: target ``p_campaign_response`` (label ``label_response``: the first send of the
  window answered within var campaign_response_days), entity_type 'contact' (every golden contact at the as-of date;
  the marts map a contact to its customer or lead). ``next_campaign_id`` and ``next_sent_on`` describe the labelled
  send and are never features; past rows that are not labelled (the send's answer may still come) are in no fit and
  no judgement. The derived feature ``past_response_rate`` (campaign_responses / campaign_sends, 0 without a send) is
  added after the input columns: it is the simplest baseline's score, and a linear model on sends and responses
  cannot form the ratio. Baselines: constant, ``past_response_rate``, ``engagement_score``.

The minimum-data messages name the rows of each problem: "412 leads, 500 needed", "230 converted leads in the
training windows, 50 needed", "31 responding contacts in the validation window, 50 needed"."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy import optimize, special
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from customer_scoring import btyd

__all__ = [
    "TargetSpec",
    "TARGETS",
    "REQUIRED_COLUMNS",
    "BTYD_FEATURES",
    "PredictionRun",
    "PredictionError",
    "predict_customers",
    "predict_leads",
    "predict_campaign_response",
    "LEAD_TARGETS",
    "CAMPAIGN_TARGETS",
    "LEAD_STAGES",
    "classification_metrics",
    "regression_metrics",
    "top_decile_lift",
    "calibration_bins",
    "customer_groups",
]


# saved_choice's answer under refit='never' when a target has no saved fitted model.
_NO_SAVED_MODEL = object()


class PredictionError(ValueError):
    """Input or registry problem; the message is one line and names the column, target or model."""


# --------------------------------------------------------------------------------------------------------------------
# Targets and columns
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetSpec:
    """A predicted target.

    name: the score's name in prediction_scores and the marts. label: its label column. task: 'binary' (a
    probability in [0, 1]), 'count' (expected completed orders, >= 0) or 'amount' (expected net revenue, money).
    population: 'all' (every customer with history) or 'repeat' (completed_orders_total >= 2 at the cut-off).
    examples / positives / negatives: how the minimum-data messages name the examples and the two outcomes.
    horizon_free: the BG/NBD feature that serves the target when no discriminative model is fitted (None: the
    target has no horizon-free model, as leads and campaign response), and ``invert`` when the target is its
    complement (churn = no purchase)."""

    name: str
    label: str
    task: str
    population: str
    examples: str
    positives: str
    negatives: str
    horizon_free: str | None = None
    invert: bool = False


TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec("p_purchase", "label_purchase", "binary", "all", "customers with history",
               "purchasing customers", "customers without a purchase", "bgnbd_p_purchase"),
    TargetSpec("churn_risk", "label_churn", "binary", "repeat", "repeat customers",
               "churned repeat customers", "repeat customers with a purchase", "bgnbd_p_purchase", invert=True),
    TargetSpec("expected_orders", "label_orders", "count", "all", "customers with history",
               "purchasing customers", "customers without a purchase", "bgnbd_expected_orders"),
    TargetSpec("expected_revenue", "label_revenue", "amount", "all", "customers with history",
               "purchasing customers", "customers without a purchase", "bgnbd_expected_revenue"),
)

KEY_COLUMNS = ("cutoff_date", "contact_id", "is_scoring_row", "is_labelled")
BTYD_COLUMNS = ("btyd_x", "btyd_t_x", "btyd_t", "btyd_mean_spend")
BASELINE_COLUMNS = ("recency_days", "r_score", "f_score", "m_score", "completed_orders_total")
LABEL_COLUMNS = tuple(t.label for t in TARGETS)
REQUIRED_COLUMNS = KEY_COLUMNS + BTYD_COLUMNS + BASELINE_COLUMNS + LABEL_COLUMNS
# Added to the features: the horizon-free model's outputs at each row's own cut-off.
BTYD_FEATURES = ("bgnbd_p_alive", "bgnbd_p_purchase", "bgnbd_expected_orders", "bgnbd_expected_revenue")

# Lead conversion (int_lead__training_examples) and campaign response (int_campaign__training_examples).
LEAD_STAGES = ("opportunity", "sql", "mql", "lead", "subscriber")  # most advanced first: the lead_stage baseline
LEAD_TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec("p_convert", "label_convert", "binary", "all", "leads", "converted leads",
               "leads without a conversion"),
)
CAMPAIGN_TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec("p_campaign_response", "label_response", "binary", "all", "contacts sent a campaign",
               "responding contacts", "contacts without a response"),
)
LEAD_REQUIRED_COLUMNS = KEY_COLUMNS + ("engagement_score", "lead_stage", "label_convert")
CAMPAIGN_REQUIRED_COLUMNS = KEY_COLUMNS + ("engagement_score", "campaign_sends", "campaign_responses",
                                           "label_response")
# Columns of the campaign examples that describe the labelled send, not the contact at the cut-off: never features.
CAMPAIGN_NON_FEATURES = ("next_campaign_id", "next_sent_on")


@dataclass(frozen=True)
class _Problem:
    """What differs between the three entry points; the split, fits, calibration, evaluation, minimum data and
    registry are shared.

    entity_type: prediction_scores.entity_type. entities: how the minimum-data message names the scoring rows ("412
    customers with history, 500 needed"). held_out: how the log names the validation rows. targets, required (input
    columns), non_features (columns that are neither features nor labels: kept out of the fit), categorical (text
    features one-hot encoded in a fixed category order), horizon_free (the BG/NBD features, the horizon-free model
    and p_alive: customers only), baselines (the rank-only baselines next to the constant), no_fallback (why a
    target that is not fitted has no score, when there is no horizon-free model), derived (features computed here
    from the input columns, after them: ``_derived_feature``)."""

    entity_type: str
    entities: str
    held_out: str
    targets: tuple[TargetSpec, ...]
    required: tuple[str, ...]
    non_features: tuple[str, ...] = ()
    categorical: tuple[tuple[str, tuple[str, ...]], ...] = ()
    horizon_free: bool = False
    baselines: tuple[str, ...] = ()
    no_fallback: str = ""
    derived: tuple[str, ...] = ()


_CUSTOMERS = _Problem("customer", "customers with history", "customers", TARGETS, REQUIRED_COLUMNS,
                      horizon_free=True, baselines=("recency", "rfm_score"))
_LEADS = _Problem("lead", "leads", "leads", LEAD_TARGETS, LEAD_REQUIRED_COLUMNS,
                  categorical=(("lead_stage", LEAD_STAGES),), baselines=("engagement_score", "lead_stage"),
                  no_fallback="not scored (a lead has no purchase history for a horizon-free model)")
_CAMPAIGNS = _Problem("contact", "contacts", "contacts", CAMPAIGN_TARGETS, CAMPAIGN_REQUIRED_COLUMNS,
                      non_features=CAMPAIGN_NON_FEATURES, baselines=("past_response_rate", "engagement_score"),
                      no_fallback="not scored (campaign response has no horizon-free model)",
                      derived=("past_response_rate",))


def _past_response_rate(sends: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """campaign_responses / campaign_sends; 0 without a send (or with a null)."""
    with np.errstate(all="ignore"):
        rate = np.where(sends > 0, responses / sends, 0.0)
    return np.where(np.isfinite(rate), rate, 0.0)


def _derived_feature(name: str, X: np.ndarray, features: list[str]) -> np.ndarray:
    """A feature computed from the input columns. past_response_rate (campaigns): the baseline's score as a feature
    (as the horizon-free model's outputs are for customers): a linear model on sends and responses cannot form
    their ratio, which is the contact's own estimate of its response probability."""
    if name == "past_response_rate":
        return _past_response_rate(X[:, features.index("campaign_sends")], X[:, features.index("campaign_responses")])
    raise ValueError(name)

SCORE_COLUMNS = ["entity_type", "entity_id", "target", "value", "model_id"]
EVALUATION_COLUMNS = ["target", "model_name", "model_id", "is_baseline", "is_chosen", "cutoff_date", "examples",
                      "positives", "base_rate", "auc", "brier", "log_loss", "top_decile_lift", "mae",
                      "predicted_total", "actual_total"]
CALIBRATION_COLUMNS = ["target", "model_name", "model_id", "cutoff_date", "bin", "examples", "mean_predicted",
                       "observed_rate"]
STATUS_COLUMNS = ["target", "status", "message", "model_id", "examples", "positives"]
REGISTRY_COLUMNS = ["model_id", "target", "model_name", "fitted_at", "as_of_date", "training_cutoffs",
                    "validation_cutoff", "features", "hyper_parameters", "metrics", "artifact_path", "sample_rows"]

REFIT_CHOICES = ("auto", "always", "never")
PROBABILITY_CLIP = 1e-6  # logit of a raw probability for the sigmoid calibration; log loss clips at 1e-15

HYPER_PARAMETERS = {
    "logistic_regression": {"C": 1.0, "l1_ratio": 0.0, "max_iter": 100, "solver": "newton-cholesky",
                            "preprocessing": "asinh, median imputation + missing indicators, standardisation"},
    "poisson_glm": {"alpha": 1e-4, "max_iter": 100, "solver": "newton-cholesky",
                    "preprocessing": "asinh, median imputation + missing indicators, standardisation",
                    "prediction": "clipped to [0, the largest training label]"},
    "ridge": {"alpha": 1.0, "solver": "cholesky",
              "preprocessing": "asinh, median imputation + missing indicators, standardisation"},
    "hist_gradient_boosting": {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 100,
                               "l2_regularization": 1.0, "early_stopping": False},
}


# --------------------------------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class PredictionRun:
    """What ``predict_customers``, ``predict_leads`` and ``predict_campaign_response`` return: the five contract
    DataFrames (columns as in the *_COLUMNS lists, rows in a fixed order) and the log, one line a message."""

    prediction_scores: pd.DataFrame
    prediction_evaluation: pd.DataFrame
    prediction_calibration: pd.DataFrame
    prediction_status: pd.DataFrame
    model_registry: pd.DataFrame
    log: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------------------------------
def top_decile_lift(y, score) -> float | None:
    """(Mean label among the top 10% by score) / (mean label). The top decile is the ceil(n / 10) highest scores;
    rows tied with the last one in it count with the mean label of the tied rows (the expectation over a random
    tie-break), so a constant score has a lift of 1. For a 0/1 label: the share of positives in the top decile over
    the base rate. None when n = 0 or the mean label is 0."""
    y = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    n = y.shape[0]
    if n == 0 or y.mean() == 0:
        return None
    k = math.ceil(n / 10)
    threshold = np.sort(s)[::-1][k - 1]
    above = s > threshold
    tied = s == threshold
    top_sum = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float((top_sum / k) / y.mean())


def classification_metrics(y, p, probability: bool = True) -> dict:
    """Metrics of a score for a 0/1 label y: examples, positives, base_rate, auc (ties count one half; None when only
    one class is present), top_decile_lift, and when the score is a probability (``probability``) brier = mean (p -
    y)^2 and log_loss = -mean(y ln p + (1 - y) ln(1 - p)) with p clipped to [1e-15, 1 - 1e-15]; rank-only scores
    (recency, RFM) have None there."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n = int(y.shape[0])
    pos = int(y.sum())
    out = {"examples": n, "positives": pos, "base_rate": pos / n if n else None, "auc": None, "brier": None,
           "log_loss": None, "top_decile_lift": top_decile_lift(y, p), "mae": None, "predicted_total": None,
           "actual_total": None}
    if 0 < pos < n:
        out["auc"] = float(roc_auc_score(y, p))
    if probability and n:
        q = np.clip(p, 1e-15, 1 - 1e-15)
        out["brier"] = float(np.mean((p - y) ** 2))
        out["log_loss"] = float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))
        out["predicted_total"] = float(p.sum())
        out["actual_total"] = float(y.sum())
    return out


def regression_metrics(y, pred) -> dict:
    """Metrics of a prediction of a count or amount: examples, positives (label > 0), base_rate (positives /
    examples), top_decile_lift (mean label in the top 10% by prediction / mean label), mae, predicted_total,
    actual_total. auc, brier and log_loss do not apply (None)."""
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    n = int(y.shape[0])
    pos = int((y > 0).sum())
    return {"examples": n, "positives": pos, "base_rate": pos / n if n else None, "auc": None, "brier": None,
            "log_loss": None, "top_decile_lift": top_decile_lift(y, pred),
            "mae": float(np.mean(np.abs(pred - y))) if n else None,
            "predicted_total": float(pred.sum()), "actual_total": float(y.sum())}


def calibration_bins(y, pred, bins: int = 10) -> list[dict]:
    """Equal-count bins of the prediction: rows sorted by prediction (ties in row order) and split into ``bins``
    groups whose sizes differ by at most one (fewer when there are fewer rows). One dict per bin, 1 = lowest
    predictions: bin, examples, mean_predicted, observed_rate (the mean label: a rate for 0/1, a mean otherwise)."""
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    order = np.lexsort((np.arange(pred.shape[0]), pred))
    out = []
    for i, idx in enumerate(g for g in np.array_split(order, bins) if g.size):
        out.append({"bin": i + 1, "examples": int(idx.size), "mean_predicted": float(pred[idx].mean()),
                    "observed_rate": float(y[idx].mean())})
    return out


def _poisson_deviance(y, mu) -> float:
    mu = np.maximum(mu, 1e-12)
    term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(np.mean(2 * (term - y + mu)))


def _log_loss(y, p) -> float:
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))


# --------------------------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class _Data:
    frame: pd.DataFrame          # sorted by (cutoff_date, contact_id), index 0..n-1, cutoff_date as datetime.date
    features: list[str]          # input features (+ BTYD_FEATURES for customers), in this order
    X: np.ndarray                # (n, len(features)) float64, filled by _horizon_free_features for BTYD_FEATURES
    scoring: np.ndarray          # bool (n,)
    labelled: np.ndarray         # bool (n,)
    labelled_cutoffs: list[dt.date]
    id_hash: np.ndarray          # uint64 (n,): pandas' fixed hash of contact_id
    cutoff_day: np.ndarray       # int64 (n,): cutoff_date as days since 1970-01-01
    n_inputs: int = 0            # features[:n_inputs] come from the examples (one-hot columns included)
    codes: dict = field(default_factory=dict)  # categorical column -> int64 (n,): index in its order, -1 unseen/null
    notes: list = field(default_factory=list)  # log lines of the input (unseen categories)


def _to_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    s = frame[column]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub":
        return s.to_numpy(dtype=float)
    try:
        if s.dtype == object or not pd.api.types.is_numeric_dtype(s.dtype):
            s = pd.to_numeric(s, errors="raise")
        return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise PredictionError(f"{column}: not numeric ({exc}); every column that is not a key or label is a feature "
                              "and must hold numbers or nulls") from None


def _category_codes(examples: pd.DataFrame, column: str, categories: tuple[str, ...]) -> tuple[np.ndarray, str | None]:
    """Index of each row's value in ``categories`` (compared trimmed and lower-cased), -1 for a null or a value
    outside them; and a log line naming the values outside them (None when there is none)."""
    s = examples[column]
    text = s.astype(object).where(s.notna(), None)
    norm = pd.Series([None if v is None else str(v).strip().lower() for v in text], dtype=object)
    codes = norm.map({c: i for i, c in enumerate(categories)}).fillna(-1).to_numpy(dtype=np.int64)
    unseen = norm[(codes == -1) & norm.notna().to_numpy()]
    if unseen.empty:
        return codes, None
    counts = unseen.value_counts().sort_index()
    named = ", ".join(f"{v!r} {n}" for v, n in list(counts.items())[:5]) + (", ..." if len(counts) > 5 else "")
    return codes, (f"{column}: {unseen.size} rows with a value outside {', '.join(categories)} ({named}): all their "
                   f"{column}_* columns are 0, as for a null {column}")


def _prepare(examples: pd.DataFrame, as_of: dt.date, horizon_days: int, problem: _Problem = _CUSTOMERS) -> _Data:
    if not isinstance(examples, pd.DataFrame):
        raise PredictionError(f"examples: expected a pandas DataFrame, got {type(examples).__name__}")
    missing = [c for c in problem.required if c not in examples.columns]
    if missing:
        raise PredictionError(f"examples: missing columns {', '.join(missing)}")
    categorical = dict(problem.categorical)
    generated = [f"{c}_{v}" for c, values in problem.categorical for v in values]
    generated += list(problem.derived) + (list(BTYD_FEATURES) if problem.horizon_free else [])
    clash = [c for c in generated if c in examples.columns]
    if clash:
        raise PredictionError(f"examples: columns {', '.join(clash)} are computed here and must not be given")
    # Keys and labels in a small frame of our own; the features go straight into one float matrix (no copy of the
    # caller's frame).
    try:
        day = pd.to_datetime(examples["cutoff_date"], errors="raise")
    except (TypeError, ValueError) as exc:
        raise PredictionError(f"cutoff_date: not dates ({exc})") from None
    if day.isna().any() or examples["contact_id"].isna().any():
        raise PredictionError("cutoff_date, contact_id: null keys")
    cutoff_day = ((day.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days).to_numpy(dtype=np.int64)
    ids = examples["contact_id"].astype(str).to_numpy(dtype=object)
    codes, uniq_ids = pd.factorize(ids, sort=True)
    order = np.lexsort((codes, cutoff_day))
    codes, cutoff_day = codes[order], cutoff_day[order]
    dup = np.flatnonzero((codes[1:] == codes[:-1]) & (cutoff_day[1:] == cutoff_day[:-1]))
    uniq_days, inverse = np.unique(cutoff_day, return_inverse=True)
    epoch = dt.date(1970, 1, 1)
    dates = np.array([epoch + dt.timedelta(days=int(d)) for d in uniq_days], dtype=object)
    if dup.size:
        raise PredictionError(f"examples: {dup.size} duplicate (cutoff_date, contact_id) rows (first "
                              f"{dates[inverse[dup[0]]]}, {ids[order[dup[0]]]})")
    frame = pd.DataFrame({"cutoff_date": pd.Series(dates[inverse], dtype=object),
                          "contact_id": pd.Series(ids[order], dtype=object)})
    for col in ("is_scoring_row", "is_labelled"):
        if examples[col].isna().any():
            raise PredictionError(f"{col}: null values")
        frame[col] = examples[col].astype(bool).to_numpy()[order]
    scoring = frame["is_scoring_row"].to_numpy()
    labelled = frame["is_labelled"].to_numpy()
    if (scoring & labelled).any():
        raise PredictionError("is_scoring_row, is_labelled: a row is both (the scoring row has no label)")
    wrong = frame.loc[scoring, "cutoff_date"] != as_of
    if wrong.any():
        raise PredictionError(f"is_scoring_row: rows at {frame.loc[wrong[wrong].index[0], 'cutoff_date']}, expected "
                              f"the as-of date {as_of}")
    late = labelled & (frame["cutoff_date"] > as_of - dt.timedelta(days=horizon_days)).to_numpy()
    if late.any():
        raise PredictionError(f"is_labelled: rows at {frame.loc[np.flatnonzero(late)[0], 'cutoff_date']}, whose "
                              f"{horizon_days}-day window ends after the as-of date {as_of} (is horizon_days the "
                              "prediction_horizon_days the examples were built with?)")
    for col in (t.label for t in problem.targets):
        frame[col] = _to_float(examples, col)[order]
    inputs = [c for c in examples.columns
              if c not in KEY_COLUMNS and not c.startswith("label_") and c not in problem.non_features]
    # A categorical column becomes one 0/1 column per category, in the fixed order; a null or unseen value is 0 in
    # all of them.
    features = [f for c in inputs for f in ([f"{c}_{v}" for v in categorical[c]] if c in categorical else [c])]
    extra = list(problem.derived) + (list(BTYD_FEATURES) if problem.horizon_free else [])
    X = np.empty((len(frame), len(features) + len(extra)), dtype=float)
    category_codes, notes = {}, []
    j = 0
    for col in inputs:
        if col in categorical:
            col_codes, note = _category_codes(examples, col, categorical[col])
            col_codes = col_codes[order]
            for k in range(len(categorical[col])):
                X[:, j] = col_codes == k
                j += 1
            category_codes[col] = col_codes
            if note:
                notes.append(note)
        else:
            X[:, j] = _to_float(examples, col)[order]
            j += 1
    X[:, len(features):] = np.nan
    for k, name in enumerate(problem.derived):
        X[:, len(features) + k] = _derived_feature(name, X, features)
    cutoffs = sorted(set(dates[np.unique(inverse[labelled])])) if labelled.any() else []
    id_hash = pd.util.hash_pandas_object(pd.Series(uniq_ids, dtype=object).astype(str), index=False).to_numpy()[codes]
    return _Data(frame, features + extra, X, scoring, labelled, cutoffs, id_hash, cutoff_day, len(features),
                 category_codes, notes)


# --------------------------------------------------------------------------------------------------------------------
# Horizon-free model
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class _HorizonFree:
    """BG/NBD + Gamma-Gamma fitted on one cut-off's customers. ``reason`` is None when the BG/NBD serves, else why
    not; ``revenue_reason`` likewise for the Gamma-Gamma."""

    bgnbd: btyd.BGNBDFit | None
    gamma_gamma: btyd.GammaGammaFit | None
    reason: str | None
    revenue_reason: str | None
    customers: int
    repeat_customers: int
    spend_customers: int


def _btyd_inputs(data: "_Data", rows: np.ndarray, cutoff) -> tuple[np.ndarray, ...]:
    x, t_x, T, m = (data.X[rows, data.features.index(c)] for c in BTYD_COLUMNS)
    for name, v in (("btyd_x", x), ("btyd_t_x", t_x), ("btyd_t", T)):
        if np.isnan(v).any():
            raise PredictionError(f"{name}: {int(np.isnan(v).sum())} null values at cut-off {cutoff}")
    return x, t_x, T, m


def _fit_horizon_free(x, t_x, T, m, min_positives: int, cutoff) -> _HorizonFree:
    n = int(x.shape[0])
    repeat = int((x > 0).sum())
    spend_ok = (x > 0) & np.isfinite(m) & (m > 0)
    n_spend = int(spend_ok.sum())
    try:
        if repeat < min_positives:
            raise _NotServed(f"{repeat} customers with a repeat purchase day on {cutoff}, {min_positives} needed "
                             "for the BG/NBD (var prediction_min_positives)")
        fit = btyd.fit_bgnbd(x, t_x, T)
        if not fit.converged:
            raise _NotServed(f"the BG/NBD fit on {cutoff} did not converge ({fit.message})")
    except ValueError as exc:
        raise PredictionError(f"cut-off {cutoff}: {exc}") from None
    except _NotServed as exc:
        return _HorizonFree(None, None, str(exc), str(exc), n, repeat, n_spend)
    gg, revenue_reason = None, None
    if n_spend < min_positives:
        revenue_reason = (f"{n_spend} customers with a repeat purchase day and a positive mean spend on {cutoff}, "
                          f"{min_positives} needed for the Gamma-Gamma (var prediction_min_positives)")
    else:
        gg = btyd.fit_gamma_gamma(np.where(spend_ok, x, 0.0), np.where(spend_ok, m, np.nan))
        if not gg.converged:
            revenue_reason, gg = f"the Gamma-Gamma fit on {cutoff} did not converge ({gg.message})", None
        elif gg.params.q <= 1:
            revenue_reason, gg = (f"the Gamma-Gamma fit on {cutoff} has q = {gg.params.q:.3g} <= 1 (no finite mean "
                                  "spend)"), None
    return _HorizonFree(fit, gg, None, revenue_reason, n, repeat, n_spend)


class _NotServed(Exception):
    pass


def _horizon_free_values(hf: _HorizonFree, horizon_days: int, x, t_x, T, m) -> np.ndarray:
    """(n, 4) array of BTYD_FEATURES; NaN where the model does not serve."""
    out = np.full((x.shape[0], len(BTYD_FEATURES)), np.nan)
    if hf.bgnbd is None:
        return out
    out[:, 0] = btyd.p_alive(hf.bgnbd, x, t_x, T)
    out[:, 1] = btyd.p_purchase(hf.bgnbd, horizon_days, x, t_x, T)
    out[:, 2] = btyd.expected_purchases(hf.bgnbd, horizon_days, x, t_x, T)
    if hf.gamma_gamma is not None:
        spend_ok = (x > 0) & np.isfinite(m) & (m > 0)
        spend = btyd.conditional_expected_spend(hf.gamma_gamma, np.where(spend_ok, x, 0.0),
                                                np.where(spend_ok, m, np.nan))
        out[:, 3] = out[:, 2] * spend
    return out


# --------------------------------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------------------------------
class _MedianImputer(TransformerMixin, BaseEstimator):
    """Missing values -> the column's median in the training rows (0 for a column with no value), plus one 0/1
    indicator column per column that had a missing value in the training rows (scikit-learn's SimpleImputer does the
    same through masked arrays, 20 times slower at 100,000 rows)."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        missing = np.isnan(X)
        self.with_missing_ = np.flatnonzero(missing.any(axis=0))
        self.medians_ = np.zeros(X.shape[1])
        has_value = ~missing.all(axis=0)
        if has_value.any():
            with np.errstate(all="ignore"):
                self.medians_[has_value] = np.nanmedian(X[:, has_value], axis=0)
        return self

    def transform(self, X):
        X = np.array(X, dtype=float, copy=True)
        missing = np.isnan(X)
        indicators = missing[:, self.with_missing_].astype(float)
        X[missing] = np.take(self.medians_, np.nonzero(missing)[1])
        return np.hstack([X, indicators])


def _linear_preprocessing() -> list:
    return [("asinh", FunctionTransformer(np.arcsinh)), ("impute", _MedianImputer()), ("scale", StandardScaler())]


def _estimator(kind: str, seed: int):
    hp = HYPER_PARAMETERS[kind]
    if kind == "logistic_regression":
        return Pipeline(_linear_preprocessing() + [("model", LogisticRegression(
            C=hp["C"], l1_ratio=hp["l1_ratio"], max_iter=hp["max_iter"], solver=hp["solver"], random_state=seed))])
    if kind == "poisson_glm":
        return Pipeline(_linear_preprocessing() + [("model", PoissonRegressor(
            alpha=hp["alpha"], max_iter=hp["max_iter"], solver=hp["solver"]))])
    if kind == "ridge":
        return Pipeline(_linear_preprocessing() + [("model", Ridge(alpha=hp["alpha"], solver=hp["solver"]))])
    raise ValueError(kind)


class _EmptyColumnsToZero(TransformerMixin, BaseEstimator):
    """Sets the columns that were entirely missing in the training rows to 0 (HistGradientBoosting cannot bin a
    column without a value, such as the survey features when surveys are switched off); other missing values stay
    missing for the trees' own handling."""

    def fit(self, X, y=None):
        self.empty_ = np.flatnonzero(np.all(np.isnan(np.asarray(X, dtype=float)), axis=0))
        return self

    def transform(self, X):
        X = np.array(X, dtype=float, copy=True)
        X[:, self.empty_] = 0.0
        return X


def _hgb(task: str, loss: str, seed: int):
    hp = HYPER_PARAMETERS["hist_gradient_boosting"]
    common = dict(max_iter=hp["max_iter"], learning_rate=hp["learning_rate"], max_leaf_nodes=hp["max_leaf_nodes"],
                  min_samples_leaf=hp["min_samples_leaf"], l2_regularization=hp["l2_regularization"],
                  early_stopping=False, random_state=seed)
    if task == "binary":
        model = HistGradientBoostingClassifier(**common)
    else:
        model = HistGradientBoostingRegressor(loss=loss, **common)
    return Pipeline([("empty", _EmptyColumnsToZero()), ("model", model)])


@dataclass
class _Model:
    """A fitted candidate: the estimator, the sigmoid calibration (a, b) applied as sigmoid(a logit(p) + b), or None,
    and the upper clip of a regression's predictions."""

    kind: str
    task: str
    estimator: object
    calibration: tuple[float, float] | None = None
    clip_max: float | None = None
    loss: str | None = None

    def raw(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Predictions for X[rows] (every row when rows is None), in chunks of 100,000 rows (bounded temporaries
        when scoring a million customers)."""
        n = X.shape[0] if rows is None else rows.shape[0]
        out = np.empty(n)
        step = 100_000
        for i in range(0, n, step):
            chunk = X[i:i + step] if rows is None else X[rows[i:i + step]]
            if self.task == "binary":
                out[i:i + step] = self.estimator.predict_proba(chunk)[:, 1]
            else:
                out[i:i + step] = self.estimator.predict(chunk)
        if self.task != "binary":
            out = np.clip(out, 0.0 if self.loss == "poisson" else -np.inf, self.clip_max)
        return out

    def predict(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        raw = self.raw(X, rows)
        if self.task == "binary" and self.calibration is not None:
            return _apply_sigmoid(self.calibration, raw)
        return raw


def _candidates(task: str, nonnegative: bool) -> tuple[str, ...]:
    if task == "binary":
        return ("logistic_regression", "hist_gradient_boosting")
    return ("poisson_glm" if nonnegative else "ridge", "hist_gradient_boosting")


def _fit(kind: str, task: str, X: np.ndarray, y: np.ndarray, seed: int) -> _Model:
    nonnegative = bool((y >= 0).all())
    loss = None if task == "binary" else ("poisson" if nonnegative else "squared_error")
    if kind == "hist_gradient_boosting":
        est = _hgb(task, loss, seed)
    else:
        est = _estimator(kind, seed)
    est.fit(X, y.astype(int) if task == "binary" else y)
    clip_max = None if task == "binary" else float(y.max())
    return _Model(kind, task, est, None, clip_max, loss)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return np.log(q) - np.log1p(-q)


def _apply_sigmoid(ab: tuple[float, float], p: np.ndarray) -> np.ndarray:
    return special.expit(ab[0] * _logit(p) + ab[1])


def _fit_sigmoid(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling on the logit of the raw probability: maximum likelihood of y ~ Bernoulli(sigmoid(a z + b)),
    z = logit(p), from a = 1, b = 0 (the identity), deterministic."""
    z = _logit(p)
    y = y.astype(float)

    def f(v):
        eta = v[0] * z + v[1]
        ll = np.sum(y * eta - np.logaddexp(0.0, eta))
        r = y - special.expit(eta)
        return -ll / z.shape[0], -np.array([np.dot(r, z), r.sum()]) / z.shape[0]

    res = optimize.minimize(f, np.array([1.0, 0.0]), jac=True, method="BFGS", options={"gtol": 1e-10})
    return float(res.x[0]), float(res.x[1])


def _selection_loss(task: str, loss: str | None, y, pred) -> float:
    if task == "binary":
        return _log_loss(y, pred)
    if loss == "poisson":
        return _poisson_deviance(y, pred)
    return float(np.mean((pred - y) ** 2))


def _selection_name(task: str, loss: str | None) -> str:
    if task == "binary":
        return "log loss"
    return "mean Poisson deviance" if loss == "poisson" else "mean squared error"


# --------------------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------------------
def _library_versions() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "joblib": joblib.__version__}


def _data_hash(data: "_Data", rows: np.ndarray, columns: list[str], settings: dict) -> str:
    """12 hex digits of a SHA-256 of the settings, the rows' keys and the named columns' values (read as floats)."""
    h = hashlib.sha256()
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(",".join(columns).encode())
    h.update(np.ascontiguousarray(data.cutoff_day[rows]).tobytes())
    h.update(np.ascontiguousarray(data.id_hash[rows]).tobytes())
    for col in columns:
        values = (data.X[rows, data.features.index(col)] if col in data.features
                  else data.frame[col].to_numpy(dtype=float)[rows])
        h.update(np.ascontiguousarray(values, dtype=float).tobytes())
    return h.hexdigest()[:12]


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(type(value).__name__)


def _save(registry_dir: Path, model_id: str, artifact: dict, meta: dict) -> Path:
    registry_dir.mkdir(parents=True, exist_ok=True)
    final = registry_dir / model_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_id}.", dir=registry_dir))
    try:
        joblib.dump(artifact, tmp / "model.joblib")
        (tmp / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=_json_default) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _registry_row(meta: dict, path: Path) -> dict:
    return {"model_id": meta["model_id"], "target": meta["target"], "model_name": meta["kind"],
            "fitted_at": pd.Timestamp(meta["fitted_at"]), "as_of_date": dt.date.fromisoformat(meta["as_of_date"]),
            "training_cutoffs": ",".join(meta["training_cutoffs"]),
            "validation_cutoff": (dt.date.fromisoformat(meta["validation_cutoff"])
                                  if meta.get("validation_cutoff") else None),
            "features": ",".join(meta["features"]),
            "hyper_parameters": json.dumps(meta["hyper_parameters"], sort_keys=True),
            "metrics": json.dumps(meta["metrics"], sort_keys=True, default=_json_default),
            "artifact_path": str(path / "model.joblib"), "sample_rows": int(meta["sample_rows"])}


def _saved_models(registry_dir: Path, target: str, horizon_days: int, as_of: dt.date) -> list[tuple[dict, Path]]:
    """Saved discriminative models of the target and horizon with an as-of date on or before ``as_of``, newest
    first (as-of date, then fitted_at, then model_id)."""
    found = []
    if not registry_dir.is_dir():
        return found
    for meta_path in sorted(registry_dir.glob("*/model.json")):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        if (meta.get("target") == target and meta.get("kind") != "horizon_free"
                and meta.get("horizon_days") == horizon_days
                and dt.date.fromisoformat(meta["as_of_date"]) <= as_of):
            found.append((meta, meta_path.parent))
    found.sort(key=lambda mp: (mp[0]["as_of_date"], mp[0]["fitted_at"], mp[0]["model_id"]), reverse=True)
    return found


# --------------------------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------------------------
def _fit_rows(data: _Data, rows: np.ndarray, max_fit_rows: int) -> np.ndarray:
    """At most max_fit_rows of the rows (sorted positions), keeping whole customers in the order of their hash
    (divided by 4, so the order does not follow the backtest groups)."""
    if rows.shape[0] <= max_fit_rows:
        return rows
    h = data.id_hash[rows] // np.uint64(4)
    uniq, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)  # sorted by hash
    keep_n = int(np.searchsorted(np.cumsum(counts), max_fit_rows, side="right"))
    return rows[inverse < max(keep_n, 1)]


def customer_groups(contact_ids) -> np.ndarray:
    """The backtest group (0..3) of each contact_id: a fixed 64-bit hash of the text (pandas' hash_pandas_object)
    modulo 4. Group 3 is the validation customers; see ``_Run.split``."""
    ids = pd.Series(np.asarray(contact_ids, dtype=object)).astype(str)
    return _groups(pd.util.hash_pandas_object(ids, index=False).to_numpy())


def _groups(id_hash: np.ndarray) -> np.ndarray:
    return (id_hash % np.uint64(4)).astype(np.int64)


class _Run:
    def __init__(self, data: _Data, horizon_days: int, as_of: dt.date, min_examples: int, min_positives: int,
                 seed: int, refit: str, registry_dir: Path, spacing: int, max_fit_rows: int,
                 problem: _Problem = _CUSTOMERS):
        self.d = data
        self.p = problem
        self.h = horizon_days
        self.as_of = as_of
        self.min_examples = min_examples
        self.min_positives = min_positives
        self.seed = seed
        self.refit = refit
        self.registry_dir = registry_dir
        self.spacing = spacing
        self.max_fit_rows = max_fit_rows
        self.log: list[str] = list(data.notes)
        self.scores: list[pd.DataFrame] = []
        self.evaluation: list[dict] = []
        self.calibration: list[dict] = []
        self.status: list[dict] = []
        self.registry: list[dict] = []
        self.hf_by_cutoff: dict[dt.date, _HorizonFree] = {}
        self.hf_model_id: str | None = None
        f = data.frame
        self.cutoff = f["cutoff_date"].to_numpy()
        # Customer groups of the backtest, from a fixed hash of contact_id: 0-1 training, 2 calibration (binary) or
        # training (regression), 3 validation. A customer is in one group at every cut-off.
        self.group = _groups(data.id_hash)

    # ---- horizon-free features at every cut-off ---------------------------------------------------------------
    def horizon_free(self, cutoffs: list[dt.date]) -> None:
        n_in = self.d.features.index(BTYD_FEATURES[0])
        for c in cutoffs:
            rows = np.flatnonzero(self.cutoff == c)
            if rows.size == 0:
                continue
            x, t_x, T, m = _btyd_inputs(self.d, rows, c)
            hf = _fit_horizon_free(x, t_x, T, m, self.min_positives if c == self.as_of else 1, c)
            self.hf_by_cutoff[c] = hf
            self.d.X[rows, n_in:] = _horizon_free_values(hf, self.h, x, t_x, T, m)
            if c != self.as_of and (hf.reason or hf.revenue_reason):
                self.log.append(f"horizon-free features at {c}: {hf.reason or hf.revenue_reason}; those features are "
                                "null at that cut-off")

    def save_horizon_free(self) -> None:
        hf = self.hf_by_cutoff.get(self.as_of)
        if hf is None or hf.bgnbd is None:
            return
        rows = np.flatnonzero(self.d.scoring)
        settings = {"kind": "horizon_free", "horizon_days": self.h, "as_of": self.as_of}
        digest = _data_hash(self.d, rows, list(BTYD_COLUMNS), settings)
        model_id = f"p_alive.horizon_free.{self.as_of}.{digest}"
        params = {"bgnbd": vars(hf.bgnbd.params),
                  "gamma_gamma": vars(hf.gamma_gamma.params) if hf.gamma_gamma else None}
        metrics = {"bgnbd_log_likelihood": hf.bgnbd.log_likelihood, "bgnbd_converged": hf.bgnbd.converged,
                   "bgnbd_std_errors": hf.bgnbd.std_errors, "customers": hf.customers,
                   "repeat_customers": hf.repeat_customers,
                   "gamma_gamma_log_likelihood": hf.gamma_gamma.log_likelihood if hf.gamma_gamma else None,
                   "gamma_gamma_customers": hf.spend_customers,
                   "gamma_gamma_spend_frequency_correlation":
                       hf.gamma_gamma.spend_frequency_correlation if hf.gamma_gamma else None,
                   "gamma_gamma_not_served": hf.revenue_reason}
        meta = {"model_id": model_id, "target": "p_alive", "kind": "horizon_free",
                "serves": ["p_alive", "p_purchase", "churn_risk", "expected_orders"]
                + ([] if hf.gamma_gamma is None else ["expected_revenue"]),
                "horizon_days": self.h, "as_of_date": self.as_of.isoformat(),
                "fitted_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "training_cutoffs": [self.as_of.isoformat()], "validation_cutoff": None,
                "features": list(BTYD_COLUMNS), "hyper_parameters": params, "metrics": metrics,
                "sample_rows": int(rows.size), "library_versions": _library_versions(),
                "evaluation": [], "calibration": []}
        path = _save(self.registry_dir, model_id, {"horizon_free": hf}, meta)
        self.registry.append(_registry_row(meta, path))
        self.hf_model_id = model_id

    # ---- per target -------------------------------------------------------------------------------------------
    def population(self, spec: TargetSpec) -> np.ndarray:
        if spec.population == "repeat":
            return self.d.X[:, self.d.features.index("completed_orders_total")] >= 2
        return np.ones(self.cutoff.shape[0], dtype=bool)

    def labelled_rows(self, spec: TargetSpec) -> tuple[np.ndarray, np.ndarray]:
        y_all = self.d.frame[spec.label].to_numpy(dtype=float)
        mask = self.d.labelled & self.population(spec) & ~np.isnan(y_all)
        return np.flatnonzero(mask), y_all

    def check(self, spec: TargetSpec, rows: np.ndarray, y_all: np.ndarray) -> str | None:
        cutoffs = sorted(set(self.cutoff[rows]))
        if not cutoffs:
            back = self.as_of - dt.timedelta(days=self.h)
            return (f"no labelled cut-off: the {self.h}-day horizon reaches back to {back}"
                    f", and no labelled cut-off on or before it has {spec.examples}; the history is shorter than the "
                    "horizon plus one cut-off")
        if len(cutoffs) < 2:
            return (f"1 labelled cut-off ({cutoffs[0]}), 2 needed: models are trained on earlier cut-offs and judged "
                    "on the latest")
        sp = self.split(spec, rows, cutoffs)
        train, valid, valid_cutoff = sp["train"], sp["valid"], sp["valid_cutoff"]
        for where, part, window in (("in the training cut-offs", train, "in the training windows"),
                                    (f"held out at the validation cut-off {valid_cutoff}", valid,
                                     "in the validation window")):
            y = y_all[part]
            if part is train and part.size < self.min_examples:
                return f"{part.size} {spec.examples} {where}, {self.min_examples} needed (var prediction_min_examples)"
            pos = int((y > 0).sum())
            if pos < self.min_positives:
                return f"{pos} {spec.positives} {window}, {self.min_positives} needed (var prediction_min_positives)"
            if spec.task == "binary" and part.size - pos < self.min_positives:
                return (f"{part.size - pos} {spec.negatives} {window}, {self.min_positives} needed "
                        "(var prediction_min_positives)")
        return None

    def split(self, spec: TargetSpec, rows: np.ndarray, cutoffs: list) -> dict:
        """The backtest's rows. Validation: the latest labelled cut-off, customers of group 3. Binary targets with
        >= 3 labelled cut-offs: training = groups 0-1 at the cut-offs before the last two, calibration = group 2 at
        the second latest. Otherwise (regressions, or two cut-offs): training = groups 0-2 at the cut-offs before the
        latest, no calibration. Validation customers are never in a fit or a calibration (the label windows of
        consecutive cut-offs overlap, so the same customer's earlier row would carry the validation window's
        purchases into the fit), and validation time is after every training and calibration cut-off."""
        c, g = self.cutoff[rows], self.group[rows]
        valid_cutoff = cutoffs[-1]
        valid = rows[(c == valid_cutoff) & (g == 3)]
        if spec.task == "binary" and len(cutoffs) >= 3:
            train_cutoffs, calib_cutoff = cutoffs[:-2], cutoffs[-2]
            train = rows[np.isin(c, train_cutoffs) & (g <= 1)]
            calib = rows[(c == calib_cutoff) & (g == 2)]
        else:
            train_cutoffs, calib_cutoff = cutoffs[:-1], None
            train = rows[np.isin(c, train_cutoffs) & (g <= 2)]
            calib = rows[:0]
        return {"train": train, "calib": calib, "valid": valid, "train_cutoffs": train_cutoffs,
                "calib_cutoff": calib_cutoff, "valid_cutoff": valid_cutoff}

    def run_target(self, spec: TargetSpec) -> None:
        rows, y_all = self.labelled_rows(spec)
        scoring = np.flatnonzero(self.d.scoring & self.population(spec))
        saved = self.saved_choice(spec)
        if saved is _NO_SAVED_MODEL:
            self.fallback(spec, f"no saved fitted model of it in {self.registry_dir} for a {self.h}-day horizon as of "
                          f"{self.as_of} or earlier (refit='never')", scoring, rows, y_all)
            return
        if saved is not None:
            self.use_saved(spec, saved, scoring)
            return
        reason = self.check(spec, rows, y_all)
        cutoffs = sorted(set(self.cutoff[rows]))
        if reason is not None:
            self.baselines(spec, rows, y_all, cutoffs)
            self.fallback(spec, reason, scoring, rows, y_all)
            return
        chosen, eval_rows = self.backtest(spec, rows, y_all, cutoffs)
        if chosen is None:  # the horizon-free model won the validation: eval_rows is the reason
            self.fallback(spec, eval_rows, scoring, rows, y_all)
            return
        self.final(spec, chosen, rows, y_all, cutoffs, scoring, eval_rows)

    def saved_choice(self, spec: TargetSpec):
        if self.refit == "always":
            return None
        saved = _saved_models(self.registry_dir, spec.name, self.h, self.as_of)
        if not saved:
            if self.refit == "never":
                # Not an error: a target below the minimum data, or one the horizon-free model won, has no saved
                # fitted model; it is served as it would be without one (horizon-free model, or no score).
                return _NO_SAVED_MODEL
            self.log.append(f"{spec.name}: no saved model, fitting")
            return None
        meta, path = saved[0]
        if meta["features"] != self.d.features:
            old, new = set(meta["features"]), set(self.d.features)
            diff = (f"missing {', '.join(sorted(old - new)) or '-'}; new {', '.join(sorted(new - old)) or '-'}"
                    if old != new else "same features in another order")
            if self.refit == "never":
                raise PredictionError(f"{spec.name}: saved model {meta['model_id']} was fitted on other features "
                                      f"than the examples have ({diff}); refit it (refit='auto' or 'always')")
            self.log.append(f"{spec.name}: saved model {meta['model_id']} has other features ({diff}), refitting")
            return None
        age = (self.as_of - dt.date.fromisoformat(meta["as_of_date"])).days
        if self.refit == "auto" and age >= self.spacing:
            self.log.append(f"{spec.name}: saved model {meta['model_id']} is {age} days old (>= the cut-off spacing "
                            f"of {self.spacing} days, a new labelled cut-off exists), refitting")
            return None
        return meta, path

    def use_saved(self, spec: TargetSpec, saved, scoring: np.ndarray) -> None:
        meta, path = saved
        try:
            artifact = joblib.load(path / "model.joblib")
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is reported in one line
            raise PredictionError(f"{spec.name}: saved model {meta['model_id']} cannot be loaded "
                                  f"({type(exc).__name__}: {exc})") from None
        model: _Model = artifact["model"]
        values = model.predict(self.d.X, scoring) if scoring.size else np.empty(0)
        self.add_scores(spec.name, scoring, values, meta["model_id"])
        self.evaluation.extend(_restore_dates(r, "cutoff_date") for r in meta["evaluation"])
        self.calibration.extend(_restore_dates(r, "cutoff_date") for r in meta["calibration"])
        self.registry.append(_registry_row(meta, path))
        msg = (f"saved model {meta['model_id']} ({meta['kind']}, fitted as of {meta['as_of_date']}) scores "
               f"{scoring.size} {spec.examples}; not refitted (refit={self.refit})")
        self.add_status(spec.name, "saved_model", msg, meta["model_id"], meta["metrics"].get("training_examples"),
                        meta["metrics"].get("training_positives"))

    # ---- evaluation ---------------------------------------------------------------------------------------------
    def metrics(self, spec: TargetSpec, y, pred, probability: bool = True) -> dict:
        if spec.task == "binary":
            return classification_metrics(y, pred, probability)
        return regression_metrics(y, pred)

    def eval_row(self, spec, name, model_id, is_baseline, cutoff, m) -> dict:
        return {"target": spec.name, "model_name": name, "model_id": model_id, "is_baseline": is_baseline,
                "is_chosen": False, "cutoff_date": cutoff, **m}

    def calib_rows(self, spec, name, model_id, cutoff, y, pred) -> list[dict]:
        return [{"target": spec.name, "model_name": name, "model_id": model_id, "cutoff_date": cutoff, **b}
                for b in calibration_bins(y, pred)]

    def hf_prediction(self, spec: TargetSpec, rows: np.ndarray) -> np.ndarray:
        """The horizon-free model's prediction of the target for the rows; NaN when the target has none."""
        if spec.horizon_free is None:
            return np.full(rows.shape[0], np.nan)
        j = self.d.features.index(spec.horizon_free)
        v = self.d.X[rows, j]
        return 1.0 - v if spec.invert else v

    def baseline_score(self, name: str, spec: TargetSpec, rows: np.ndarray) -> np.ndarray:
        """A rank-only baseline's score of the rows (higher = more likely); NaN rows are left out of its metrics.
        recency: lower recency_days first (the opposite for churn); rfm_score: r_score + f_score + m_score (lower
        first for churn); engagement_score as it is; lead_stage: opportunity 4 > sql 3 > mql 2 > lead 1 > subscriber
        0 > a null or unknown stage -1; past_response_rate: campaign_responses / campaign_sends, 0 without a send."""
        def col(c):
            return self.d.X[rows, self.d.features.index(c)]

        sign = 1.0 if spec.invert else -1.0  # purchase: lower recency = higher score; churn: the opposite
        if name == "recency":
            return sign * col("recency_days")
        if name == "rfm_score":
            return -sign * (col("r_score") + col("f_score") + col("m_score"))
        if name == "engagement_score":
            return col("engagement_score")
        if name == "lead_stage":
            code = self.d.codes["lead_stage"][rows]
            return np.where(code >= 0, len(LEAD_STAGES) - 1 - code, -1).astype(float)
        if name == "past_response_rate":
            return _past_response_rate(col("campaign_sends"), col("campaign_responses"))
        raise ValueError(name)

    def baselines(self, spec: TargetSpec, rows, y_all, cutoffs) -> list[dict]:
        """Baseline rows on the validation rows (the latest labelled cut-off, group 3): constant (the mean label of
        the other groups at the earlier labelled cut-offs), the problem's rank-only baselines (binary targets; see
        ``baseline_score``) and, for customers, the horizon-free model."""
        if not cutoffs:
            return []
        valid_cutoff = cutoffs[-1]
        valid = rows[(self.cutoff[rows] == valid_cutoff) & (self.group[rows] == 3)]
        earlier = rows[(self.cutoff[rows] < valid_cutoff) & (self.group[rows] != 3)]
        y = y_all[valid]
        out = []
        if earlier.size:
            const = float(y_all[earlier].mean())
            out.append(self.eval_row(spec, "constant", None, True, valid_cutoff,
                                     self.metrics(spec, y, np.full(y.shape, const))))
        if spec.task == "binary":
            for name in self.p.baselines:
                score = self.baseline_score(name, spec, valid)
                ok = np.isfinite(score)
                out.append(self.eval_row(spec, name, None, True, valid_cutoff,
                                         self.metrics(spec, y[ok], score[ok], probability=False)))
        hf = self.hf_prediction(spec, valid)
        ok = np.isfinite(hf)
        if ok.any():
            out.append(self.eval_row(spec, "horizon_free", None, True, valid_cutoff, self.metrics(spec, y[ok], hf[ok])))
            self.calibration.extend(self.calib_rows(spec, "horizon_free", None, valid_cutoff, y[ok], hf[ok]))
        self.evaluation.extend(out)
        return out

    def backtest(self, spec: TargetSpec, rows, y_all, cutoffs) -> tuple[_Model | None, list[dict] | str]:
        """Fit the candidates on the backtest split and judge them with the baselines. Returns the chosen model and
        its evaluation rows, or (None, the reason) when the horizon-free model beat every candidate."""
        sp = self.split(spec, rows, cutoffs)
        train, calib, valid = sp["train"], sp["calib"], sp["valid"]
        train_cutoffs, calib_cutoff, valid_cutoff = sp["train_cutoffs"], sp["calib_cutoff"], sp["valid_cutoff"]
        fit_rows = _fit_rows(self.d, train, self.max_fit_rows)
        X, y = self.d.X, y_all
        nonnegative = bool((y[rows] >= 0).all())
        results = []
        for kind in _candidates(spec.task, nonnegative):
            model = _fit(kind, spec.task, X[fit_rows], y[fit_rows], self.seed)
            if calib.size:
                model.calibration = _fit_sigmoid(model.raw(X, calib), y[calib])
            pred = model.predict(X, valid)
            results.append((model, pred, _selection_loss(spec.task, model.loss, y[valid], pred)))
        best = min(range(len(results)), key=lambda i: (results[i][2], i))
        # The horizon-free model competes too, judged on the same rows by the same loss: a fitted model that does
        # not beat it adds nothing.
        hf = self.hf_prediction(spec, valid)
        hf_loss = (_selection_loss(spec.task, results[best][0].loss, y[valid], hf)
                   if valid.size and np.isfinite(hf).all() else None)
        hf_wins = hf_loss is not None and hf_loss < results[best][2]
        base_rows = self.baselines(spec, rows, y_all, cutoffs)
        eval_rows = []
        for i, (model, pred, loss) in enumerate(results):
            row = self.eval_row(spec, model.kind, None, False, valid_cutoff, self.metrics(spec, y[valid], pred))
            row["is_chosen"] = i == best and not hf_wins
            eval_rows.append(row)
            self.evaluation.append(row)
            self.calibration.extend(self.calib_rows(spec, model.kind, None, valid_cutoff, y[valid], pred))
        if hf_wins:
            others = ", ".join(f"{m.kind} {loss:.4f}" for m, _, loss in results)
            self.log.append(f"{spec.name}: the horizon-free model has the lowest validation "
                            f"{_selection_name(spec.task, results[best][0].loss)} at {valid_cutoff} on {valid.size} "
                            f"held-out {self.p.held_out} ({hf_loss:.4f}; {others})")
            return None, (f"the horizon-free model beat the fitted models at the validation cut-off {valid_cutoff} "
                          f"({_selection_name(spec.task, results[best][0].loss)} {hf_loss:.4f}; {others})")
        chosen = results[best][0]
        self.selection = {
            "criterion": _selection_name(spec.task, chosen.loss),
            "losses": {m.kind: loss for m, _, loss in results},
            "training_cutoffs": train_cutoffs, "calibration_cutoff": calib_cutoff, "validation_cutoff": valid_cutoff,
            "training_examples": int(train.size), "training_positives": int((y[train] > 0).sum()),
            "fit_rows": int(fit_rows.size), "baselines": base_rows, "chosen_evaluation": eval_rows[best]}
        others = ", ".join(f"{m.kind} {loss:.4f}" for m, _, loss in results)
        self.log.append(f"{spec.name}: chose {chosen.kind} by validation {self.selection['criterion']} at "
                        f"{valid_cutoff} on {valid.size} held-out {self.p.held_out} ({others}); trained on "
                        f"{len(train_cutoffs)} cut-off(s), {fit_rows.size} of {train.size} rows"
                        + (f", calibrated (sigmoid) on {calib.size} other {self.p.held_out} at {calib_cutoff}"
                           if calib_cutoff else
                           (", not calibrated (only 2 labelled cut-offs)" if spec.task == "binary" else "")))
        return chosen, eval_rows

    def final(self, spec, chosen: _Model, rows, y_all, cutoffs, scoring, eval_rows) -> None:
        X, y = self.d.X, y_all
        fit_rows = _fit_rows(self.d, rows, self.max_fit_rows)
        model = _fit(chosen.kind, spec.task, X[fit_rows], y[fit_rows], self.seed)
        calib_note = "not calibrated"
        if spec.task == "binary" and self.selection["calibration_cutoff"] is not None:
            # Held out in time and by customer: the same kind trained on groups 0-2 at the earlier cut-offs scores
            # group 3 at the latest one, and the sigmoid fitted there is applied to the final model.
            earlier = rows[(self.cutoff[rows] < cutoffs[-1]) & (self.group[rows] <= 2)]
            latest = rows[(self.cutoff[rows] == cutoffs[-1]) & (self.group[rows] == 3)]
            helper_rows = _fit_rows(self.d, earlier, self.max_fit_rows)
            helper = _fit(chosen.kind, spec.task, X[helper_rows], y[helper_rows], self.seed)
            model.calibration = _fit_sigmoid(helper.raw(X, latest), y[latest])
            calib_note = (f"sigmoid calibration fitted on {latest.size} held-out {self.p.held_out} at {cutoffs[-1]}, "
                          f"scored by the same kind trained on the other {self.p.held_out} at the earlier cut-offs")
        settings = {"target": spec.name, "kind": chosen.kind, "horizon_days": self.h, "as_of": self.as_of,
                    "seed": self.seed, "max_fit_rows": self.max_fit_rows, "features": self.d.features,
                    "hyper_parameters": HYPER_PARAMETERS[chosen.kind]}
        cols = [spec.label] + self.d.features[:self.d.n_inputs]
        model_id = f"{spec.name}.{chosen.kind}.{self.as_of}.{_data_hash(self.d, rows, cols, settings)}"
        chosen_eval = dict(self.selection["chosen_evaluation"])
        for r in eval_rows:
            if r["is_chosen"]:
                r["model_id"] = model_id
        for r in self.calibration:
            if r["target"] == spec.name and r["model_name"] == chosen.kind and r["model_id"] is None:
                r["model_id"] = model_id
        metrics = {"validation": {k: v for k, v in chosen_eval.items()
                                  if k not in ("target", "model_name", "model_id", "is_baseline", "is_chosen")},
                   "selection_criterion": self.selection["criterion"],
                   "selection_losses": self.selection["losses"],
                   "training_examples": int(rows.size), "training_positives": int((y[rows] > 0).sum()),
                   "backtest_training_examples": self.selection["training_examples"],
                   "backtest_fit_rows": self.selection["fit_rows"],
                   "calibration": ({"method": "sigmoid", "a": model.calibration[0], "b": model.calibration[1],
                                    "fitted_on": cutoffs[-1]} if model.calibration else None)}
        hp = dict(HYPER_PARAMETERS[chosen.kind], seed=self.seed, max_fit_rows=self.max_fit_rows)
        if chosen.loss:
            hp["loss"] = chosen.loss
        meta = {"model_id": model_id, "target": spec.name, "kind": chosen.kind, "horizon_days": self.h,
                "as_of_date": self.as_of.isoformat(), "fitted_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "training_cutoffs": [c.isoformat() for c in cutoffs],
                "validation_cutoff": self.selection["validation_cutoff"].isoformat(),
                "backtest": {"training_cutoffs": [c.isoformat() for c in self.selection["training_cutoffs"]],
                             "calibration_cutoff": self.selection["calibration_cutoff"],
                             "validation_cutoff": self.selection["validation_cutoff"]},
                "features": self.d.features, "hyper_parameters": hp, "metrics": metrics,
                "sample_rows": int(fit_rows.size), "library_versions": _library_versions(),
                "evaluation": [r for r in self.evaluation if r["target"] == spec.name],
                "calibration": [r for r in self.calibration if r["target"] == spec.name]}
        path = _save(self.registry_dir, model_id, {"model": model}, meta)
        self.registry.append(_registry_row(meta, path))
        values = model.predict(X, scoring) if scoring.size else np.empty(0)
        self.add_scores(spec.name, scoring, values, model_id)
        v = chosen_eval
        quality = (f"AUC {v['auc']:.3f}, Brier {v['brier']:.4f}" if spec.task == "binary" and v["auc"] is not None
                   else f"MAE {v['mae']:.4g}, predicted {v['predicted_total']:.6g} vs actual {v['actual_total']:.6g}"
                   if spec.task != "binary" else "")
        msg = (f"{chosen.kind} refitted on {len(cutoffs)} labelled cut-offs ({fit_rows.size} rows); {calib_note}; "
               f"at the validation cut-off {cutoffs[-1]}: {quality}")
        self.add_status(spec.name, "fitted", msg, model_id, int(rows.size), int((y[rows] > 0).sum()))

    def fallback(self, spec: TargetSpec, reason: str, scoring, rows, y_all) -> None:
        if spec.horizon_free is None:
            self.add_status(spec.name, "not_fitted", f"{reason}; {self.p.no_fallback}", None, int(rows.size),
                            int((y_all[rows] > 0).sum()))
            return
        hf = self.hf_by_cutoff.get(self.as_of)
        hf_reason = None if hf is None else (hf.revenue_reason if spec.task == "amount" else hf.reason)
        if hf is None:
            hf_reason = "no customer at the as-of date"
        n, pos = int(rows.size), int((y_all[rows] > 0).sum())
        if hf_reason is None and self.hf_model_id is not None:
            values = self.hf_prediction(spec, scoring)
            self.add_scores(spec.name, scoring, values, self.hf_model_id)
            for r in self.evaluation:
                if r["target"] == spec.name and r["model_name"] == "horizon_free":
                    r["is_chosen"] = True
            self.add_status(spec.name, "horizon_free", f"{reason}; served by the horizon-free BG/NBD model "
                            f"(its {self.h}-day prediction, not fitted to these labels)", self.hf_model_id, n, pos)
        else:
            self.add_status(spec.name, "not_fitted", f"{reason}; the horizon-free model is not available either: "
                            f"{hf_reason}", None, n, pos)

    def p_alive(self) -> None:
        hf = self.hf_by_cutoff.get(self.as_of)
        scoring = np.flatnonzero(self.d.scoring)
        if hf is None or hf.reason or self.hf_model_id is None:
            reason = "no customer at the as-of date" if hf is None else hf.reason
            self.add_status("p_alive", "not_fitted", reason, None, int(scoring.size), None)
            return
        j = self.d.features.index("bgnbd_p_alive")
        self.add_scores("p_alive", scoring, self.d.X[scoring, j], self.hf_model_id)
        self.add_status("p_alive", "horizon_free",
                        f"BG/NBD P(alive) fitted on the {hf.customers} customers at {self.as_of} "
                        f"({hf.repeat_customers} with a repeat purchase day); no label exists for being alive, so it "
                        "is not validated against outcomes", self.hf_model_id, hf.customers, None)

    # ---- output -------------------------------------------------------------------------------------------------
    def add_scores(self, target: str, rows: np.ndarray, values: np.ndarray, model_id: str) -> None:
        ok = np.isfinite(values)
        self.scores.append(pd.DataFrame({
            "entity_type": self.p.entity_type, "entity_id": self.d.frame["contact_id"].to_numpy()[rows][ok],
            "target": target, "value": values[ok].astype(float), "model_id": model_id}))

    def add_status(self, target, status, message, model_id, examples, positives) -> None:
        self.status.append({"target": target, "status": status, "message": message, "model_id": model_id,
                            "examples": examples, "positives": positives})
        self.log.append(f"{target}: {status}: {message}")

    def target_names(self) -> list[str]:
        return [t.name for t in self.p.targets] + (["p_alive"] if self.p.horizon_free else [])

    def not_fitted_all(self, message: str) -> None:
        for name in self.target_names():
            self.add_status(name, "not_fitted", message, None, None, None)


def _restore_dates(row: dict, *cols: str) -> dict:
    row = dict(row)
    for c in cols:
        if isinstance(row.get(c), str):
            row[c] = dt.date.fromisoformat(row[c])
    return row


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame({c: [] for c in columns})


def predict_customers(examples: pd.DataFrame, *, horizon_days: int, as_of: dt.date, registry_dir: Path,
                      min_examples: int = 500, min_positives: int = 50, seed: int = 0, refit: str = "auto",
                      cutoff_spacing_days: int = 30, max_fit_rows: int = 100_000,
                      n_threads: int | None = 1) -> PredictionRun:
    """Fit (or load), validate and apply the customer prediction models; see the module docstring for the models,
    the choice, the minimum data and the registry.

    examples: the rows of int_customer__training_examples (every cut-off, scoring rows included). horizon_days: the
    prediction_horizon_days the examples were built with (labelled rows whose window ends after ``as_of`` are
    refused). as_of: the as-of date (the scoring rows' cutoff_date). registry_dir: the model registry folder (created
    when missing). min_examples, min_positives: the minimum data per target (>= 1). seed: every estimator's
    random_state. refit: 'auto', 'always' or 'never'. cutoff_spacing_days: the spine's spacing, the age at which
    'auto' refits. max_fit_rows: the cap of rows per fit. n_threads: the OpenMP/BLAS threads of the fits and predictions
    (default 1; None = the libraries' default, every core). One thread, because the machines this runs on have two
    shared cores: at 1,000,000 customers x 6 cut-offs fit + predict took 34 s of CPU on one thread and 65 s on two
    (OpenMP threads spin while they wait for a busy core); the results are the same either way.

    Returns a PredictionRun. Raises PredictionError (one line) on bad input, and with refit='never' when a saved
    model's features differ from the examples'.
    """
    return _predict(_CUSTOMERS, examples, horizon_days=horizon_days, as_of=as_of, registry_dir=registry_dir,
                    min_examples=min_examples, min_positives=min_positives, seed=seed, refit=refit,
                    cutoff_spacing_days=cutoff_spacing_days, max_fit_rows=max_fit_rows, n_threads=n_threads)


def predict_leads(examples: pd.DataFrame, *, horizon_days: int, as_of: dt.date, registry_dir: Path,
                  min_examples: int = 500, min_positives: int = 50, seed: int = 0, refit: str = "auto",
                  cutoff_spacing_days: int = 30, max_fit_rows: int = 100_000,
                  n_threads: int | None = 1) -> PredictionRun:
    """Lead conversion: ``p_convert`` (P(a first completed order or a won deal within the horizon)) of every lead
    at the as-of date, entity_type 'lead', entity_id the lead's contact_id. examples: the rows of
    int_lead__training_examples (every cut-off, scoring rows included; label ``label_convert``); ``lead_stage`` is
    one-hot encoded in the order of LEAD_STAGES (a null or unknown stage: every lead_stage_* column 0, logged).
    Arguments, result and errors as ``predict_customers``; no horizon-free model (a lead has no purchase history),
    so a target below the minimum data has no score (status not_fitted). Baselines: constant, engagement_score,
    lead_stage."""
    return _predict(_LEADS, examples, horizon_days=horizon_days, as_of=as_of, registry_dir=registry_dir,
                    min_examples=min_examples, min_positives=min_positives, seed=seed, refit=refit,
                    cutoff_spacing_days=cutoff_spacing_days, max_fit_rows=max_fit_rows, n_threads=n_threads)


def predict_campaign_response(examples: pd.DataFrame, *, horizon_days: int, as_of: dt.date, registry_dir: Path,
                              min_examples: int = 500, min_positives: int = 50, seed: int = 0, refit: str = "auto",
                              cutoff_spacing_days: int = 30, max_fit_rows: int = 100_000,
                              n_threads: int | None = 1) -> PredictionRun:
    """Campaign response: ``p_campaign_response`` (P(answering the next campaign send within var
    campaign_response_days)) of every golden contact at the as-of date, entity_type 'contact', entity_id the golden
    contact_id. examples: the rows of int_campaign__training_examples (label ``label_response``); next_campaign_id
    and next_sent_on describe the labelled send and are never features; past rows that are not labelled (the
    send's response window ends after the as-of date) are ignored. Arguments, result and errors as
    ``predict_customers``; no horizon-free model. Baselines: constant, past_response_rate (campaign_responses /
    campaign_sends, 0 without a send), engagement_score."""
    return _predict(_CAMPAIGNS, examples, horizon_days=horizon_days, as_of=as_of, registry_dir=registry_dir,
                    min_examples=min_examples, min_positives=min_positives, seed=seed, refit=refit,
                    cutoff_spacing_days=cutoff_spacing_days, max_fit_rows=max_fit_rows, n_threads=n_threads)


def _predict(problem: _Problem, examples: pd.DataFrame, *, horizon_days, as_of, registry_dir, min_examples,
             min_positives, seed, refit, cutoff_spacing_days, max_fit_rows, n_threads) -> PredictionRun:
    if refit not in REFIT_CHOICES:
        raise PredictionError(f"refit: {refit!r}, expected one of {', '.join(REFIT_CHOICES)}")
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise PredictionError(f"as_of: expected a datetime.date, got {as_of!r}")
    for name, value, low in (("horizon_days", horizon_days, 1), ("min_examples", min_examples, 1),
                             ("min_positives", min_positives, 1), ("cutoff_spacing_days", cutoff_spacing_days, 1),
                             ("max_fit_rows", max_fit_rows, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise PredictionError(f"{name}: expected a whole number >= {low}, got {value!r}")
    data = _prepare(examples, as_of, int(horizon_days), problem)
    run = _Run(data, int(horizon_days), as_of, int(min_examples), int(min_positives), int(seed), refit,
               Path(registry_dir), int(cutoff_spacing_days), int(max_fit_rows), problem)
    with threadpool_limits(limits=n_threads) if n_threads else _nothing():
        n_scoring = int(data.scoring.sum())
        if n_scoring < min_examples:
            run.not_fitted_all(f"{n_scoring} {problem.entities}, {min_examples} needed (var prediction_min_examples)")
        else:
            if problem.horizon_free:
                need = [as_of] if refit == "never" else [as_of] + data.labelled_cutoffs
                run.horizon_free(need)
                run.save_horizon_free()
            for spec in problem.targets:
                run.run_target(spec)
            if problem.horizon_free:
                run.p_alive()
    scores = (pd.concat(run.scores, ignore_index=True) if run.scores else _frame([], SCORE_COLUMNS))
    scores = scores.sort_values(["target", "entity_id"], kind="mergesort").reset_index(drop=True)[SCORE_COLUMNS]
    order = {t: i for i, t in enumerate(run.target_names())}
    evaluation = _frame(run.evaluation, EVALUATION_COLUMNS)
    calibration = _frame(run.calibration, CALIBRATION_COLUMNS)
    status = _frame(run.status, STATUS_COLUMNS)
    for f in (evaluation, calibration, status):
        f["_o"] = f["target"].map(order)
    evaluation = evaluation.sort_values(["_o", "is_baseline", "model_name"], kind="mergesort")
    calibration = calibration.sort_values(["_o", "model_name", "bin"], kind="mergesort")
    status = status.sort_values(["_o"], kind="mergesort")
    registry = _frame(run.registry, REGISTRY_COLUMNS).sort_values("model_id", kind="mergesort")
    for f, cols in ((evaluation, ("examples", "positives")), (calibration, ("bin", "examples")),
                    (status, ("examples", "positives"))):
        for c in cols:
            f[c] = f[c].astype("Int64")
    for c in ("is_baseline", "is_chosen"):
        evaluation[c] = evaluation[c].astype(bool)
    return PredictionRun(scores, evaluation[EVALUATION_COLUMNS].reset_index(drop=True),
                         calibration[CALIBRATION_COLUMNS].reset_index(drop=True),
                         status[STATUS_COLUMNS].reset_index(drop=True), registry.reset_index(drop=True), run.log)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
