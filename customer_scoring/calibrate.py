"""`customer-scoring calibrate`: propose new tier thresholds and criterion weights for one profile from its history.

Reads score_history, score_factor_history and the outcome of every history row (int_history__score_outcomes: did
the entity convert in the window after the as-of date, as known at the work database's last build) from the work
database. The periods (as-of dates) whose outcome window is complete are split in time: the latest `holdout` periods
are held out, the earlier ones fit. Everything is judged again on the held-out periods only.

- Thresholds for target tier sizes (`A=10,B=20,C=30`: percent of the entities, best tier first, the lowest tier takes
  the rest): the score quantiles of the fitting periods pooled.
- Thresholds for target conversion rates (`A=0.3,B=0.15`): per tier from the best down, the lowest threshold whose
  band (threshold up to the tier above) converts at least at the target on the fitting periods, with at least
  `min_population` entities in the band.
- Weights (`--weights`): a logistic regression (scikit-learn) of the outcome on the profile's criteria (their
  normalised values 0-1 in score_factor_history), non-negative (criteria with a negative coefficient are dropped and
  the rest refitted until none is negative), scaled to the 100 points the profile's weights must sum to, then shrunk
  towards the current weights: w = lambda x fitted + (1 - lambda) x current, lambda in 0, 0.1, ..., 1 chosen on the
  fitting periods (fitted on all but the last fitting period, judged by the top tier's lift on the last one). A new
  weight set is proposed only when its held-out top-tier lift is at least the current weights'.

A score is recomputed from the factor history as the engine makes it (macros/scoring/scoring_contributions.sql):
criteria points = 100 x weight x normalised value / (sum of the weights of the criteria known for the entity and not
constant on that date), rounded to cents; plus the points rules as stored; bounded to 0-100. With the stored weights
it gives the stored score.

Nothing is applied: the proposal is a unified diff of seeds/scoring/tier_thresholds.csv and/or scoring_weights.csv
(written only with --write) plus a before/after table on the held-out periods.
"""
from __future__ import annotations

import csv
import difflib
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("customer_scoring")

THRESHOLDS_SEED = Path("seeds/scoring/tier_thresholds.csv")
WEIGHTS_SEED = Path("seeds/scoring/scoring_weights.csv")
PROFILES_SEED = Path("seeds/scoring/scoring_profiles.csv")
# The profile's weights must sum to this (int_scoring__config_errors: 'weights must sum to 100').
WEIGHT_TOTAL = 100.0
# Decimals of a proposed weight and threshold in the seed files (weight decimal(18, 4), min_score decimal(18, 2)).
WEIGHT_DECIMALS = 1
SCORE_DECIMALS = 2
SHRINK_GRID = tuple(round(x / 10, 1) for x in range(11))
# Meta columns of the wide frame (one row per period and entity); every other column is a criterion's normalised value.
META = ("as_of_date", "entity_id", "score", "tier", "rule_points", "is_converted", "is_window_complete")


class CalibrationError(RuntimeError):
    """The history cannot support the requested calibration; the message says why."""


# ------------------------------------------------------------------------------------------------ inputs
def parse_targets(text: str | None, kind: str) -> dict[str, float]:
    """`A=10,B=20` -> {'A': 10.0, 'B': 20.0}. kind 'sizes': percent of entities (0-100, summing to at most 100);
    'rates': conversion rates 0-1."""
    if not text:
        return {}
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        tier, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not tier.strip() or math.isnan(number):
            raise CalibrationError(f"--target-{kind}: expected TIER=NUMBER[,TIER=NUMBER...], got {part!r}")
        out[tier.strip()] = number
    if kind == "sizes":
        if any(v <= 0 or v > 100 for v in out.values()) or sum(out.values()) > 100 + 1e-9:
            raise CalibrationError(f"--target-sizes are percents of the entities per tier, each above 0, summing to at "
                                   f"most 100; got {text}")
    elif any(not 0 < v <= 1 for v in out.values()):
        raise CalibrationError(f"--target-rates are conversion rates between 0 and 1 (0.3 = 30 %); got {text}")
    return out


