"""BG/NBD and Gamma-Gamma baselines (customer_scoring.btyd): published worked examples, independent numerical
integrals, parameter recovery and Monte Carlo simulations of the same processes, invalid input. Pure Python."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, special

from customer_scoring import btyd

# Fader, Hardie & Lee (2005), CDNOW cohort, time in weeks.
CDNOW = btyd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
# Fader & Hardie (2013), Gamma-Gamma on the same data.
CDNOW_GG = btyd.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)

# Simulation truth in days: a customer buys about every 1 / E[lambda] = alpha / r = 67 days while active.
TRUTH = btyd.BGNBDParams(r=0.6, alpha=40.0, a=0.9, b=4.0)
TRUTH_GG = btyd.GammaGammaParams(p=5.0, q=4.0, gamma=30.0)


def simulate(params: btyd.BGNBDParams, n: int, seed: int, horizon: float, T_range=(30.0, 900.0)):
    """The BG/NBD process exactly (continuous time): lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); purchases are a
    Poisson process; after each repeat purchase the customer drops out with probability p, so the number of repeat
    purchases before dropping out is J ~ Geometric(p). With N Poisson events in (0, T], x = min(N, J), the last
    purchase is the x-th of N uniform event times (a Beta(x, N-x+1) fraction of T), the customer is alive at T when
    N < J, and an alive customer makes min(Poisson(lambda t), J - x) purchases in (T, T + t] (memoryless)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    T = rng.uniform(*T_range, n)
    J = rng.geometric(p)
    N = rng.poisson(lam * T)
    x = np.minimum(N, J)
    t_x = np.zeros(n)
    rep = x > 0
    t_x[rep] = T[rep] * rng.beta(x[rep], N[rep] - x[rep] + 1)
    alive = N < J
    holdout = np.where(alive, np.minimum(rng.poisson(lam * horizon), J - x), 0)
    return x.astype(float), t_x, T, alive, holdout


def simulate_spend(params: btyd.GammaGammaParams, x: np.ndarray, seed: int) -> np.ndarray:
    """Gamma-Gamma: nu ~ Gamma(q, rate gamma) per customer, each purchase ~ Gamma(p, rate nu); the mean of x of them
    is Gamma(p x, rate x nu). NaN where x = 0."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(params.q, 1.0 / params.gamma, x.shape[0])
    mean = np.full(x.shape[0], np.nan)
    rep = x > 0
    mean[rep] = rng.gamma(params.p * x[rep], 1.0 / (x[rep] * nu[rep]))
    return mean


@pytest.fixture(scope="module")
def simulated():
    # One calibration sample (20,000 customers) for the fits, one large (200,000) for the Monte Carlo checks.
    fit_sample = simulate(TRUTH, 20_000, seed=12, horizon=180.0)
    mc_sample = simulate(TRUTH, 200_000, seed=34, horizon=180.0)
    return fit_sample, mc_sample


# --------------------------------------------------------------------------------------------------------------------
# Independent computations (numerical integrals over the posterior, not the closed forms)
# --------------------------------------------------------------------------------------------------------------------
def _quad(f, lo, hi, **kw) -> float:
    return integrate.quad(f, lo, hi, epsabs=0.0, epsrel=1e-10, limit=200, **kw)[0]


def gamma_pdf(lam, shape, rate):
    return np.exp(shape * np.log(rate) + (shape - 1) * np.log(lam) - rate * lam - special.gammaln(shape))


def beta_pdf(q, a, b):
    return np.exp((a - 1) * np.log(q) + (b - 1) * np.log1p(-q) - special.betaln(a, b)) if 0 < q < 1 else 0.0


def alive_by_integration(p: btyd.BGNBDParams, x: float, t_x: float, T: float) -> float:
    """P(alive) = L(alive branch) / L, each branch's expectation over lambda ~ Gamma and p ~ Beta by quadrature."""
    if x == 0:
        return 1.0
    def e_lam(tt: float) -> float:
        return _quad(lambda lam: lam**x * np.exp(-lam * tt) * gamma_pdf(lam, p.r, p.alpha), 0, np.inf)

    alive = _quad(lambda q: (1 - q) ** x * beta_pdf(q, p.a, p.b), 0, 1) * e_lam(T)
    dead = _quad(lambda q: q * (1 - q) ** (x - 1) * beta_pdf(q, p.a, p.b), 0, 1) * e_lam(t_x)
    return alive / (alive + dead)


