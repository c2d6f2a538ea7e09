"""Horizon-free "buy till you die" baselines: BG/NBD for purchases and Gamma-Gamma for spend, in closed form.

Inputs are numpy arrays with one row per customer, times in DAYS:

- ``x``: number of repeat purchase DAYS (purchase days after the first purchase day), a whole number >= 0;
- ``t_x``: days from the first to the last purchase day (0 when ``x`` is 0, > 0 when ``x`` > 0);
- ``T``: days from the first purchase day to the cut-off date (>= ``t_x``);
- ``mean_spend``: mean net value of the repeat purchase days (read only where ``x`` > 0, may be NaN elsewhere).

A horizon is a number of days after the cut-off. Parameters are in the same unit (``alpha`` in days).

Models and formulas. They are written here with scipy rather than taken from a library: lifetimes (last release 2020,
in maintenance mode, on the unmaintained autograd) agrees with these formulas to 1e-12 where it has them, but has no
conditional P(no purchase) for the BG/NBD and fits a million customers in about 90 s; btyd 0.1b3 needs Python < 3.10
and its 0.1a1 does not import on 3.11; pymc-marketing 1.x needs Python >= 3.12, and its 0.19 brings PyMC, PyTensor
and numba (790 MB) for a MAP fit that takes minutes and, with its default priors, is not the MLE.

- BG/NBD likelihood, P(alive) and E[Y(t) | x, t_x, T]: Fader, Hardie & Lee (2005), "Counting your customers the easy
  way: an alternative to the Pareto/NBD model", Marketing Science 24(2), equations 6 and 10; P(alive) as in Fader,
  Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model". E[Y(t) | ...] is evaluated after Euler's
  transformation of its Gauss hypergeometric function, which keeps every argument small for large x (see
  ``expected_purchases``).
- P(no purchase in the horizon | history): the y = 0 case of the conditional distribution in Fader, Hardie & Lee
  (2007), "Computing P(X(t) = x) for the BG/NBD": 1 - P(alive) + P(alive) ((alpha+T)/(alpha+T+t))^(r+x).
- Gamma-Gamma likelihood and the conditional expected spend: Fader & Hardie (2013), "The Gamma-Gamma model of
  monetary value", equations 4 and 5 (E[M | p, q, gamma, mean, x] = (gamma + x mean) p / (p x + q - 1)).
- Revenue over a horizon = expected purchases in the horizon x conditional expected spend; with an annual discount
  rate, each expected purchase is discounted at the time it is expected (the purchase rate integrated by
  Gauss-Legendre quadrature).

Fitting maximises the log-likelihood in log-parameters with L-BFGS-B and analytic gradients from a fixed starting
point (no randomness), on the distinct rows of the data with their counts as weights, so a million customers fit in
seconds. Invalid input raises ``ValueError`` naming the column.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

__all__ = [
    "BGNBDParams",
    "BGNBDFit",
    "GammaGammaParams",
    "GammaGammaFit",
    "fit_bgnbd",
    "bgnbd_log_likelihood",
    "p_alive",
    "expected_purchases",
    "discounted_expected_purchases",
    "p_purchase",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "conditional_expected_spend",
    "expected_revenue",
]

DAYS_PER_YEAR = 365.25


# --------------------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: purchase rate lambda ~ Gamma(shape r, rate alpha) per day, dropout probability after each
    repeat purchase p ~ Beta(a, b). ``alpha`` is in days."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class BGNBDFit:
    """Result of ``fit_bgnbd``: the parameters, the total log-likelihood (of the data in days), whether the
    optimiser converged and its message, iterations, the customer count (sum of weights) and the standard errors of
    the parameters from the observed information (NaN where it is singular)."""

    params: BGNBDParams
    log_likelihood: float
    converged: bool
    message: str
    iterations: int
    n_customers: float
    std_errors: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: the value of a purchase day ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate
    gamma). The population mean spend p gamma / (q - 1) exists only when q > 1."""

    p: float
    q: float
    gamma: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "gamma"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be a finite number > 0, got {value!r}")

    @property
    def population_mean_spend(self) -> float:
        if self.q <= 1:
            raise ValueError(f"Gamma-Gamma q = {self.q} <= 1: the mean spend is infinite, no expected spend exists")
        return self.p * self.gamma / (self.q - 1)