def read_seed(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def check_profile(seed: pd.DataFrame, profile: str) -> None:
    """Stop with a message naming what to do when `profile` cannot be calibrated from the score history: it is not a
    profile of scoring_profiles.csv, or it scores offers (entity type 'offer'), whose scores the history does not keep
    (a contact's offers change with the catalogue; offer_evaluation judges them against what contacts bought next)."""
    rows = seed[seed["profile"] == profile]
    if rows.empty:
        known = ", ".join(sorted(seed["profile"]))
        raise CalibrationError(f"profile {profile!r} is not in {PROFILES_SEED} (profiles: {known})")
    if rows.iloc[0]["entity_type"] == "offer":
        raise CalibrationError(
            f"profile {profile!r} scores offers: the score history keeps customer, lead and account scores, not "
            f"offers, so there is no tier outcome to calibrate against. marts.offer_evaluation judges the offer lists "
            f"against what contacts bought next (precision, recall and hit rate at K, against best-sellers and buy "
            f"again): change the {profile!r} weights in {WEIGHTS_SEED}, rebuild and compare it")


def current_thresholds(seed: pd.DataFrame, profile: str) -> list[tuple[str, float]]:
    """(tier, min_score) of the profile, best first (tiers rank by min_score, never by name)."""
    rows = seed[seed["profile"] == profile]
    if rows.empty:
        raise CalibrationError(f"profile {profile!r} has no tiers in {THRESHOLDS_SEED}")
    tiers = [(r.tier, float(r.min_score)) for r in rows.itertuples()]
    return sorted(tiers, key=lambda t: -t[1])


def current_weights(seed: pd.DataFrame, profile: str) -> dict[str, float]:
    rows = seed[seed["profile"] == profile]
    if rows.empty:
        raise CalibrationError(f"profile {profile!r} has no weights in {WEIGHTS_SEED}")
    return {r.criterion: float(r.weight) for r in rows.itertuples()}


def wide_frame(history: pd.DataFrame, factors: pd.DataFrame, outcomes: pd.DataFrame,
               criteria: list[str]) -> pd.DataFrame:
    """One row per period and entity of one profile: stored score and tier, the points of its rules, the outcome
    (is_converted: None while the window is open) and one column per criterion with its normalised value (NaN when
    unknown). history: as_of_date, entity_id, score, tier; factors: as_of_date, entity_id, factor, factor_kind,
    normalized_value, points; outcomes: as_of_date, entity_id, is_converted, is_window_complete."""
    keys = ["as_of_date", "entity_id"]
    history, factors, outcomes = (_dated(f) for f in (history, factors, outcomes))
    wide = history[[*keys, "score", "tier"]].copy()
    rules = (factors[factors["factor_kind"] == "rule"].groupby(keys)["points"].sum().rename("rule_points"))
    wide = wide.merge(rules, left_on=keys, right_index=True, how="left")
    wide["rule_points"] = wide["rule_points"].fillna(0.0)
    wide = wide.merge(outcomes[[*keys, "is_converted", "is_window_complete"]], on=keys, how="left")
    crit = factors[(factors["factor_kind"] == "criterion") & factors["factor"].isin(criteria)]
    values = crit.pivot_table(index=keys, columns="factor", values="normalized_value", aggfunc="first", dropna=False)
    values = values.reindex(columns=criteria)
    wide = wide.merge(values, left_on=keys, right_index=True, how="left")
    for c in ("score", "rule_points", *criteria):
        wide[c] = pd.to_numeric(wide[c], errors="coerce").astype(float)
    wide["is_window_complete"] = wide["is_window_complete"].fillna(False).astype(bool)
    return wide.sort_values(keys).reset_index(drop=True)


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """as_of_date as datetime.date (a DataFrame read from a database may hold timestamps)."""
    frame = frame.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


# ------------------------------------------------------------------------------------------------ the engine, again
def _round_cents(x: np.ndarray) -> np.ndarray:
    """Half away from zero, as SQL round() of a decimal."""
    return np.sign(x) * np.floor(np.abs(x) * 100 + 0.5 + 1e-9) / 100


def constant_criteria(wide: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """Per period and criterion: True when at least two entities have a value and all values are equal (the engine's
    is_constant: 0 points and the weight left out of every denominator)."""
    grouped = wide.groupby("as_of_date")[criteria]
    count, low, high = grouped.count(), grouped.min(), grouped.max()
    return (count >= 2) & (low == high)


def recompute_scores(wide: pd.DataFrame, weights: dict[str, float], criteria: list[str]) -> np.ndarray:
    """The score of every row of `wide` with `weights`, as scoring_contributions and scoring_totals compute it."""
    values = wide[criteria].to_numpy(dtype=float)
    w = np.array([weights.get(c, 0.0) for c in criteria], dtype=float)
    constant = constant_criteria(wide, criteria).reindex(wide["as_of_date"]).to_numpy(dtype=bool)
    known = ~np.isnan(values) & ~constant
    available = (known * w).sum(axis=1)
    exact = np.where(known, np.nan_to_num(values) * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(available > 0, 100 * exact / np.where(available > 0, available, 1), 0.0)
    total = _round_cents(weighted) + wide["rule_points"].to_numpy(dtype=float)
    return np.clip(_round_cents(total), 0, 100)


def assign_tiers(scores: np.ndarray, thresholds: list[tuple[str, float]]) -> np.ndarray:
    """The tier with the highest min_score not above the score (thresholds best first)."""
    out = np.full(len(scores), thresholds[-1][0], dtype=object)
    for tier, min_score in reversed(thresholds):
        out[scores >= min_score - 1e-9] = tier
    return out


# ------------------------------------------------------------------------------------------------ thresholds
def thresholds_for_sizes(scores: np.ndarray, current: list[tuple[str, float]],
                         sizes: dict[str, float]) -> tuple[list[tuple[str, float]], list[str]]:
    """Tier thresholds giving each tier named in `sizes` its percent of the entities (pooled fitting periods), best
    tier first; a tier not named keeps its threshold, the lowest tier starts at 0."""
    names = [t for t, _ in current]
    unknown = sorted(set(sizes) - set(names))
    if unknown:
        raise CalibrationError(f"--target-sizes names tiers the profile does not have: {', '.join(unknown)} "
                               f"(tiers, best first: {', '.join(names)})")
    if names[-1] in sizes and len(sizes) < len(names):
        raise CalibrationError(f"--target-sizes: the lowest tier {names[-1]} takes the rest; give the sizes of the "
                               f"tiers above it")
    scores = np.sort(np.asarray(scores, dtype=float))
    n = len(scores)
    if n == 0:
        raise CalibrationError("no score in the fitting periods")
    distinct = np.unique(scores)

    def at_or_above(values):
        return n - np.searchsorted(scores, values, side="left")
    notes, out, cumulative, above = [], [], 0.0, math.inf
    for position, (tier, min_score) in enumerate(current):
        if position == len(current) - 1:
            out.append((tier, 0.0))
            break
        if tier not in sizes:
            if min_score >= above:
                raise CalibrationError(f"tier {tier} keeps its threshold {min_score:g}, which is not below the new "
                                       f"threshold of the tier above ({above:g}): give its size too")
            out.append((tier, min_score))
            cumulative = float(at_or_above(min_score)) / n * 100
            above = min_score
            continue
        cumulative += sizes[tier]
        candidates = distinct[(distinct > 0) & (distinct < above)]
        if len(candidates) == 0:
            raise CalibrationError(f"no score left below {above:g} to start tier {tier}")
        shares = at_or_above(candidates) / n * 100
        best = candidates[int(np.argmin(np.abs(shares - cumulative) + 1e-12 * candidates))]
        share = float(at_or_above(best)) / n * 100
        if abs(share - cumulative) > 1:
            notes.append(f"tier {tier}: ties in the scores give {share:.1f} % at or above it, not {cumulative:g} %")
        out.append((tier, round(float(best), SCORE_DECIMALS)))
        above = float(best)
    return out, notes


def thresholds_for_rates(scores: np.ndarray, converted: np.ndarray, current: list[tuple[str, float]],
                         rates: dict[str, float], min_population: int) -> tuple[list[tuple[str, float]], list[str]]:
    """Per tier from the best down: the lowest threshold whose band (threshold up to the tier above) converts at
    least at the target rate on the fitting periods, with at least `min_population` entities in it. A tier without a
    target keeps its threshold; a target no threshold reaches keeps the current one (said in the notes)."""
    names = [t for t, _ in current]
    unknown = sorted(set(rates) - set(names))
    if unknown:
        raise CalibrationError(f"--target-rates names tiers the profile does not have: {', '.join(unknown)}")
    if names[-1] in rates:
        raise CalibrationError(f"--target-rates: the lowest tier {names[-1]} starts at 0 and takes the rest")
    order = np.argsort(np.asarray(scores, dtype=float), kind="stable")
    scores = np.asarray(scores, dtype=float)[order]
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(converted, dtype=float)[order])])
    distinct = np.unique(scores)
    notes, out, above = [], [], math.inf
    for position, (tier, min_score) in enumerate(current):
        if position == len(current) - 1:
            out.append((tier, 0.0))
            break
        chosen = None
        if tier in rates:
            # the band [candidate, above) of every candidate; the lowest candidate that meets the target wins
            candidates = distinct[(distinct > 0) & (distinct < above)]
            top = np.searchsorted(scores, above, side="left")
            start = np.searchsorted(scores, candidates, side="left")
            population = top - start
            conversions = cumulative[top] - cumulative[start]
            with np.errstate(invalid="ignore", divide="ignore"):
                meets = (population >= min_population) & (conversions / np.maximum(population, 1)
                                                           >= rates[tier] - 1e-12)
            if meets.any():
                chosen = float(candidates[int(np.argmax(meets))])
            else:
                notes.append(f"tier {tier}: no threshold below {above:g} gives {min_population}+ entities converting "
                             f"at {rates[tier]:.0%} on the fitting periods; its threshold stays {min_score:g}")
        if chosen is None:
            chosen = min_score
            if chosen >= above:
                why = "its target is not reached" if tier in rates else "it has no target"
                raise CalibrationError(f"tier {tier} would keep its threshold {min_score:g} ({why}), but the tier "
                                       f"above now starts lower ({above:g}, the lowest threshold meeting its target): "
                                       f"give tier {tier} a reachable target, or the tier above a higher one")
        out.append((tier, round(chosen, SCORE_DECIMALS)))
        above = chosen
    return out, notes