def expected_alive_by_integration(p: btyd.BGNBDParams, t: float, x: float, T: float) -> float:
    """E[Y(t) | alive at T, x] = E over p ~ Beta(a, b+x) of (1 - (1 + p t/(alpha+T))^-(r+x)) / p (the expectation
    of (1 - e^(-lambda p t)) / p over lambda ~ Gamma(r+x, alpha+T) is exact)."""
    u, k, a1, b1 = t / (p.alpha + T), p.r + x, p.a - 1, p.b + x - 1
    lb = special.betaln(p.a, p.b + x)
    g = lambda q: -np.expm1(-k * np.log1p(q * u)) / q if q > 0 else k * u  # noqa: E731
    # A negative exponent of the Beta density (an endpoint singularity) goes into quad's algebraic weight on its half.
    left_w, right_w = min(a1, 0.0), min(b1, 0.0)
    left = lambda q: g(q) * np.exp((a1 - left_w) * np.log(q) + b1 * np.log1p(-q) - lb) if q > 0 else (  # noqa: E731
        g(q) * np.exp(b1 * np.log1p(-q) - lb) if a1 == left_w else 0.0)
    right = lambda q: g(q) * np.exp(a1 * np.log(q) + (b1 - right_w) * np.log1p(-q) - lb) if q < 1 else (  # noqa: E731
        g(q) * np.exp(-lb) if b1 == right_w else 0.0)
    return (_quad(left, 0, 0.5, weight="alg", wvar=(left_w, 0.0))
            + _quad(right, 0.5, 1, weight="alg", wvar=(0.0, right_w)))


def expected_by_integration(p: btyd.BGNBDParams, t: float, x: float, t_x: float, T: float) -> float:
    """E[Y(t) | history] = P(alive) x E[Y(t) | alive], both by quadrature."""
    return alive_by_integration(p, x, t_x, T) * expected_alive_by_integration(p, t, x, T)


# --------------------------------------------------------------------------------------------------------------------
# Published examples
# --------------------------------------------------------------------------------------------------------------------
def test_cdnow_worked_example_expected_purchases():
    # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 (weeks) is expected to make 1.226 purchases in the
    # next 39 weeks.
    e = btyd.expected_purchases(CDNOW, 39, [2], [30.43], [38.86])
    assert e[0] == pytest.approx(1.226, abs=5e-4)
    assert e[0] == pytest.approx(expected_by_integration(CDNOW, 39, 2, 30.43, 38.86), rel=1e-8)


@pytest.mark.parametrize("x, t_x, T", [(2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 38.86), (26, 30.86, 31.0),
                                       (1, 5.0, 38.86), (0, 0.0, 38.86)])
def test_p_alive_against_integrated_likelihood(x, t_x, T):
    got = btyd.p_alive(CDNOW, [x], [t_x], [T])[0]
    assert got == pytest.approx(alive_by_integration(CDNOW, x, t_x, T), rel=1e-8)
    if x == 0:
        assert got == 1.0  # BG/NBD: dropout happens only after a repeat purchase


def test_cdnow_worked_example_p_alive_value():
    # The same customer: 1 / (1 + 0.793/3.426 (43.274/34.844)^2.243) = 0.7266.
    assert btyd.p_alive(CDNOW, [2], [30.43], [38.86])[0] == pytest.approx(0.7266, abs=1e-4)