@dataclass(frozen=True)
class GammaGammaFit:
    """Result of ``fit_gamma_gamma``. ``spend_frequency_correlation`` is the (weighted) Pearson correlation of x and
    mean spend among the fitted customers: the model assumes none, so a large value (|rho| > 0.3 say) is a warning."""

    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    message: str
    iterations: int
    n_customers: float
    std_errors: dict[str, float] = field(default_factory=dict)
    spend_frequency_correlation: float = float("nan")


# --------------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------------
def _column(name: str, values, n: int | None = None, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array (one row per customer), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: {arr.shape[0]} rows, expected {n} (the length of x)")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: {int(bad.sum())} rows are not finite numbers (first at row {i}: {arr[i]})")
    return arr


def _fail(name: str, mask: np.ndarray, what: str, *cols: tuple[str, np.ndarray]) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        shown = ", ".join(f"{c}={v[i]:g}" for c, v in cols)
        raise ValueError(f"{name}: {int(mask.sum())} rows {what} (first at row {i}: {shown})")


def _validate_history(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _column("x", x)
    n = x.shape[0]
    t_x = _column("t_x", t_x, n)
    T = _column("T", T, n)
    _fail("x", x < 0, "are negative", ("x", x))
    _fail("x", x != np.floor(x), "are not whole numbers (x counts repeat purchase days)", ("x", x))
    _fail("t_x", t_x < 0, "are negative", ("t_x", t_x))
    _fail("T", T < 0, "are negative", ("T", T))
    _fail("t_x", t_x > T, "have t_x > T (last purchase after the cut-off)", ("t_x", t_x), ("T", T))
    _fail("t_x", (x > 0) & (t_x == 0), "have x > 0 with t_x = 0 (a repeat purchase day must come after the first)",
          ("x", x), ("t_x", t_x))
    _fail("t_x", (x == 0) & (t_x != 0), "have x = 0 with t_x != 0 (no repeat purchase, so no recency)",
          ("x", x), ("t_x", t_x))
    return x, t_x, T


def _validate_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _column("weights", weights, n)
    _fail("weights", w < 0, "are negative", ("weights", w))
    if w.sum() <= 0:
        raise ValueError("weights: they sum to 0, nothing to fit")
    return w


def _horizon(horizon_days) -> np.ndarray:
    h = np.asarray(horizon_days, dtype=float)
    if not np.all(np.isfinite(h)) or np.any(h < 0):
        raise ValueError(f"horizon_days must be finite and >= 0, got {horizon_days!r}")
    return h


def _bgnbd(params) -> BGNBDParams:
    if isinstance(params, BGNBDFit):
        return params.params
    if isinstance(params, BGNBDParams):
        return params
    raise TypeError(f"expected BGNBDParams or BGNBDFit, got {type(params).__name__}")


def _gg(params) -> GammaGammaParams:
    if isinstance(params, GammaGammaFit):
        return params.params
    if isinstance(params, GammaGammaParams):
        return params
    raise TypeError(f"expected GammaGammaParams or GammaGammaFit, got {type(params).__name__}")


def _sort_key(cols: tuple[np.ndarray, ...]) -> np.ndarray:
    """A permutation that sorts the rows of the columns: one argsort of a combined int64 key when every column holds
    whole numbers in a range small enough (days and counts do), else a lexsort."""
    if all(np.array_equal(c, np.floor(c)) for c in cols):
        spans = [int(c.max() - c.min()) + 1 if c.size else 1 for c in cols]
        if float(np.prod(np.array(spans, dtype=float))) < 2.0**62:
            key = np.zeros(cols[0].shape[0], dtype=np.int64)
            for c, span in zip(cols, spans):
                key = key * span + (c - c.min()).astype(np.int64)
            return np.argsort(key, kind="stable")
    return np.lexsort(cols[::-1])


def _distinct_rows(weights: np.ndarray, *cols: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns and the summed weight of each (exact: the log-likelihood is a weighted sum
    over rows). Rows with weight 0 are dropped."""
    keep = weights > 0
    cols = tuple(c[keep] for c in cols)
    weights = weights[keep]
    order = _sort_key(cols)
    sorted_cols = [c[order] for c in cols]
    new = np.ones(order.shape[0], dtype=bool)
    if order.shape[0] > 1:
        new[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in sorted_cols])
    group = np.cumsum(new) - 1
    summed = np.bincount(group, weights=weights[order])
    return [c[new] for c in sorted_cols], summed


GRADIENT_TOLERANCE = 1e-6


def _convergence(res, phi: np.ndarray, grad: np.ndarray) -> tuple[bool, str]:
    """Converged = a stationary point inside the bounds: every component of the gradient of the mean negative
    log-likelihood in log-parameters within GRADIENT_TOLERANCE. L-BFGS-B's own flag is not used alone: at an optimum
    it can stop with "ABNORMAL" (no further decrease at machine precision) although the gradient is zero."""
    at_bound = bool(np.any(np.abs(phi) >= 20.0 - 1e-9))
    gmax = float(np.max(np.abs(grad)))
    converged = gmax <= GRADIENT_TOLERANCE and not at_bound
    message = f"{res.message}; max |gradient| {gmax:.1e}"
    if at_bound:
        message += "; a parameter reached its bound (exp(+-20))"
    return converged, message


def _on_distinct(fn, *cols: np.ndarray) -> np.ndarray:
    """fn(*cols) evaluated once per distinct row of the columns and spread back (hypergeometric functions of
    (x, T, horizon) are the costly part of a prediction; customers share these far more often than histories)."""
    n = cols[0].shape[0]
    if n < 2:
        return fn(*cols)
    order = _sort_key(cols)
    sorted_cols = [c[order] for c in cols]
    new = np.ones(n, dtype=bool)
    new[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in sorted_cols])
    values = fn(*[c[new] for c in sorted_cols])
    out = np.empty(n)
    out[order] = values[np.cumsum(new) - 1]
    return out


def _std_errors(grad, phi: np.ndarray, total_weight: float, names: tuple[str, ...]) -> dict[str, float]:
    """Standard errors from the observed information: central differences of the analytic gradient of the mean
    negative log-likelihood in log-parameters, then the delta method (se(theta) = theta se(log theta))."""
    k = phi.shape[0]
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(phi[j]))
        up, down = phi.copy(), phi.copy()
        up[j] += step
        down[j] -= step
        hess[:, j] = (grad(up) - grad(down)) / (2 * step)
    hess = (hess + hess.T) / 2 * total_weight
    try:
        cov = np.linalg.inv(hess)
        se_log = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se_log = np.full(k, np.nan)
    theta = np.exp(phi)
    return {name: float(theta[i] * se_log[i]) for i, name in enumerate(names)}


# --------------------------------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------------------------------
def _bgnbd_terms(r, alpha, a, b, x, t_x, T):
    """Per-row pieces of the BG/NBD log-likelihood (FHL 2005, eq. 6): ln L = A1 + A2 + ln(e^A3 + [x>0] e^A4)."""
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a3 = -(r + x) * log_at
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_atx, -np.inf)
    return a1, a2, a3, a4, log_at, log_atx, bx1, repeat


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (times in days), FHL 2005 eq. 6. Shape (n,)."""
    p = _bgnbd(params)
    x, t_x, T = _validate_history(x, t_x, T)
    a1, a2, a3, a4, *_ = _bgnbd_terms(p.r, p.alpha, p.a, p.b, x, t_x, T)
    return a1 + a2 + np.logaddexp(a3, a4)


# Rows per block in the log-likelihood loops: 4096 float64 = 32 KiB temporaries stay in cache and below malloc's
# mmap threshold (128 KiB), which makes an evaluation several times faster than whole-array temporaries.
_BLOCK = 1 << 12


class _BGNBDData:
    """Distinct rows of (x, t_x, T) with their weights, split by x = 0 / x > 0, and the weight of each distinct x:
    the gamma-function terms of the log-likelihood depend on x alone, so they are summed per distinct x."""

    def __init__(self, x, t_x, T, w):
        (x, t_x, T), w = _distinct_rows(w, x, t_x, T)
        self.total = float(w.sum())
        self.sum_x = float(np.dot(w, x))
        self.x_values, x_index = np.unique(x, return_inverse=True)
        self.x_weight = np.bincount(x_index, weights=w)
        zero = x == 0
        self.T0, self.w0 = T[zero], w[zero]
        rep = ~zero
        self.x1, self.tx1, self.T1, self.w1 = x[rep], t_x[rep], T[rep], w[rep]
        self.max_T = float(T.max())

    def scaled(self, scale: float) -> "_BGNBDData":
        out = object.__new__(_BGNBDData)
        out.__dict__.update(self.__dict__)
        out.T0, out.tx1, out.T1 = self.T0 / scale, self.tx1 / scale, self.T1 / scale
        return out


def _bgnbd_objective(phi, d: _BGNBDData):
    """Mean negative log-likelihood (FHL 2005 eq. 6) and its analytic gradient in phi = log(r, alpha, a, b).
    ln L = A1 + A2 + ln(e^A3 + [x>0] e^A4) with A1, A2 functions of x alone, A3 = -(r+x) ln(alpha+T),
    A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)."""
    r, alpha, a, b = np.exp(phi)
    u, W = d.x_values, d.x_weight
    ll = np.dot(W, special.gammaln(r + u) + special.gammaln(b + u) - special.gammaln(a + b + u))
    ll += d.total * (r * np.log(alpha) - special.gammaln(r) + special.gammaln(a + b) - special.gammaln(b))
    g_r = np.dot(W, special.digamma(r + u)) + d.total * (np.log(alpha) - special.digamma(r))
    g_alpha = d.total * r / alpha
    g_a = d.total * special.digamma(a + b) - np.dot(W, special.digamma(a + b + u))
    g_b = g_a + np.dot(W, special.digamma(b + u)) - d.total * special.digamma(b)
    # x = 0: only A3.
    log_at0 = np.log(alpha + d.T0)
    ll -= r * np.dot(d.w0, log_at0)
    g_r -= np.dot(d.w0, log_at0)
    g_alpha -= r * np.dot(d.w0, 1.0 / (alpha + d.T0))
    # x > 0: the two branches (alive at T, or dropped out just after the last purchase), in blocks that keep the
    # temporaries in cache.
    log_a = np.log(a)
    for lo in range(0, d.x1.shape[0], _BLOCK):
        x, w = d.x1[lo:lo + _BLOCK], d.w1[lo:lo + _BLOCK]
        at, atx = alpha + d.T1[lo:lo + _BLOCK], alpha + d.tx1[lo:lo + _BLOCK]
        rx = r + x
        log_at = np.log(at)
        log_atx = np.log(atx)
        bx1 = b + x - 1
        a3 = -rx * log_at
        diff = log_a - np.log(bx1) - rx * log_atx - a3  # A4 - A3
        share4 = special.expit(diff)  # posterior weight of "dropped out after the last purchase"
        share3 = 1.0 - share4
        ws4 = w * share4
        ll += np.dot(w, a3 + np.maximum(diff, 0.0) + np.log1p(np.exp(-np.abs(diff))))  # ln(e^A3 + e^A4)
        g_r -= np.dot(w, share3 * log_at) + np.dot(ws4, log_atx)
        g_alpha -= np.dot(w * rx, share3 / at + share4 / atx)
        g_a += ws4.sum() / a
        g_b -= np.dot(ws4, 1.0 / bx1)
    grad = -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b]) / d.total
    return -ll / d.total, grad