# ------------------------------------------------------------------------------------------------ weights
def round_weights(weights: dict[str, float], total: float = WEIGHT_TOTAL,
                  decimals: int = WEIGHT_DECIMALS) -> dict[str, float]:
    """Round to `decimals` keeping the exact total (largest remainder; ties by criterion name)."""
    unit = 10 ** decimals
    keys = sorted(weights)
    raw = np.array([weights[k] for k in keys], dtype=float)
    raw = raw / raw.sum() * total * unit if raw.sum() > 0 else raw
    floors = np.floor(raw + 1e-9)
    left = int(round(total * unit - floors.sum()))
    order = sorted(range(len(keys)), key=lambda i: (-(raw[i] - floors[i]), keys[i]))
    for i in order[:max(left, 0)]:
        floors[i] += 1
    return {k: float(floors[i] / unit) for i, k in enumerate(keys)}


def _design(wide: pd.DataFrame, criteria: list[str], means: pd.Series | None = None) -> tuple[np.ndarray, pd.Series]:
    """The criteria's normalised values, an unknown value replaced by the criterion's mean on the fitting rows (the
    engine shares a missing criterion's weight among the known ones: it neither rewards nor punishes)."""
    values = wide[criteria]
    if means is None:
        means = values.mean().fillna(0.5)
    return values.fillna(means).to_numpy(dtype=float), means