def test_new_customer_expectations_are_the_population_ones():
    # x = t_x = T = 0: E[X(t)] (FHL 2005 eq. 9) and P(X(t) = 0) = (alpha / (alpha + t))^r (eq. 8, x = 0).
    t = 52.0
    e = btyd.expected_purchases(CDNOW, t, [0], [0], [0])[0]
    z = t / (CDNOW.alpha + t)
    eq9 = (CDNOW.a + CDNOW.b - 1) / (CDNOW.a - 1) * (
        1 - (CDNOW.alpha / (CDNOW.alpha + t)) ** CDNOW.r * special.hyp2f1(CDNOW.r, CDNOW.b, CDNOW.a + CDNOW.b - 1, z))
    assert e == pytest.approx(eq9, rel=1e-10)
    p0 = 1 - btyd.p_purchase(CDNOW, t, [0], [0], [0])[0]
    assert p0 == pytest.approx((CDNOW.alpha / (CDNOW.alpha + t)) ** CDNOW.r, rel=1e-12)


def test_gamma_gamma_published_parameters_conditional_spend():
    # Fader & Hardie 2013 parameters: population mean p gamma / (q - 1) = 35.22; a customer with 2 repeat purchases
    # averaging 35 is expected to spend (15.44 + 70) 6.25 / (12.5 + 2.74) = 35.04.
    assert CDNOW_GG.population_mean_spend == pytest.approx(35.218, abs=1e-3)
    got = btyd.conditional_expected_spend(CDNOW_GG, [2, 0], [35.0, np.nan])
    assert got[0] == pytest.approx(35.039, abs=1e-3)
    assert got[1] == pytest.approx(CDNOW_GG.population_mean_spend)
    # Independent: E[p / nu | mean] with the posterior of nu integrated numerically (prior Gamma(q, gamma) times the
    # density of the mean of x Gamma(p, nu) values, which is Gamma(p x, rate x nu)).
    p, q, g = CDNOW_GG.p, CDNOW_GG.q, CDNOW_GG.gamma
    for x, m in [(2, 35.0), (1, 10.0), (10, 80.0)]:
        post = lambda nu: gamma_pdf(nu, q, g) * gamma_pdf(m, p * x, x * nu)  # noqa: E731
        num = _quad(lambda nu: p / nu * post(nu), 0, np.inf)
        den = _quad(post, 0, np.inf)
        assert btyd.conditional_expected_spend(CDNOW_GG, [x], [m])[0] == pytest.approx(num / den, rel=1e-7)


# --------------------------------------------------------------------------------------------------------------------
# The hypergeometric closed form against numerical integration, over the ranges that occur and beyond
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    TRUTH,
    btyd.BGNBDParams(r=3.0, alpha=0.5, a=0.5, b=0.2),    # x = 0 with a + b < 1: negative c in 2F1
    btyd.BGNBDParams(r=0.05, alpha=500.0, a=8.0, b=50.0),
    btyd.BGNBDParams(r=0.5, alpha=50.0, a=1.00003, b=1.0),  # a near 1: the closed form divides by a - 1
    btyd.BGNBDParams(r=0.5, alpha=50.0, a=1.0, b=1.0),
    btyd.BGNBDParams(r=0.5, alpha=50.0, a=0.25, b=0.75),  # x = 0: c = a + b - 1 = 0, 2F1 undefined: quadrature
])
def test_expected_purchases_against_integral(params):
    cases = [(0, 0, 0, 3650), (0, 0, 300, 30), (1, 10, 300, 365), (5, 200, 300, 90), (50, 700, 720, 365),
             (400, 2900, 3000, 365), (2000, 2990, 3000, 3650)]
    x, t_x, T, t = (np.array(c, dtype=float) for c in zip(*cases))
    got = btyd.expected_purchases(params, t, x, t_x, T)
    # P(alive) is checked by integration above (it underflows to 0 for some of these histories, fine in log-space).
    want = btyd.p_alive(params, x, t_x, T) * [expected_alive_by_integration(params, c[3], c[0], c[2]) for c in cases]
    np.testing.assert_allclose(got, want, rtol=2e-6)