def fit_bgnbd(x, t_x, T, weights=None) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit (FHL 2005).

    x, t_x, T: arrays of shape (n,), see the module docstring (days). weights: optional (n,) non-negative counts
    (a row standing for several identical customers). Deterministic: times are rescaled so that the largest T is 10
    and the optimiser starts at r = alpha = a = b = 1 in that unit. Raises ValueError naming the bad column.
    Returns a BGNBDFit; check ``converged``.
    """
    x, t_x, T = _validate_history(x, t_x, T)
    if x.shape[0] == 0:
        raise ValueError("x: no rows to fit")
    w = _validate_weights(weights, x.shape[0])
    if not np.any((x > 0) & (w > 0)):
        raise ValueError("x: no customer with a repeat purchase (x > 0); the BG/NBD cannot be fitted")
    data = _BGNBDData(x, t_x, T, w)
    total = data.total
    scale = data.max_T / 10.0 if data.max_T > 0 else 1.0
    scaled = data.scaled(scale)
    fun = lambda phi: _bgnbd_objective(phi, scaled)  # noqa: E731
    phi0 = np.zeros(4)
    res = optimize.minimize(fun, phi0, jac=True, method="L-BFGS-B", bounds=[(-20.0, 20.0)] * 4,
                            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})
    phi = res.x.copy()
    r, alpha_s, a, b = np.exp(phi)
    params = BGNBDParams(float(r), float(alpha_s * scale), float(a), float(b))
    # Log-likelihood in days: a density in time carries 1/scale per repeat purchase (lambda^x).
    ll = -float(res.fun) * total - data.sum_x * np.log(scale)
    se = _std_errors(lambda v: fun(v)[1], phi, total, ("r", "alpha", "a", "b"))
    se["alpha"] *= scale
    converged, message = _convergence(res, phi, fun(phi)[1])
    return BGNBDFit(params, ll, converged, message, int(res.nit), total, se)


def p_alive(params, x, t_x, T) -> np.ndarray:
    """P(customer still active at the cut-off | x, t_x, T), FHL 2008 note: 1 / (1 + [x>0] a/(b+x-1)
    ((alpha+T)/(alpha+t_x))^(r+x)), computed as a logistic of a log-odds (no overflow for large x or T).
    Customers without a repeat purchase are alive with probability 1 under the BG/NBD (dropout happens only just
    after a repeat purchase). Shape (n,), values in (0, 1]."""
    p = _bgnbd(params)
    x, t_x, T = _validate_history(x, t_x, T)
    return _p_alive(p, x, t_x, T)


def _p_alive(p: BGNBDParams, x, t_x, T) -> np.ndarray:
    repeat = x > 0
    bx1 = np.where(repeat, p.b + x - 1, 1.0)
    log_odds_dead = np.log(p.a) - np.log(bx1) + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x))
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def _expected_alive_hyp2f1(p: BGNBDParams, t, x, T) -> np.ndarray:
    """E[Y(t) | alive at T, x] = E over p ~ Beta(a, b+x), lambda ~ Gamma(r+x, alpha+T) of (1 - e^(-lambda p t))/p.

    FHL 2005 eq. 10 writes it as (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t/(alpha+T+t). For large x the hypergeometric series there diverges like (1-z)^(a-1-r-x) while its factor
    vanishes. Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the product into
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): small numerator parameters, a growing denominator, a value near 1.
    """
    c = p.a + p.b + x - 1
    z = t / (p.alpha + T + t)
    with np.errstate(all="ignore"):  # a non-finite value is caught by the caller's guard
        f = special.hyp2f1(p.a + p.b - 1 - p.r, p.a - 1, c, z)
        return c / (p.a - 1) * (1.0 - np.exp((p.a - 1) * np.log1p(-z)) * f)


def _expected_alive_integral(p: BGNBDParams, t: float, x: float, T: float) -> float:
    """The same expectation for one customer by adaptive quadrature over p ~ Beta(a, b+x) of
    (1 - (1 + p u)^-(r+x)) / p, u = t/(alpha+T) (the expectation over lambda is exact); a negative exponent of the
    Beta density (an endpoint singularity) is integrated by quad's algebraic weight on its half of [0, 1]. Slow: the
    fallback where the closed form is undefined, not finite or out of its bounds."""
    from scipy import integrate

    u, k, a1, b1 = t / (p.alpha + T), p.r + x, p.a - 1, p.b + x - 1
    lb = special.betaln(p.a, p.b + x)
    wl, wr = min(a1, 0.0), min(b1, 0.0)

    def g(q: float) -> float:
        return float(-np.expm1(-k * np.log1p(q * u)) / q) if q > 0 else k * u

    def density(q: float, ea: float, eb: float) -> float:
        if (q <= 0 and ea > 0) or (q >= 1 and eb > 0):
            return 0.0
        la = ea * np.log(q) if ea != 0 else 0.0
        lbq = eb * np.log1p(-q) if eb != 0 else 0.0
        return float(np.exp(la + lbq - lb))

    opts = dict(epsabs=0.0, epsrel=1e-10, limit=200)
    left = integrate.quad(lambda q: g(q) * density(q, a1 - wl, b1), 0.0, 0.5, weight="alg", wvar=(wl, 0.0), **opts)
    right = integrate.quad(lambda q: g(q) * density(q, a1, b1 - wr), 0.5, 1.0, weight="alg", wvar=(0.0, wr), **opts)
    return left[0] + right[0]


def _expected_alive(p: BGNBDParams, t, x, T) -> np.ndarray:
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    out = np.zeros(x.shape)
    pos = t > 0
    if not pos.any():
        return out
    out[pos] = _on_distinct(lambda xs, ts, Ts: _expected_alive_distinct(p, ts, xs, Ts), x[pos], t[pos], T[pos])
    return out


_A_NEAR_ONE = 1e-4


def _expected_alive_distinct(p: BGNBDParams, ts, xs, Ts) -> np.ndarray:
    # The closed form divides by a - 1: within _A_NEAR_ONE of 1 it is interpolated between a = 1 -+ _A_NEAR_ONE
    # (E is smooth in a). scipy's hyp2f1 is accurate here also for a negative c (x = 0 with a + b < 1). Against
    # mpmath on a grid of 19,152 cases (r 0.05-3, a 0.1-8, b 0.2-50, alpha 0.5-500 days, x 0-5000, T 0-3000,
    # t 1-3650) the worst relative error was 3.6e-6, at a = 0.99995 on a value of 1.6e-5 purchases. A non-finite
    # value, c a non-positive integer or a value outside [0, (r+x) t/(alpha+T)] (E[lambda] t given alive bounds it)
    # falls back to adaptive quadrature.
    if abs(p.a - 1) >= _A_NEAR_ONE:
        val = _expected_alive_hyp2f1(p, ts, xs, Ts)
    else:
        lo = _expected_alive_hyp2f1(BGNBDParams(p.r, p.alpha, 1 - _A_NEAR_ONE, p.b), ts, xs, Ts)
        hi = _expected_alive_hyp2f1(BGNBDParams(p.r, p.alpha, 1 + _A_NEAR_ONE, p.b), ts, xs, Ts)
        val = lo + (hi - lo) * (p.a - (1 - _A_NEAR_ONE)) / (2 * _A_NEAR_ONE)
    c = p.a + p.b + xs - 1
    bad = ~np.isfinite(val) | ((c <= 0) & (np.abs(c - np.round(c)) < 1e-9))
    bad |= (val < -1e-12) | (val > (p.r + xs) * ts / (p.alpha + Ts) * (1 + 1e-9) + 1e-12)
    for i in np.flatnonzero(bad):
        val[i] = _expected_alive_integral(p, float(ts[i]), float(xs[i]), float(Ts[i]))
    return np.maximum(val, 0.0)


def expected_purchases(params, horizon_days, x, t_x, T) -> np.ndarray:
    """E[number of repeat purchase days in (T, T + horizon] | x, t_x, T] (FHL 2005 eq. 10) = P(alive) x E[Y | alive].

    horizon_days: a scalar or an (n,) array of days >= 0. A new customer (x = t_x = T = 0) gets the population
    E[X(t)] (FHL 2005 eq. 9). Shape (n,), values >= 0.
    """
    p = _bgnbd(params)
    x, t_x, T = _validate_history(x, t_x, T)
    t = _horizon(horizon_days)
    return _p_alive(p, x, t_x, T) * _expected_alive(p, t, x, T)


def _purchase_rate_alive(p: BGNBDParams, s, x, T) -> np.ndarray:
    """d/ds E[Y(s) | alive at T, x] = E[lambda e^(-lambda p s)] = (r+x)/(alpha+T) E_p[(1 + p v)^-(r+x+1)],
    v = s/(alpha+T); the Beta expectation is 2F1(r+x+1, a; a+b+x; -v), written after Pfaff's transformation as
    (1+v)^-a 2F1(a, a+b-r-1; a+b+x; v/(1+v)) (argument in [0, 1), small numerator parameters)."""
    v = s / (p.alpha + T)
    f = special.hyp2f1(p.a, p.a + p.b - p.r - 1, p.a + p.b + x, v / (1 + v))
    return (p.r + x) / (p.alpha + T) * np.exp(-p.a * np.log1p(v)) * f


def discounted_expected_purchases(params, horizon_days, x, t_x, T, annual_discount_rate: float,
                                  nodes: int = 24) -> np.ndarray:
    """Expected repeat purchase days in (T, T + horizon], each discounted to the cut-off at
    (1 + annual_discount_rate) ** -(days / 365.25): the integral of the purchase rate times the discount factor,
    by Gauss-Legendre quadrature with ``nodes`` points (the rate is smooth and decreasing). With a rate of 0 it
    equals ``expected_purchases``. horizon_days: a scalar (days)."""
    p = _bgnbd(params)
    x, t_x, T = _validate_history(x, t_x, T)
    h = _horizon(horizon_days)
    if h.ndim != 0:
        raise ValueError("horizon_days: discounting takes one horizon for every customer (a scalar)")
    if not (np.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise ValueError(f"annual_discount_rate must be finite and > -1, got {annual_discount_rate!r}")
    h = float(h)
    if h == 0:
        return np.zeros(x.shape)
    y, wq = np.polynomial.legendre.leggauss(nodes)
    s = h / 2 * (y + 1)
    delta = np.log1p(annual_discount_rate) / DAYS_PER_YEAR
    rate = lambda xs, Ts: sum(  # noqa: E731
        wk * h / 2 * np.exp(-delta * sk) * _purchase_rate_alive(p, sk, xs, Ts) for sk, wk in zip(s, wq))
    total = _on_distinct(rate, x, T)
    return _p_alive(p, x, t_x, T) * total


def p_purchase(params, horizon_days, x, t_x, T) -> np.ndarray:
    """P(at least one purchase day in (T, T + horizon] | x, t_x, T) = 1 - P(X = 0 | history)
    = P(alive) (1 - ((alpha+T)/(alpha+T+t))^(r+x)) (FHL 2007 note, y = 0: an active customer buys in the horizon
    unless the Poisson process is silent, e^(-lambda t), averaged over lambda ~ Gamma(r+x, alpha+T)).
    Computed with expm1/log1p. Shape (n,), values in [0, 1)."""
    p = _bgnbd(params)
    x, t_x, T = _validate_history(x, t_x, T)
    t = _horizon(horizon_days)
    silent_alive = np.exp(-(p.r + x) * np.log1p(t / (p.alpha + T)))
    return _p_alive(p, x, t_x, T) * (1.0 - silent_alive)


# --------------------------------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------------------------------
def _validate_spend(x, mean_spend) -> tuple[np.ndarray, np.ndarray]:
    x = _column("x", x)
    m = _column("mean_spend", mean_spend, x.shape[0], allow_nan=True)
    _fail("x", x < 0, "are negative", ("x", x))
    _fail("x", x != np.floor(x), "are not whole numbers (x counts repeat purchase days)", ("x", x))
    repeat = x > 0
    _fail("mean_spend", repeat & np.isnan(m), "are missing where x > 0", ("x", x), ("mean_spend", m))
    _fail("mean_spend", repeat & (m <= 0), "are <= 0 where x > 0 (the Gamma-Gamma needs a positive mean value; "
          "leave such customers out of the fit and value them otherwise)", ("x", x), ("mean_spend", m))
    return x, m


def _gg_row_ll(p, q, g, x, m) -> np.ndarray:
    """Fader & Hardie 2013 eq. 4: ln f(mean | p, q, gamma, x) for rows with x > 0."""
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
            + px * np.log(x) + (px - 1) * np.log(m) - (px + q) * np.log(g + x * m))


class _GGData:
    """(x, mean) rows with weights; the terms in x alone are summed per distinct x, those in the mean alone once."""

    def __init__(self, x, m, w):
        self.x, self.m, self.w = x, m, w  # mean spends are continuous: rows are not merged
        self.total = float(w.sum())
        self.x_values, x_index = np.unique(x, return_inverse=True)
        self.x_weight = np.bincount(x_index, weights=w)
        self.mean_m = float(np.dot(w, m) / self.total)

    def scaled(self, scale: float) -> "_GGData":
        out = object.__new__(_GGData)
        out.__dict__.update(self.__dict__)
        out.m = self.m / scale
        log_m = np.log(out.m)
        out.sum_w_log_m = float(np.dot(self.w, log_m))
        out.sum_wx_log_m = float(np.dot(self.w * self.x, log_m))
        return out


def _gg_objective(phi, d: _GGData):
    """Mean negative log-likelihood (Fader & Hardie 2013 eq. 4) and its analytic gradient in log(p, q, gamma)."""
    p, q, g = np.exp(phi)
    u, W = d.x_values, d.x_weight
    pu = p * u
    dig_puq = special.digamma(pu + q)
    ll = (np.dot(W, special.gammaln(pu + q) - special.gammaln(pu) + pu * np.log(u))
          + d.total * (q * np.log(g) - special.gammaln(q)) + p * d.sum_wx_log_m - d.sum_w_log_m)
    g_p = np.dot(W * u, dig_puq - special.digamma(pu) + np.log(u)) + d.sum_wx_log_m
    g_q = np.dot(W, dig_puq) + d.total * (np.log(g) - special.digamma(q))
    g_g = d.total * q / g
    for lo in range(0, d.x.shape[0], _BLOCK):
        x, m, w = d.x[lo:lo + _BLOCK], d.m[lo:lo + _BLOCK], d.w[lo:lo + _BLOCK]
        gxm = g + x * m
        log_gxm = np.log(gxm)
        wk = w * (p * x + q)
        ll -= np.dot(wk, log_gxm)
        g_p -= np.dot(w * x, log_gxm)
        g_q -= np.dot(w, log_gxm)
        g_g -= np.dot(wk, 1.0 / gxm)
    return -ll / d.total, -np.array([g_p * p, g_q * q, g_g * g]) / d.total


def gamma_gamma_log_likelihood(params, x, mean_spend) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend (Fader & Hardie 2013 eq. 4), rows with x > 0 only
    (others NaN)."""
    gp = _gg(params)
    x, m = _validate_spend(x, mean_spend)
    out = np.full(x.shape, np.nan)
    rep = x > 0
    out[rep] = _gg_row_ll(gp.p, gp.q, gp.gamma, x[rep], m[rep])
    return out