def fit_nonnegative(wide: pd.DataFrame, criteria: list[str], c_value: float = 1.0) -> dict[str, float]:
    """Logistic regression of is_converted on the criteria with non-negative coefficients: criteria whose coefficient
    is negative are dropped and the rest refitted until none is (an active-set fit; sklearn has no sign constraint).
    Returns the coefficients (0 for a dropped criterion)."""
    from sklearn.linear_model import LogisticRegression

    y = wide["is_converted"].astype(bool).to_numpy()
    if y.all() or not y.any():
        raise CalibrationError("the fitting periods have no conversion, or nothing but conversions: nothing to fit")
    x, _ = _design(wide, criteria)
    active = [i for i, c in enumerate(criteria) if np.nanstd(x[:, i]) > 0]
    coef = np.zeros(len(criteria))
    while active:
        model = LogisticRegression(C=c_value, max_iter=5000)
        model.fit(x[:, active], y)
        beta = model.coef_[0]
        if (beta >= 0).all():
            coef[active] = beta
            break
        active = [i for i, b in zip(active, beta) if b > 0]
    return {c: float(coef[i]) for i, c in enumerate(criteria)}


def shrink(fitted: dict[str, float], current: dict[str, float], lam: float) -> dict[str, float]:
    return {c: lam * fitted.get(c, 0.0) + (1 - lam) * current.get(c, 0.0) for c in current}


def _scaled(coefs: dict[str, float]) -> dict[str, float]:
    total = sum(coefs.values())
    if total <= 0:
        raise CalibrationError("every criterion's coefficient is 0 or negative: the outcome does not rise with any "
                               "criterion on the fitting periods")
    return {c: WEIGHT_TOTAL * v / total for c, v in coefs.items()}