def test_no_overflow_for_large_histories():
    x = np.array([0, 1, 3000, 20000, 20000], dtype=float)
    t_x = np.array([0, 20000, 3500, 20000, 1.0])
    T = np.array([20000, 20000, 20000, 20000, 20000], dtype=float)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        pa = btyd.p_alive(TRUTH, x, t_x, T)
        e = btyd.expected_purchases(TRUTH, 365, x, t_x, T)
        pp = btyd.p_purchase(TRUTH, 365, x, t_x, T)
    assert np.all(np.isfinite(pa) & np.isfinite(e) & np.isfinite(pp))
    assert pa[4] < 1e-300 and e[4] < 1e-300  # 20,000 purchases, the last 55 years ago: dead
    assert pa[3] > 0.99 and e[3] == pytest.approx(365 * (TRUTH.r + 20000) / (TRUTH.alpha + 20000), rel=0.05)
    assert np.all((pp >= 0) & (pp < 1))


# --------------------------------------------------------------------------------------------------------------------
# Fits: recovery, determinism, units, weights
# --------------------------------------------------------------------------------------------------------------------
def test_bgnbd_parameter_recovery(simulated):
    (x, t_x, T, _, _), _ = simulated
    fit = btyd.fit_bgnbd(x, t_x, T)
    assert fit.converged, fit.message
    assert fit.n_customers == 20_000
    for name in ("r", "alpha", "a", "b"):
        est, true, se = getattr(fit.params, name), getattr(TRUTH, name), fit.std_errors[name]
        assert 0 < se < 0.25 * true, (name, se)
        assert abs(est - true) < 4 * se, (name, est, true, se)
    # The maximum beats the truth, and the reported total is the per-customer sum.
    assert fit.log_likelihood >= btyd.bgnbd_log_likelihood(TRUTH, x, t_x, T).sum()
    assert fit.log_likelihood == pytest.approx(btyd.bgnbd_log_likelihood(fit, x, t_x, T).sum(), rel=1e-12)


def test_bgnbd_fit_is_deterministic_unit_free_and_weighted(simulated):
    (x, t_x, T, _, _), _ = simulated
    x, t_x, T = x[:3000], np.ceil(t_x[:3000]), np.ceil(T[:3000])  # whole days, as the warehouse gives them
    t_x[x == 0] = 0
    a = btyd.fit_bgnbd(x, t_x, T)
    b = btyd.fit_bgnbd(x, t_x, T)
    assert a.params == b.params and a.log_likelihood == b.log_likelihood
    # Weeks instead of days: same r, a, b; alpha / 7; the log-likelihood of a density in time moves by sum(x) ln 7.
    w = btyd.fit_bgnbd(x, t_x / 7, T / 7)
    for name in ("r", "a", "b"):
        assert getattr(w.params, name) == pytest.approx(getattr(a.params, name), rel=1e-5)
    assert w.params.alpha == pytest.approx(a.params.alpha / 7, rel=1e-5)
    assert w.log_likelihood == pytest.approx(a.log_likelihood + x.sum() * np.log(7), rel=1e-9)
    # Weights are counts of identical customers: the first 1000 rows twice = the first 1000 rows with weight 2.
    doubled = btyd.fit_bgnbd(np.tile(x[:1000], 2), np.tile(t_x[:1000], 2), np.tile(T[:1000], 2))
    weighted = btyd.fit_bgnbd(x[:1000], t_x[:1000], T[:1000], weights=np.full(1000, 2.0))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted.params, name) == pytest.approx(getattr(doubled.params, name), rel=1e-6)


def test_gamma_gamma_parameter_recovery(simulated):
    (x, _, _, _, _), _ = simulated
    spend = simulate_spend(TRUTH_GG, x, seed=56)
    fit = btyd.fit_gamma_gamma(x, spend)
    assert fit.converged, fit.message
    assert fit.n_customers == (x > 0).sum()
    for name in ("p", "q", "gamma"):
        est, true, se = getattr(fit.params, name), getattr(TRUTH_GG, name), fit.std_errors[name]
        assert 0 < se < 0.25 * true, (name, se)
        assert abs(est - true) < 4 * se, (name, est, true, se)
    assert abs(fit.spend_frequency_correlation) < 0.05  # independent by construction
    ll = btyd.gamma_gamma_log_likelihood(fit, x, spend)
    assert np.isnan(ll[x == 0]).all()
    assert fit.log_likelihood == pytest.approx(np.nansum(ll), rel=1e-12)
    assert fit.log_likelihood >= np.nansum(btyd.gamma_gamma_log_likelihood(TRUTH_GG, x, spend))