def fit_gamma_gamma(x, mean_spend, weights=None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit (Fader & Hardie 2013) on the customers with x > 0 (the others are left
    out; their mean_spend is not read and may be NaN). mean_spend must be > 0 where x > 0. Deterministic: spend is
    rescaled by its weighted mean and the optimiser starts at p = q = gamma = 1 in that unit."""
    x, m = _validate_spend(x, mean_spend)
    w = _validate_weights(weights, x.shape[0])
    rep = (x > 0) & (w > 0)
    if not rep.any():
        raise ValueError("x: no customer with a repeat purchase (x > 0); the Gamma-Gamma cannot be fitted")
    data = _GGData(x[rep], m[rep], w[rep])
    total = data.total
    scale = data.mean_m
    scaled = data.scaled(scale)
    fun = lambda phi: _gg_objective(phi, scaled)  # noqa: E731
    res = optimize.minimize(fun, np.zeros(3), jac=True, method="L-BFGS-B", bounds=[(-20.0, 20.0)] * 3,
                            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})
    phi = res.x.copy()
    p, q, g = np.exp(phi)
    params = GammaGammaParams(float(p), float(q), float(g * scale))
    # Density of the mean in money units: one 1/scale per customer.
    ll = -float(res.fun) * total - total * np.log(scale)
    se = _std_errors(lambda v: fun(v)[1], phi, total, ("p", "q", "gamma"))
    se["gamma"] *= scale
    xu, mu, wu = data.x, data.m, data.w
    xm, mm = np.dot(wu, xu) / total, np.dot(wu, mu) / total
    cov = np.dot(wu, (xu - xm) * (mu - mm))
    sd = np.sqrt(np.dot(wu, (xu - xm) ** 2) * np.dot(wu, (mu - mm) ** 2))
    rho = float(cov / sd) if sd > 0 else float("nan")
    converged, message = _convergence(res, phi, fun(phi)[1])
    return GammaGammaFit(params, ll, converged, message, int(res.nit), total, se, rho)


def conditional_expected_spend(params, x, mean_spend) -> np.ndarray:
    """E[value of a future purchase day | x, mean_spend] = (gamma + x mean) p / (p x + q - 1) (Fader & Hardie 2013
    eq. 5): a weighted average of the population mean p gamma / (q - 1) and the customer's own mean. Customers with
    x = 0 get the population mean (their mean_spend is not read). Raises ValueError when q <= 1 (no mean)."""
    gp = _gg(params)
    x, m = _validate_spend(x, mean_spend)
    pop = gp.population_mean_spend
    rep = x > 0
    out = np.full(x.shape, pop)
    out[rep] = (gp.gamma + x[rep] * m[rep]) * gp.p / (gp.p * x[rep] + gp.q - 1)
    return out


def expected_revenue(bgnbd, gamma_gamma, horizon_days, x, t_x, T, mean_spend,
                     annual_discount_rate: float | None = None) -> np.ndarray:
    """Expected value of the purchase days in (T, T + horizon] = expected purchases x conditional expected spend
    (the Gamma-Gamma assumes spend independent of the purchase process). No discounting unless
    ``annual_discount_rate`` is given (then ``discounted_expected_purchases``). Shape (n,), in spend units."""
    if annual_discount_rate is None:
        purchases = expected_purchases(bgnbd, horizon_days, x, t_x, T)
    else:
        purchases = discounted_expected_purchases(bgnbd, horizon_days, x, t_x, T, annual_discount_rate)
    return purchases * conditional_expected_spend(gamma_gamma, x, mean_spend)