# ------------------------------------------------------------------------------------------------ judging
@dataclass
class TierRow:
    tier: str
    population: int
    share: float
    conversions: int
    rate: float | None
    lift: float | None


def tier_table(scores: np.ndarray, converted: np.ndarray, thresholds: list[tuple[str, float]]) -> list[TierRow]:
    tiers = assign_tiers(np.asarray(scores, dtype=float), thresholds)
    converted = np.asarray(converted, dtype=float)
    n = len(tiers)
    base = converted.mean() if n else math.nan
    rows = []
    for tier, _ in thresholds:
        mask = tiers == tier
        population = int(mask.sum())
        conversions = int(converted[mask].sum())
        rate = conversions / population if population else None
        lift = rate / base if rate is not None and base and base > 0 else None
        rows.append(TierRow(tier, population, 100 * population / n if n else 0.0, conversions, rate, lift))
    return rows


def top_tier_lift(scores: np.ndarray, converted: np.ndarray, thresholds: list[tuple[str, float]]) -> float:
    """Lift of the best non-empty tier (a rate over the base rate); 0 when no tier has an entity."""
    for row in tier_table(scores, converted, thresholds):
        if row.population:
            return row.lift or 0.0
    return 0.0


# ------------------------------------------------------------------------------------------------ the proposal
@dataclass
class Proposal:
    profile: str
    fit_periods: list
    holdout_periods: list
    thresholds_before: list[tuple[str, float]]
    thresholds_after: list[tuple[str, float]]
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    weights_fitted: dict[str, float] | None = None
    shrinkage: float | None = None
    weights_kept: bool = False
    lift_before: float | None = None
    lift_weights: float | None = None
    table_before: list[TierRow] = field(default_factory=list)
    table_after: list[TierRow] = field(default_factory=list)
    targets: dict[str, float] = field(default_factory=dict)
    target_kind: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def thresholds_changed(self) -> bool:
        return self.thresholds_after != self.thresholds_before

    @property
    def weights_changed(self) -> bool:
        return self.weights_after != self.weights_before


def split_periods(wide: pd.DataFrame, holdout: int) -> tuple[list, list]:
    """Periods whose window is complete, oldest first: the latest `holdout` are held out, the earlier ones fit."""
    if holdout < 1:
        raise CalibrationError("--holdout must be 1 or more periods")
    complete = wide.groupby("as_of_date")["is_window_complete"].all()
    periods = sorted(complete[complete].index)
    if len(periods) < holdout + 1:
        open_ = sorted(complete[~complete].index)
        raise CalibrationError(
            f"{len(periods)} period(s) with a complete outcome window ({', '.join(map(str, periods)) or 'none'}); "
            f"calibration needs {holdout} held out plus at least one to fit"
            + (f" (windows still open: {', '.join(map(str, open_))})" if open_ else "")
            + ": backtest more past dates (customer-scoring backtest)")
    return periods[:-holdout], periods[-holdout:]


def _thresholds_rule(kind: str | None, targets: dict[str, float], current, min_population: int):
    """The threshold rule as a function of the fitting rows' scores and outcomes."""
    def rule(scores, converted):
        if kind == "sizes":
            return thresholds_for_sizes(scores, current, targets)
        if kind == "rates":
            return thresholds_for_rates(scores, converted, current, targets, min_population)
        return list(current), []
    return rule