# --------------------------------------------------------------------------------------------------------------------
# Predictions against a Monte Carlo simulation of the same process
# --------------------------------------------------------------------------------------------------------------------
def test_predictions_match_simulation(simulated):
    # For each simulated customer the truth (alive at T, purchases in the next 180 days) is a draw from the model
    # given that customer's history, so the sums of the predicted probabilities and expectations must match the
    # observed counts within a few standard errors, overall and within groups of history.
    _, (x, t_x, T, alive, holdout) = simulated
    pa = btyd.p_alive(TRUTH, x, t_x, T)
    pp = btyd.p_purchase(TRUTH, 180, x, t_x, T)
    e = btyd.expected_purchases(TRUTH, 180, x, t_x, T)
    groups = {"x=0": x == 0, "x=1": x == 1, "x=2-4": (x >= 2) & (x <= 4), "x>=5": x >= 5,
              "stale": (x > 0) & (T - t_x > 365), "all": np.ones_like(x, dtype=bool)}
    for name, g in groups.items():
        assert g.sum() > 5000, name
        se_alive = np.sqrt(np.sum(pa[g] * (1 - pa[g])))
        assert abs(alive[g].sum() - pa[g].sum()) < 4 * se_alive + 1e-9, (name, alive[g].sum(), pa[g].sum())
        buyers = holdout[g] > 0
        se_buy = np.sqrt(np.sum(pp[g] * (1 - pp[g])))
        assert abs(buyers.sum() - pp[g].sum()) < 4 * se_buy, (name, buyers.sum(), pp[g].sum())
        se_e = np.sqrt(np.sum((holdout[g] - e[g]) ** 2))
        assert abs(holdout[g].sum() - e[g].sum()) < 4 * se_e, (name, holdout[g].sum(), e[g].sum())
    # New customers: P(no purchase in t) = (alpha / (alpha + t))^r, and E[X(t)].
    rng = np.random.default_rng(78)
    n = 200_000
    lam = rng.gamma(TRUTH.r, 1 / TRUTH.alpha, n)
    J = rng.geometric(rng.beta(TRUTH.a, TRUTH.b, n))
    counts = np.minimum(rng.poisson(lam * 180), J)
    p0 = 1 - btyd.p_purchase(TRUTH, 180, [0], [0], [0])[0]
    assert abs(np.mean(counts == 0) - p0) < 4 * np.sqrt(p0 * (1 - p0) / n)
    e0 = btyd.expected_purchases(TRUTH, 180, [0], [0], [0])[0]
    assert abs(counts.mean() - e0) < 4 * counts.std() / np.sqrt(n)


# --------------------------------------------------------------------------------------------------------------------
# Revenue and discounting
# --------------------------------------------------------------------------------------------------------------------
def test_discounting_and_revenue():
    x = np.array([0, 1, 4, 30], dtype=float)
    t_x = np.array([0, 50, 300, 700.0])
    T = np.array([100, 400, 365, 720.0])
    mean = np.array([np.nan, 20.0, 45.0, 60.0])
    h = 365.0
    undiscounted = btyd.expected_purchases(TRUTH, h, x, t_x, T)
    np.testing.assert_allclose(btyd.discounted_expected_purchases(TRUTH, h, x, t_x, T, 0.0), undiscounted, rtol=1e-9)
    # 10% a year, against a fine sum of the increments of E[Y(t)] discounted at each step's midpoint.
    grid = np.linspace(0, h, 2001)
    cum = np.array([btyd.expected_purchases(TRUTH, s, x, t_x, T) for s in grid])
    mid = (grid[1:] + grid[:-1]) / 2
    fine = (np.diff(cum, axis=0) * (1.1 ** (-mid / btyd.DAYS_PER_YEAR))[:, None]).sum(axis=0)
    disc = btyd.discounted_expected_purchases(TRUTH, h, x, t_x, T, 0.10)
    np.testing.assert_allclose(disc, fine, rtol=1e-6)
    assert np.all(disc < undiscounted)
    spend = btyd.conditional_expected_spend(TRUTH_GG, x, mean)
    np.testing.assert_allclose(btyd.expected_revenue(TRUTH, TRUTH_GG, h, x, t_x, T, mean), undiscounted * spend)
    np.testing.assert_allclose(btyd.expected_revenue(TRUTH, TRUTH_GG, h, x, t_x, T, mean, annual_discount_rate=0.1),
                               disc * spend)
    # A horizon of 0 days: nothing expected.
    assert np.all(btyd.expected_purchases(TRUTH, 0, x, t_x, T) == 0)
    assert np.all(btyd.p_purchase(TRUTH, 0, x, t_x, T) == 0)