def calibrate(wide: pd.DataFrame, profile: str, thresholds: list[tuple[str, float]], weights: dict[str, float], *,
              sizes: dict[str, float] | None = None, rates: dict[str, float] | None = None, fit_weights: bool = False,
              holdout: int = 2, min_population: int = 30) -> Proposal:
    """The proposal for one profile from its wide frame (wide_frame), current thresholds (best first) and weights."""
    if sizes and rates:
        raise CalibrationError("give --target-sizes or --target-rates, not both")
    criteria = list(weights)
    notes = []
    known = wide[criteria].notna().any(axis=1).groupby(wide["as_of_date"]).any()
    if not known.all():
        missing = sorted(known[~known].index)
        notes.append(f"left out: no factor history for {', '.join(map(str, missing))} (pruned by var "
                     f"factor_history_days, or not built): their scores cannot be recomputed")
        wide = wide[~wide["as_of_date"].isin(missing)]
    # A weighted criterion with no value at all on a date (a prediction on a backtest date: predictions exist for the
    # regular builds' dates only, and the profile scored with its fallback there) would calibrate a scoring the
    # profile does not use: such dates are left out.
    for criterion in [c for c, w in weights.items() if w > 0]:
        present = wide[criterion].notna().groupby(wide["as_of_date"]).any()
        absent = sorted(present[~present].index)
        if absent:
            notes.append(f"left out: {criterion} (weight {weights[criterion]:g}) has no value on "
                         f"{', '.join(map(str, absent))} (predictions exist only for the regular builds' dates; "
                         f"backtests score such a profile with its fallback): their scores are not this profile's")
            wide = wide[~wide["as_of_date"].isin(absent)]
    fit_periods, holdout_periods = split_periods(wide, holdout)
    fit = wide[wide["as_of_date"].isin(fit_periods)].reset_index(drop=True)
    held = wide[wide["as_of_date"].isin(holdout_periods)].reset_index(drop=True)
    kind = "sizes" if sizes else "rates" if rates else None
    targets = sizes or rates or {}
    rule = _thresholds_rule(kind, targets, thresholds, min_population)
    p = Proposal(profile, fit_periods, holdout_periods, list(thresholds), list(thresholds), dict(weights),
                 dict(weights), targets=targets, target_kind=kind, notes=notes)
    y_fit = fit["is_converted"].astype(float).to_numpy()
    y_held = held["is_converted"].astype(float).to_numpy()

    current_fit = recompute_scores(fit, weights, criteria)
    current_held = recompute_scores(held, weights, criteria)
    stored = held["score"].to_numpy(dtype=float)
    differs = int((np.abs(current_held - stored) > 0.011).sum())
    if differs:
        p.notes.append(f"{differs} held-out score(s) recomputed with the seed's weights differ from score_history "
                       f"(the seeds changed since those builds, or a criterion was added): 'before' is the seeds' "
                       f"weights")
    before_thresholds, _ = (list(thresholds), [])
    after_thresholds, notes = rule(current_fit, y_fit)
    p.notes += notes
    p.lift_before = top_tier_lift(current_held, y_held, after_thresholds)

    new_fit, new_held = current_fit, current_held
    if fit_weights:
        p.weights_fitted, p.shrinkage, candidate = _fit_and_shrink(fit, fit_periods, weights, criteria, rule,
                                                                   min_population)
        candidate = round_weights(candidate)
        cand_fit = recompute_scores(fit, candidate, criteria)
        cand_held = recompute_scores(held, candidate, criteria)
        cand_thresholds, cand_notes = rule(cand_fit, y_fit)
        p.lift_weights = top_tier_lift(cand_held, y_held, cand_thresholds)
        top_population = min(int((assign_tiers(cand_held, cand_thresholds) == cand_thresholds[0][0]).sum()),
                             int((assign_tiers(current_held, after_thresholds) == after_thresholds[0][0]).sum()))
        if candidate == weights:
            p.notes.append(f"weights: the fitting periods chose lambda = {p.shrinkage:g}: the current weights stay")
        elif top_population < min_population:
            p.notes.append(f"weights not proposed: the held-out top tier holds {top_population} entities with one of "
                           f"the two weight sets, fewer than --min-population {min_population}: its lift is noise")
        elif p.lift_weights + 1e-12 >= p.lift_before:
            p.weights_kept = True
            p.weights_after = candidate
            after_thresholds, notes = cand_thresholds, cand_notes
            p.notes += notes
            new_fit, new_held = cand_fit, cand_held
        else:
            p.notes.append(f"weights not proposed: their held-out top-tier lift {p.lift_weights:.2f} is below the "
                           f"current weights' {p.lift_before:.2f}")
    p.thresholds_after = after_thresholds
    p.table_before = tier_table(current_held, y_held, before_thresholds)
    p.table_after = tier_table(new_held, y_held, after_thresholds)
    return p


def _fit_and_shrink(fit: pd.DataFrame, fit_periods: list, current: dict[str, float], criteria: list[str], rule,
                    min_population: int) -> tuple[dict[str, float], float, dict[str, float]]:
    """Fitted weights (all fitting periods), the shrinkage lambda and the shrunk weights. lambda is chosen on the
    fitting periods: weights fitted on all of them but the last, each lambda judged by the top tier's lift on the last
    (tiers by the threshold rule applied to the earlier periods); ties go to the smaller lambda (closer to the current
    weights). With one fitting period, the entities are split in two halves by their id instead."""
    labelled = fit[fit["is_converted"].notna()]
    fitted = _scaled(fit_nonnegative(labelled, criteria))
    if len(fit_periods) >= 2:
        inner = labelled[labelled["as_of_date"] < fit_periods[-1]]
        check = labelled[labelled["as_of_date"] == fit_periods[-1]]
    else:
        half = labelled["entity_id"].astype(str).map(lambda s: hash_half(s))
        inner, check = labelled[half == 0], labelled[half == 1]
    try:
        inner_fitted = _scaled(fit_nonnegative(inner, criteria))
    except CalibrationError:
        return fitted, 0.0, dict(current)
    y_inner = inner["is_converted"].astype(float).to_numpy()
    y_check = check["is_converted"].astype(float).to_numpy()
    best_lam, best_lift = 0.0, -math.inf
    for lam in SHRINK_GRID:
        w = shrink(inner_fitted, current, lam)
        thresholds, _ = rule(recompute_scores(inner, w, criteria), y_inner)
        lift = top_tier_lift(recompute_scores(check, w, criteria), y_check, thresholds)
        if lift > best_lift + 1e-9:
            best_lam, best_lift = lam, lift
    return fitted, best_lam, shrink(fitted, current, best_lam)


def hash_half(text: str) -> int:
    """0 or 1 from the md5 of a text: a split of the entities that does not depend on the process."""
    import hashlib

    return hashlib.md5(text.encode()).digest()[0] % 2


# ------------------------------------------------------------------------------------------------ seed files
def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _rewrite(text: str, key_columns: tuple[str, str], column: str, values: dict[tuple[str, str], float]) -> str:
    """The seed's text with `column` replaced on the rows keyed in `values`; every other line kept byte for byte."""
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    k0, k1, col = header.index(key_columns[0]), header.index(key_columns[1]), header.index(column)
    out = [lines[0]]
    for line in lines[1:]:
        fields = next(csv.reader([line]), None)
        key = (fields[k0], fields[k1]) if fields and len(fields) == len(header) else None
        if key in values and _number(values[key]) != fields[col] and float(fields[col]) != values[key]:
            fields[col] = _number(values[key])
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(fields)
            ending = line[len(line.rstrip("\r\n")):]
            out.append(buffer.getvalue() + ending)
        else:
            out.append(line)
    return "".join(out)


def seed_changes(p: Proposal, project: Path) -> dict[Path, tuple[str, str]]:
    """{seed path relative to the project: (current text, proposed text)} of the seeds the proposal changes."""
    out = {}
    if p.thresholds_changed:
        text = (project / THRESHOLDS_SEED).read_text()
        values = {(p.profile, t): s for t, s in p.thresholds_after}
        out[THRESHOLDS_SEED] = (text, _rewrite(text, ("profile", "tier"), "min_score", values))
    if p.weights_changed:
        text = (project / WEIGHTS_SEED).read_text()
        values = {(p.profile, c): w for c, w in p.weights_after.items()}
        out[WEIGHTS_SEED] = (text, _rewrite(text, ("profile", "criterion"), "weight", values))
    return {k: v for k, v in out.items() if v[0] != v[1]}


def unified_diff(changes: dict[Path, tuple[str, str]]) -> str:
    """A patch `git apply` takes at the project's root (a/ and b/ prefixes)."""
    parts = []
    for path, (old, new) in sorted(changes.items()):
        parts.append(f"diff --git a/{path} b/{path}\n")
        parts += difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(parts)


def write_seeds(changes: dict[Path, tuple[str, str]], project: Path, out: Path | None) -> list[Path]:
    """The proposed seed files: in `out` (by file name) or in place in the project."""
    written = []
    for path, (_, new) in changes.items():
        dest = (Path(out) / path.name) if out else project / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(new)
        written.append(dest)
    return written