# --------------------------------------------------------------------------------------------------------------------
# Invalid input
# --------------------------------------------------------------------------------------------------------------------
GOOD = dict(x=[0, 2, 1], t_x=[0, 10, 5], T=[20, 30, 5])


@pytest.mark.parametrize("change, column", [
    (dict(x=[0, -1, 1]), "x"),
    (dict(x=[0, 2.5, 1]), "x"),
    (dict(t_x=[0, -3, 5]), "t_x"),
    (dict(T=[20, 30, -5]), "T"),
    (dict(t_x=[0, 31, 5]), "t_x"),          # t_x > T
    (dict(t_x=[0, 0, 5]), "t_x"),           # x > 0 with t_x = 0
    (dict(t_x=[4, 10, 5]), "t_x"),          # x = 0 with t_x > 0
    (dict(T=[20, np.nan, 5]), "T"),
    (dict(x=[0, np.inf, 1]), "x"),
    (dict(T=[20, 30]), "T"),                # length
    (dict(x=[[0, 2, 1]]), "x"),             # 2-D
    (dict(x=["a", "b", "c"]), "x"),
])
def test_invalid_history_names_the_column(change, column):
    args = {**GOOD, **change}
    for call in (lambda: btyd.fit_bgnbd(**args), lambda: btyd.p_alive(TRUTH, **args),
                 lambda: btyd.expected_purchases(TRUTH, 30, **args), lambda: btyd.p_purchase(TRUTH, 30, **args)):
        with pytest.raises(ValueError, match=rf"^{column}: "):
            call()


def test_other_invalid_input():
    with pytest.raises(ValueError, match="^weights: "):
        btyd.fit_bgnbd(**GOOD, weights=[1, -1, 1])
    with pytest.raises(ValueError, match="^x: no customer with a repeat purchase"):
        btyd.fit_bgnbd([0, 0], [0, 0], [5, 9])
    with pytest.raises(ValueError, match="^horizon_days"):
        btyd.expected_purchases(TRUTH, -1, **GOOD)
    with pytest.raises(ValueError, match="^mean_spend: .*<= 0"):
        btyd.fit_gamma_gamma([0, 2, 1], [np.nan, 0.0, 5.0])
    with pytest.raises(ValueError, match="^mean_spend: .*missing"):
        btyd.conditional_expected_spend(TRUTH_GG, [0, 2, 1], [np.nan, np.nan, 5.0])
    with pytest.raises(ValueError, match="^mean_spend: 2 rows"):
        btyd.fit_gamma_gamma([0, 2, 1], [1.0, 5.0])
    with pytest.raises(ValueError, match="q = 0.9 <= 1"):
        btyd.conditional_expected_spend(btyd.GammaGammaParams(1.0, 0.9, 1.0), [1], [5.0])
    with pytest.raises(ValueError, match="parameter alpha"):
        btyd.BGNBDParams(r=1.0, alpha=-2.0, a=1.0, b=1.0)
    with pytest.raises(ValueError, match="annual_discount_rate"):
        btyd.discounted_expected_purchases(TRUTH, 30, **GOOD, annual_discount_rate=-1.0)