# ------------------------------------------------------------------------------------------------ reading the work db
def read_wide(settings, profile: str, criteria: list[str]) -> pd.DataFrame:
    """The wide frame of one profile from the work database (pivoted in SQL: one row per period and entity).
    Outcomes come from int_history__score_outcomes of the regular build (schema intermediate), or of the last
    backtest (backtest_intermediate) when the regular one is missing."""
    from customer_scoring import runner

    prefix = "" if settings.target == "duckdb" else "build_"
    marts = f"{prefix}marts"
    outcome_schemas = [f"{prefix}intermediate", f"backtest_{prefix}intermediate"]
    pivots = ",\n".join(
        f"max(case when f.factor = '{c}' and f.factor_kind = 'criterion' then f.normalized_value end) as \"{c}\""
        for c in criteria)
    last_error = None
    for schema in outcome_schemas:
        sql = f"""
            with factors as (
                select
                    f.as_of_date, f.entity_id,
                    sum(case when f.factor_kind = 'rule' then f.points else 0 end) as rule_points
                    {',' if criteria else ''}{pivots}
                from "{marts}"."score_factor_history" as f
                where f.profile = '{profile.replace("'", "''")}'
                group by f.as_of_date, f.entity_id
            )
            select
                h.as_of_date, h.entity_id, h.score, h.tier, coalesce(factors.rule_points, 0) as rule_points,
                o.is_converted, o.is_window_complete
                {''.join(f', factors."{c}"' for c in criteria)}
            from {{rel}} as o
            inner join "{marts}"."score_history" as h
                on h.as_of_date = o.as_of_date and h.profile = o.profile and h.entity_id = o.entity_id
            left join factors
                on factors.as_of_date = h.as_of_date and factors.entity_id = h.entity_id
            where o.profile = '{profile.replace("'", "''")}'
            order by h.as_of_date, h.entity_id
        """
        try:
            rows = runner._read(settings, (schema, "int_history__score_outcomes"), sql)
        except Exception as exc:  # noqa: BLE001 - a missing relation: try the next schema
            last_error = exc
            continue
        columns = ["as_of_date", "entity_id", "score", "tier", "rule_points", "is_converted", "is_window_complete",
                   *criteria]
        wide = pd.DataFrame(rows, columns=columns)
        for c in ("score", "rule_points", *criteria):
            wide[c] = pd.to_numeric(wide[c], errors="coerce").astype(float)
        wide["is_window_complete"] = wide["is_window_complete"].fillna(False).astype(bool)
        if wide.empty:
            where = settings.work_db if settings.target == "duckdb" else marts
            raise CalibrationError(f"no history for profile {profile!r} in {where}: build or backtest first")
        return wide
    raise CalibrationError(f"cannot read the history and its outcomes from the work database ({last_error}); "
                           f"build with the history models, or run customer-scoring backtest first")


# ------------------------------------------------------------------------------------------------ output
def _fmt(value, spec: str, empty: str = "-") -> str:
    return empty if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def report(p: Proposal, diff: str) -> str:
    lines = [f"calibrate {p.profile}: fitting periods {', '.join(map(str, p.fit_periods))}; held out "
             f"{', '.join(map(str, p.holdout_periods))}"]
    if p.weights_fitted is not None:
        lines.append("weights (current -> fitted -> proposed, lambda = "
                     f"{_fmt(p.shrinkage, 'g')} towards the fit"
                     f"{'' if p.weights_kept else '; not proposed'}):")
        for c in p.weights_before:
            lines.append(f"  {c:<28} {p.weights_before[c]:>6.1f} -> {p.weights_fitted.get(c, 0):>6.1f} -> "
                         f"{p.weights_after.get(c, 0):>6.1f}")
        lines.append(f"  held-out top-tier lift (tiers by the same threshold rule): current weights "
                     f"{_fmt(p.lift_before, '.2f')}, proposed {_fmt(p.lift_weights, '.2f')}")
    target = {"sizes": "target size %", "rates": "target rate"}.get(p.target_kind or "", "")
    lines.append("")
    lines.append(f"held-out periods, per tier (before = the seeds now; after = the proposal):")
    header = (f"  {'tier':<6} {'min_score':>17} {'size %':>15} {'conversion rate':>17} {'lift':>13}"
              + (f" {target:>14}" if target else ""))
    lines.append(header)
    before_t = dict(p.thresholds_before)
    after_t = dict(p.thresholds_after)
    for b, a in zip(p.table_before, p.table_after):
        row = (f"  {b.tier:<6} {before_t[b.tier]:>7.2f} -> {after_t[a.tier]:>6.2f} "
               f"{b.share:>6.1f} -> {a.share:>5.1f} "
               f"{_fmt(b.rate, '>7.1%', '      -')} -> {_fmt(a.rate, '>6.1%', '     -')} "
               f"{_fmt(b.lift, '>5.2f', '    -')} -> {_fmt(a.lift, '>4.2f', '   -')}")
        if target:
            value = p.targets.get(b.tier)
            row += f" {('-' if value is None else (f'{value:g}' if p.target_kind == 'sizes' else f'{value:.0%}')):>14}"
        lines.append(row)
    if p.notes:
        lines += ["", *[f"note: {n}" for n in p.notes]]
    lines.append("")
    lines.append(diff if diff else "no seed change proposed")
    return "\n".join(lines)
