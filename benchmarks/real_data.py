"""Real data sets that ship with scikit-learn and statsmodels, and certified exact
minimisers of the sklosses training objective on them (a helper of
``tests/test_real_data.py``, ``tests/test_hard_cases.py`` and
``benchmarks/time_to_optimum.py``, not a test module).

The objective (default ``penalty='l2'``, intercept unpenalised, no sample weights)::

    F(w, b) = mean_i loss(y_i, x_i w + b) + alpha/2 ||w||^2

* regression: one column, ``y`` unscaled;
* a binary loss on two classes: one column, ``y = 1[label == classes_[1]]``;
* a binary loss on K >= 3 classes (one-vs-rest): one column per class,
  ``y_k = 1[label == k]``, each with its own ``w_k, b_k`` and penalty; F is the
  MEAN over the classes of the per-class objectives (they are independent, so
  each is solved on its own);
* a coupled multiclass loss: ``mean_i loss(onehot_i, x_i W + b) + alpha/2 ||W||_F^2``.

The references never call the training code of sklosses, nor its losses: every
loss is written again below from its textbook formula (the tests check that both
agree on the data), with its derivatives and its convex conjugate. (Only
:func:`fit_default`, the fit under test, calls the estimators.)

How the references are computed and certified (:func:`exact_reference`)
-----------------------------------------------------------------------
BLAS runs on one thread while they are computed (small products are ~10x slower
with two threads on a loaded 2-core machine).

* squared error: closed form (least squares on the centred data augmented with
  ``sqrt(n alpha / 2) I``, by an SVD-based solver), then a Newton step;
* other differentiable losses: scipy's L-BFGS-B with tight tolerances (gtol
  1e-12, ftol 1e-15, maxcor 30) in a well-scaled parametrisation (objective
  divided by its value at the start, coefficients in units of the target's
  spread, intercept offset by a constant fitted to the target), then Newton's
  method with exact second derivatives (the generalised one for the
  piecewise-quadratic Huber, squared-epsilon-insensitive, expectile, squared
  hinge and modified Huber losses: semismooth Newton) and a line search on the
  directional derivative, which still progresses where objective values no
  longer resolve the decrease;
* non-differentiable losses (absolute, quantile, epsilon-insensitive, hinge):
  each kink ``d max(0, z - k)`` of the loss is replaced by its Moreau envelope of
  width ``mu`` (``0 <= loss - smoothed <= mu d^2 / 2``), ``mu`` is driven down from
  the target's scale (1 for hinge) tenfold per stage, each stage warm-started
  by L-BFGS-B, to 1e-9 of that scale at most; from the third stage on, the
  pieces on which the smoothed solution lies give an ACTIVE-SET solve of the
  exact optimality conditions (samples at a breakpoint interpolate it, with a
  dual value between the two slopes; the others take the slope of their piece:
  one linear system, corrected until consistent). The continuation stops once a
  candidate is certified to 1e-12. With ties (many samples at one breakpoint,
  e.g. zero targets) the dual values at the breakpoints come from a small HiGHS
  LP instead. The smoothing gap at the best smoothed candidate is recorded.

Every reference comes with a rigorous certificate, a Fenchel DUALITY GAP: for
any dual vector ``a`` with ``sum_i a_i = 0`` (one column per output; the
intercept's optimality condition; not imposed without an intercept) and every
``a_i`` in the domain of the conjugate ``loss_i^*``,

    F* >= D(a) = -mean_i loss_i^*(a_i) - ||X^T a / n||^2 / (2 alpha)

(weak duality; Fenchel-Young ``loss_i(z) >= a z - loss_i^*(a)``). The dual
vector is the loss gradient at the reference (of the smoothed loss, or the
active-set/LP dual values, for the non-differentiable losses), clipped into the
conjugate's domain and shifted (one scalar per column, by root finding) to sum
to zero; for a coupled multiclass loss the rows ``p_i = y_i + a_i`` are
probability vectors, scaled (Sinkhorn) to the class counts. So ``F* in [D(a),
F(reference)]`` and ``certified = (F(reference) - D(a)) / F(reference)`` bounds
the relative excess of the reference. The conjugates are closed forms, except
for the (non-convex) focal losses (:class:`_Margin`): ``psi(m) = expit(-m)^gamma
softplus(-m)`` in the margin ``m`` is convex only above an inflection point, and
its conjugate on ``[-1, 0]`` is the maximum of ``c m - psi(m)`` on the convex
branch, found by bisection; for the softmax focal loss, with ``p = y + a`` in the
simplex, ``beta = 1 - p_c`` and ``q = p_{-c} / beta``, the conjugate is
``psi^*(-beta) - beta H(q)`` (``H`` the entropy). Weak duality holds for a
non-convex loss too (its conjugate is that of its convex envelope), so the
certificate stays rigorous; where samples sit below the envelope's tangent
point at the optimum, the lower bound is the certified minimum of the
convexified objective (measured: digits, focal one-vs-rest, 1.6e-5).

Cross-checks by other solvers (:func:`cross_check`): ``LogisticRegression``
(``C = 1 / (n alpha)``, newton-cholesky, tol 1e-12) for the log loss and the
multinomial log loss, ``PoissonRegressor`` (``alpha' = alpha / 2``: it minimises
half the mean deviance, and ``PoissonLoss`` is the deviance itself) for Poisson,
``Ridge`` (``alpha' = n alpha / 2``) for the squared error, and a HiGHS linear
programme of the UNPENALISED problem for the piecewise-linear losses, which
brackets ``F*`` in ``[P0*, P0(w0) + alpha/2 ||w0||^2]`` (``P0*`` the LP optimum,
``w0`` its solution) and so shows how much the L2 term with alpha=1e-4 moves
the optimum. Measured: NOT negligibly on real data with unscaled targets (engel
quantile(0.9): F* is 29% above P0*; separable classes: P0* = 0), so the unpenalised
LP is a cross-check here, never a reference.
"""

import functools
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import LinAlgError, lstsq, solve
from scipy.optimize import brentq, linprog, minimize
from scipy.special import expit, logsumexp, xlogy
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklosses.losses import (
    AbsoluteLoss,
    EpsilonInsensitiveLoss,
    ExpectileLoss,
    ExponentialLoss,
    FocalLoss,
    HingeLoss,
    HuberLoss,
    LogCoshLoss,
    LogLoss,
    ModifiedHuberLoss,
    MultinomialLogLoss,
    PoissonLoss,
    QuantileLoss,
    SoftmaxFocalLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredHingeLoss,
    SquaredLoss,
)

ALPHA = 1e-4
TOLERANCE = 1e-3
"""Largest accepted relative excess of a fitted model's training objective over F*."""
CERTIFIED = 1e-4
"""Largest accepted certified relative precision of a reference (a tenth of the
tolerance: the reference's uncertainty moves no verdict by more than 10%)."""


# ---------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    """``X`` standardised (as users do), ``y`` unscaled targets or class labels;
    ``task`` is ``"regression"``, ``"binary"`` or ``"multiclass"``."""

    name: str
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    task: str


def _standardised(X):
    return StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))


def _statsmodels(name):
    import statsmodels.api as sm

    return getattr(sm.datasets, name).load_pandas().data


def diabetes():
    """sklearn diabetes: 442 x 10, target (disease progression, 25-346) unscaled. The
    two-level 'sex' column stays one column (its one-hot pair would duplicate the
    intercept)."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    return DataSet("diabetes", _standardised(X), y.astype(np.float64), "regression")


def breast_cancer():
    """sklearn breast cancer: 569 x 30, label 1 (benign) is ``classes_[1]``."""
    X, y = load_breast_cancer(return_X_y=True)
    return DataSet("breast_cancer", _standardised(X), y, "binary")


def digits_8():
    """sklearn digits, 1797 x 64 pixels, binary: is it an 8 (174 of them)? Constant
    pixels stay 0 after scaling."""
    X, y = load_digits(return_X_y=True)
    return DataSet("digits_8", _standardised(X), (y == 8).astype(int), "binary")


def digits():
    """sklearn digits, 1797 x 64, 10 classes."""
    X, y = load_digits(return_X_y=True)
    return DataSet("digits", _standardised(X), y, "multiclass")


def iris():
    """sklearn iris, 150 x 4, 3 classes (setosa is linearly separable from the rest)."""
    X, y = load_iris(return_X_y=True)
    return DataSet("iris", _standardised(X), y, "multiclass")


def wine():
    """sklearn wine, 178 x 13, 3 classes."""
    X, y = load_wine(return_X_y=True)
    return DataSet("wine", _standardised(X), y, "multiclass")


def engel():
    """statsmodels engel: food expenditure ~ income, 235 x 1; y from 242 to 2033."""
    data = _statsmodels("engel")
    return DataSet(
        "engel", _standardised(data[["income"]]), data["foodexp"].to_numpy(float), "regression"
    )


def stackloss():
    """statsmodels stackloss: 21 x 3 (air flow, water temperature, acid concentration);
    y = stack loss, 7 to 42."""
    data = _statsmodels("stackloss")
    return DataSet(
        "stackloss",
        _standardised(data.drop(columns="STACKLOSS")),
        data["STACKLOSS"].to_numpy(float),
        "regression",
    )


def star98():
    """statsmodels star98: 303 districts x 20 columns (13 rates and 7 of their
    interactions: strongly collinear). Target: the FRACTION of students above the
    national median in maths, NABOVE / (NABOVE + NBELOW) (0.06 to 0.74, the binomial
    proportion the data set is documented for); the counts themselves are not features."""
    data = _statsmodels("star98")
    y = (data["NABOVE"] / (data["NABOVE"] + data["NBELOW"])).to_numpy(float)
    return DataSet(
        "star98", _standardised(data.drop(columns=["NABOVE", "NBELOW"])), y, "regression"
    )


def randhie():
    """statsmodels randhie (RAND health insurance experiment): 20190 x 9; y = mdvis,
    the COUNT of outpatient visits (0 to 77, mean 2.9). The health-status dummies
    hlthg/hlthf/hlthp are already a one-hot encoding (excellent health dropped)."""
    data = _statsmodels("randhie")
    return DataSet(
        "randhie",
        _standardised(data.drop(columns="mdvis")),
        data["mdvis"].to_numpy(float),
        "regression",
    )


def fair():
    """statsmodels fair (1974 Redbook survey): 6366 rows; y = affairs, a HEAVY-TAILED
    non-negative target (68% zeros, median 0, 99th percentile 7.8, max 57.6). The
    wife's and the husband's occupation (6 codes each) are one-hot encoded (all
    levels, as ``OneHotEncoder()``); the other 6 columns (ratings and years) are
    numeric: 18 columns."""
    data = _statsmodels("fair")
    occupations = pd.get_dummies(data[["occupation", "occupation_husb"]].astype(int).astype(str))
    numeric = data.drop(columns=["occupation", "occupation_husb", "affairs"])
    X = pd.concat([numeric, occupations], axis=1).to_numpy(float)
    return DataSet("fair", _standardised(X), data["affairs"].to_numpy(float), "regression")


def grunfeld():
    """statsmodels grunfeld: investment of 11 US firms, 1935-1954, 220 rows; y = invest,
    HEAVY-TAILED and unscaled (0.9 to 1487, median 52, mean 133). Columns: value,
    capital, year, and the firm one-hot encoded (11 levels): 14 columns."""
    data = _statsmodels("grunfeld")
    firms = pd.get_dummies(data["firm"].astype(str))
    X = pd.concat([data[["value", "capital", "year"]], firms], axis=1).to_numpy(float)
    return DataSet("grunfeld", _standardised(X), data["invest"].to_numpy(float), "regression")


LOADERS = [
    diabetes,
    engel,
    stackloss,
    star98,
    randhie,
    fair,
    grunfeld,
    breast_cancer,
    digits_8,
    iris,
    wine,
    digits,
]
"""All the data sets, regression first."""


@functools.cache
def load(name):
    """The :class:`DataSet` called ``name`` (cached)."""
    return {loader.__name__: loader for loader in LOADERS}[name]()


def encode(dataset, loss):
    """Targets of the objective, shape (n, n_outputs): see the module docstring."""
    y = dataset.y
    if dataset.task == "regression":
        return y.astype(np.float64).reshape(-1, 1)
    classes = np.unique(y)
    if len(classes) == 2 and loss.task == "binary":
        return (y == classes[1]).astype(np.float64).reshape(-1, 1)
    return (y[:, None] == classes[None, :]).astype(np.float64)


def fit_default(dataset, loss, **settings):
    """``SGDRegressor`` / ``SGDClassifier(loss=loss, random_state=0, **settings)`` fitted
    on ``(dataset.X, dataset.y)``; returns the model, the messages of the
    ConvergenceWarnings it raised (other warnings are re-emitted, not suppressed) and
    the seconds the fit took."""
    from sklosses import SGDClassifier, SGDRegressor

    estimator = SGDRegressor if dataset.task == "regression" else SGDClassifier
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model = estimator(loss=loss, random_state=0, **settings).fit(dataset.X, dataset.y)
        seconds = time.perf_counter() - start
    convergence = []
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            convergence.append(str(warning.message))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return model, convergence, seconds


def assert_reaches_optimum(achieved, best, model, convergence, seconds, record_property):
    """The fitted model's objective ``achieved`` is within ``TOLERANCE`` (relative) of the
    certified optimum ``best``, never below its lower bound, and the fit raised no
    ConvergenceWarning; the numbers go to the JUnit report."""
    gap = (achieved - best.value) / abs(best.value)
    for name, value in [
        ("gap", gap),
        ("reference", best.value),
        ("achieved", achieved),
        ("certified", best.certified),
        ("method", best.method),
        ("epochs", getattr(model, "n_iter_", None)),
        ("fit_seconds", seconds),
        ("convergence_warning", bool(convergence)),
    ]:
        record_property(name, value)
    # no model beats the certified lower bound (else the reference or F is wrong)
    assert achieved >= best.lower_bound - 1e-12 * abs(best.value), (achieved, best)
    assert gap <= TOLERANCE, (
        f"F(model) = {achieved:.10g} is {gap:.3g} (relative) above the optimum "
        f"F* = {best.value:.10g} (certified to {best.certified:.1e}; {best.method}); "
        f"{model.n_iter_} epochs"
        f"{'; ConvergenceWarning: ' + convergence[0] if convergence else ''}"
    )
    assert not convergence, f"ConvergenceWarning at default settings: {convergence}"


def model_coefficients(model):
    """``(W, b)`` of a fitted estimator, W of shape (n_features, n_outputs)."""
    coef = np.asarray(model.coef_, dtype=np.float64)
    W = coef.reshape(-1, 1) if coef.ndim == 1 else coef.T
    return W, np.asarray(model.intercept_, dtype=np.float64).ravel()


# ---------------------------------------------------------------------------
# The losses, written again: values, derivatives, conjugates
# ---------------------------------------------------------------------------


def _signs(y):
    return 2 * y - 1


class _Elementwise:
    """One output column: ``f_i(z) = loss(y_i, z)``. ``hess`` is the (generalised)
    second derivative, non-negative; ``conjugate(y, a)`` is ``f_i^*(a)`` for ``a``
    within ``domain(y) = (lo, hi)``."""

    smooth = True
    coupled = False

    def scale(self, y):
        """Typical spread of raw predictions (the parametrisation's unit)."""
        return 1.0

    def start(self, y):
        """A constant raw prediction to start from."""
        return 0.0


class _Squared(_Elementwise):
    def value(self, y, z):
        return (z - y) ** 2

    def grad(self, y, z):
        return 2 * (z - y)

    def hess(self, y, z):
        return np.full_like(z, 2.0)

    def conjugate(self, y, a):
        return a * y + a * a / 4

    def domain(self, y):
        return np.full_like(y, -np.inf), np.full_like(y, np.inf)

    def scale(self, y):
        return float(np.std(y)) or 1.0

    def start(self, y):
        return float(np.mean(y))


class _Regression(_Elementwise):
    """A loss of the residual ``r = z - y`` with ``h(r)``, ``h'``, ``h''``, ``h^*``:
    ``f_i^*(a) = a y_i + h^*(a)``."""

    def value(self, y, z):
        return self.h(z - y)

    def grad(self, y, z):
        return self.dh(z - y)

    def hess(self, y, z):
        return self.d2h(z - y)

    def conjugate(self, y, a):
        return a * y + self.h_star(a)

    def domain(self, y):
        lo, hi = self.h_domain
        return np.full_like(y, lo), np.full_like(y, hi)

    def scale(self, y):
        return float(np.std(y)) or 1.0

    def start(self, y):
        return float(np.median(y))


class _Huber(_Regression):
    def __init__(self, delta):
        self.delta = delta
        self.h_domain = (-delta, delta)

    def h(self, r):
        absolute = np.abs(r)
        return np.where(absolute <= self.delta, r * r / 2, self.delta * (absolute - self.delta / 2))

    def dh(self, r):
        return np.clip(r, -self.delta, self.delta)

    def d2h(self, r):
        return (np.abs(r) <= self.delta).astype(float)

    def h_star(self, a):
        return a * a / 2


class _LogCosh(_Regression):
    h_domain = (-1.0, 1.0)

    def h(self, r):
        absolute = np.abs(r)
        return absolute + np.log1p(np.exp(-2 * absolute)) - math.log(2)

    def dh(self, r):
        return np.tanh(r)

    def d2h(self, r):
        return 1 - np.tanh(r) ** 2

    def h_star(self, a):
        return 0.5 * (xlogy(1 + a, 1 + a) + xlogy(1 - a, 1 - a))


class _SquaredEpsilonInsensitive(_Regression):
    h_domain = (-np.inf, np.inf)

    def __init__(self, epsilon):
        self.epsilon = epsilon

    def h(self, r):
        return np.maximum(np.abs(r) - self.epsilon, 0) ** 2

    def dh(self, r):
        return 2 * np.sign(r) * np.maximum(np.abs(r) - self.epsilon, 0)

    def d2h(self, r):
        return 2.0 * (np.abs(r) > self.epsilon)

    def h_star(self, a):
        return self.epsilon * np.abs(a) + a * a / 4


class _Expectile(_Regression):
    """``tau r^2`` below the target (r < 0), ``(1 - tau) r^2`` above."""

    h_domain = (-np.inf, np.inf)

    def __init__(self, tau):
        self.tau = tau

    def _weight(self, r):
        return np.where(r > 0, 1 - self.tau, self.tau)

    def h(self, r):
        return self._weight(r) * r * r

    def dh(self, r):
        return 2 * self._weight(r) * r

    def d2h(self, r):
        return 2 * self._weight(r)

    def h_star(self, a):
        return np.where(a > 0, a * a / (4 * (1 - self.tau)), a * a / (4 * self.tau))


class _Poisson(_Elementwise):
    """Deviance ``2 (y log(y / mu) - y + mu)``, ``mu = exp(z)``; conjugate
    ``2 (m log m - y log y - m + y)`` with ``m = y + a/2 >= 0``."""

    def value(self, y, z):
        return 2 * (xlogy(y, y) - y * z - y + np.exp(z))

    def grad(self, y, z):
        return 2 * (np.exp(z) - y)

    def hess(self, y, z):
        return 2 * np.exp(z)

    def conjugate(self, y, a):
        m = np.maximum(y + a / 2, 0)
        return 2 * (xlogy(m, m) - xlogy(y, y) - m + y)

    def domain(self, y):
        return -2 * y, np.full_like(y, np.inf)

    def start(self, y):
        return float(np.log(np.mean(y)))


class _Margin:
    """A decreasing function ``psi(m)`` of the margin ``m = t z`` (t = 2y - 1), for
    the log loss (``gamma = 0``) and the focal loss::

        psi(m) = expit(-m)^gamma softplus(-m)

    (``expit(-m)`` is the probability of the wrong class, ``softplus(-m)`` the
    cross-entropy). ``psi'(m) = -A B`` with ``A = expit(-m)^gamma`` and
    ``B = gamma expit(m) softplus(-m) + expit(-m)``; ``psi'' = A (gamma expit(m) B
    - B')``, ``B' = expit(m) expit(-m) (gamma softplus(-m) - gamma - 1)``. For
    gamma > 0, ``psi''`` is negative below an inflection point ``m0`` (-2.79 for
    gamma=2): ``psi'`` falls from -1 (at -inf) to its minimum at ``m0``, then rises
    to 0, crossing -1 again at ``m1`` (-1.56 for gamma=2). So ``psi^*(c) = sup_m c m -
    psi(m)`` is finite exactly for ``c in [-1, 0]``, attained on the convex branch
    where ``psi'(m) = c`` (bisection). The convex envelope ``psi**`` is ``psi`` above
    ``m1`` and its tangent of slope -1 below (:meth:`convexified`): it has the same
    conjugate. A sample with a margin below ``m1`` at the optimum makes the duality gap
    of the focal objective not tight (the bound is that of the convexified objective);
    the references then take as lower bound the minimum of the convexified objective,
    itself certified by its duality gap.

    Coupled (softmax) version: with ``s = z_c - logsumexp(z_{-c})`` the margin of the
    true class ``c``, ``p_c = expit(s)`` and the softmax focal loss is ``psi(s)``.
    For ``a = p - y`` with ``p`` in the simplex, ``beta = 1 - p_c``, ``q =
    p_{-c} / beta``: ``a.z = -beta (z_c - q.z_{-c}) <= -beta (s + H(q))`` (since
    ``logsumexp(v) >= q.v + H(q)``, with equality at ``q = softmax(v)``), hence
    ``f^*(a) = psi^*(-beta) - beta H(q)``. For gamma = 0 this is ``sum_k p_k log
    p_k``, the conjugate of the multinomial log loss.
    """

    def __init__(self, gamma):
        self.gamma = float(gamma)
        self.inflection = self._inflection()
        self.tangent = -np.inf
        if self.gamma > 0:
            self.tangent = brentq(lambda m: self.dpsi(m) + 1, self.inflection, 40.0, xtol=1e-15)

    def convexified(self):
        """``psi**``: the tangent of slope -1 below ``m1``, ``psi`` above (or None)."""
        return None if self.gamma == 0 else _ConvexEnvelope(self)

    def psi(self, m):
        return np.exp(-self.gamma * np.logaddexp(0, m)) * np.logaddexp(0, -m)

    def dpsi(self, m):
        A = np.exp(-self.gamma * np.logaddexp(0, m))
        B = self.gamma * expit(m) * np.logaddexp(0, -m) + expit(-m)
        return -A * B

    def d2psi(self, m):
        A = np.exp(-self.gamma * np.logaddexp(0, m))
        B = self.gamma * expit(m) * np.logaddexp(0, -m) + expit(-m)
        dB = expit(m) * expit(-m) * (self.gamma * np.logaddexp(0, -m) - self.gamma - 1)
        return A * (self.gamma * expit(m) * B - dB)

    def _inflection(self):
        if self.gamma == 0:
            return -np.inf
        grid = np.linspace(-40, 40, 80001)
        curvature = self.d2psi(grid)
        negative = np.flatnonzero(curvature < 0)
        if len(negative) == 0:
            return -np.inf
        # one sign change: negative below m0, non-negative above
        assert np.all(curvature[: negative[-1] + 1] < 1e-300), "psi'' changes sign twice"
        upper = grid[negative[-1] + 1]
        return brentq(self.d2psi, grid[negative[-1]], upper, xtol=1e-14)

    def psi_star(self, c):
        """``psi^*(c)`` for ``c`` in [-1, 0] (clipped into it)."""
        c = np.clip(c, -1.0, 0.0)
        if self.gamma == 0:
            return xlogy(1 + c, 1 + c) + xlogy(-c, -c)
        lo = np.full_like(c, self.inflection)
        hi = np.full_like(c, 40.0)
        for _ in range(100):  # psi' increases on [m0, 40]: bisection for psi'(m) = c
            middle = (lo + hi) / 2
            below = self.dpsi(middle) < c
            lo, hi = np.where(below, middle, lo), np.where(below, hi, middle)
        m = (lo + hi) / 2
        return c * m - self.psi(m)


class _ConvexEnvelope(_Margin):
    def __init__(self, margin):
        self.__dict__.update(margin.__dict__)
        self.anchor = float(margin.psi(np.array(self.tangent)))

    def psi(self, m):
        return np.where(m >= self.tangent, _Margin.psi(self, m), self.anchor - (m - self.tangent))

    def dpsi(self, m):
        return np.where(m >= self.tangent, _Margin.dpsi(self, m), -1.0)

    def d2psi(self, m):
        return np.where(m >= self.tangent, _Margin.d2psi(self, m), 0.0)

    def convexified(self):
        return None


class _MarginBinary(_Elementwise):
    """A binary loss ``psi(t z)``: ``f^*(a) = psi^*(t a)`` on ``t a in [lo, hi]``."""

    def __init__(self, margin_loss, conjugate_domain):
        self.margin = margin_loss
        self.conjugate_domain = conjugate_domain

    def value(self, y, z):
        return self.margin.psi(_signs(y) * z)

    def grad(self, y, z):
        t = _signs(y)
        return t * self.margin.dpsi(t * z)

    def hess(self, y, z):
        return np.maximum(self.margin.d2psi(_signs(y) * z), 0.0)

    def conjugate(self, y, a):
        return self.margin.psi_star(_signs(y) * a)

    def convexified(self):
        envelope = self.margin.convexified()
        return None if envelope is None else _MarginBinary(envelope, self.conjugate_domain)

    def domain(self, y):
        t = _signs(y)
        lo, hi = self.conjugate_domain
        return np.where(t > 0, lo, -hi), np.where(t > 0, hi, -lo)


class _LogLoss(_MarginBinary):
    def __init__(self):
        super().__init__(_Margin(0.0), (-1.0, 0.0))

    def convexified(self):
        return None

    def conjugate(self, y, a):  # closed form: p = y + a in [0, 1], negative entropy
        p = np.clip(y + a, 0, 1)
        return xlogy(p, p) + xlogy(1 - p, 1 - p)


class _Exponential(_Elementwise):
    """``exp(-t z)``; with ``a = -t s``, ``s >= 0``: ``f^*(a) = s log s - s``."""

    def value(self, y, z):
        return np.exp(-_signs(y) * z)

    def grad(self, y, z):
        t = _signs(y)
        return -t * np.exp(-t * z)

    def hess(self, y, z):
        return np.exp(-_signs(y) * z)

    def conjugate(self, y, a):
        s = np.maximum(-_signs(y) * a, 0)
        return xlogy(s, s) - s

    def domain(self, y):
        t = _signs(y)
        return np.where(t > 0, -np.inf, 0.0), np.where(t > 0, 0.0, np.inf)


class _SquaredHinge(_Elementwise):
    """``max(0, 1 - m)^2``, or ``-4 m`` below ``m = -1`` (modified Huber: ``capped``);
    with ``a = -t s``: ``f^*(a) = s^2/4 - s`` on ``s in [0, inf)`` (``[0, 4]`` capped)."""

    def __init__(self, capped):
        self.capped = capped

    def value(self, y, z):
        m = _signs(y) * z
        squared = np.maximum(0, 1 - m) ** 2
        return np.where(m >= -1, squared, -4 * m) if self.capped else squared

    def grad(self, y, z):
        t = _signs(y)
        m = t * z
        slope = -2 * np.maximum(0, 1 - m)
        if self.capped:
            slope = np.where(m >= -1, slope, -4.0)
        return t * slope

    def hess(self, y, z):
        m = _signs(y) * z
        return 2.0 * ((m < 1) & (m >= -1)) if self.capped else 2.0 * (m < 1)

    def conjugate(self, y, a):
        s = -_signs(y) * a
        return s * s / 4 - s

    def domain(self, y):
        t = _signs(y)
        s_max = 4.0 if self.capped else np.inf
        return np.where(t > 0, -s_max, 0.0), np.where(t > 0, 0.0, s_max)


class _PiecewiseLinear(_Elementwise):
    """A convex piecewise-linear loss, per sample: breakpoints ``k_ij`` (increasing in
    j) and slopes ``s_i0 < ... < s_im`` in ``z``, with ``f_i(k_ij) = 0`` at every
    breakpoint (true of all four), so that::

        f_i(z) = s_i0 (z - k_i1) + sum_j (s_ij - s_i,j-1) max(0, z - k_ij)

    ``f_i^*(a) = max_j a k_ij`` for ``a`` in ``[s_i0, s_im]``. Smoothing of width
    ``mu``: each ``d max(0, x)`` term is replaced by its Moreau envelope, ``x^2 /
    (2 mu)`` on ``[0, mu d]``, ``d x - mu d^2 / 2`` above (:meth:`smoothed`)."""

    smooth = False

    def pieces(self, y):
        raise NotImplementedError

    def value(self, y, z):  # the textbook formula of each subclass
        raise NotImplementedError

    def conjugate(self, y, a):
        breakpoints, _ = self.pieces(y)
        return (a[:, None] * breakpoints).max(axis=1)

    def domain(self, y):
        _, slopes = self.pieces(y)
        return slopes[:, 0], slopes[:, -1]

    def smoothed(self, mu):
        return _Envelope(self, mu)


class _Envelope(_Elementwise):
    def __init__(self, loss, mu):
        self.loss, self.mu = loss, mu

    def _terms(self, y, z):
        breakpoints, slopes = self.loss.pieces(y)
        jumps = np.diff(slopes, axis=1)
        return breakpoints, slopes, jumps, z[:, None] - breakpoints

    def value(self, y, z):
        breakpoints, slopes, jumps, x = self._terms(y, z)
        width = self.mu * jumps
        inside = np.clip(x, 0, width)
        ramp = inside**2 / (2 * self.mu) + jumps * np.maximum(x - width, 0)
        return slopes[:, 0] * (z - breakpoints[:, 0]) + ramp.sum(axis=1)

    def grad(self, y, z):
        _, slopes, jumps, x = self._terms(y, z)
        return slopes[:, 0] + np.clip(x / self.mu, 0, jumps).sum(axis=1)

    def hess(self, y, z):
        _, _, jumps, x = self._terms(y, z)
        return ((x > 0) & (x < self.mu * jumps)).sum(axis=1) / self.mu

    def conjugate(self, y, a):
        return self.loss.conjugate(y, a)

    def domain(self, y):
        return self.loss.domain(y)


class _Quantile(_PiecewiseLinear):
    def __init__(self, quantile):
        self.quantile = quantile

    def value(self, y, z):
        return np.maximum(self.quantile * (y - z), (1 - self.quantile) * (z - y))

    def pieces(self, y):
        slopes = np.broadcast_to([-self.quantile, 1 - self.quantile], (len(y), 2))
        return y[:, None], slopes

    def scale(self, y):
        return float(np.std(y)) or 1.0

    def start(self, y):
        return float(np.quantile(y, self.quantile))


class _Absolute(_Quantile):
    def __init__(self):
        super().__init__(0.5)

    def value(self, y, z):
        return np.abs(z - y)

    def pieces(self, y):
        return y[:, None], np.broadcast_to([-1.0, 1.0], (len(y), 2))


class _EpsilonInsensitive(_PiecewiseLinear):
    def __init__(self, epsilon):
        self.epsilon = epsilon

    def value(self, y, z):
        return np.maximum(np.abs(z - y) - self.epsilon, 0)

    def pieces(self, y):
        breakpoints = np.column_stack([y - self.epsilon, y + self.epsilon])
        return breakpoints, np.broadcast_to([-1.0, 0.0, 1.0], (len(y), 3))

    def scale(self, y):
        return float(np.std(y)) or 1.0

    def start(self, y):
        return float(np.median(y))


class _Hinge(_PiecewiseLinear):
    """``max(0, 1 - t z)``: breakpoint ``z = t``, slopes (-1, 0) for t = 1, (0, 1)
    for t = -1."""

    def value(self, y, z):
        return np.maximum(0, 1 - _signs(y) * z)

    def pieces(self, y):
        t = _signs(y)
        return t[:, None], np.column_stack([np.minimum(-t, 0), np.maximum(-t, 0)])


class _Softmax:
    """A coupled multiclass loss ``psi(s)``, ``s = z_c - logsumexp(z_{-c})`` (see
    :class:`_Margin`); rows of ``Y`` one-hot."""

    coupled = True
    smooth = True

    def __init__(self, gamma, margin=None):
        self.margin = _Margin(gamma) if margin is None else margin

    def convexified(self):
        envelope = self.margin.convexified()
        return None if envelope is None else _Softmax(self.margin.gamma, envelope)

    @staticmethod
    def _margins(Y, Z):
        true = (Y * Z).sum(axis=1)
        others = np.where(Y > 0, -np.inf, Z)
        rest = logsumexp(others, axis=1)
        q = np.exp(others - rest[:, None])  # softmax over the other classes, 0 at c
        return true - rest, q

    def value(self, Y, Z):
        s, _ = self._margins(Y, Z)
        return self.margin.psi(s)

    def grad(self, Y, Z):
        s, q = self._margins(Y, Z)
        return self.margin.dpsi(s)[:, None] * (Y - q)

    def hess(self, Y, Z):
        """Per-sample K x K Hessians: ``psi'' u u^T - psi' (diag(q) - q q^T)``, ``u = e_c -
        q`` (``psi''`` clipped at 0: a convex majorant's curvature)."""
        s, q = self._margins(Y, Z)
        u = Y - q
        curvature = np.maximum(self.margin.d2psi(s), 0)
        slope = self.margin.dpsi(s)
        lse_hessian = q[:, :, None] * np.eye(Y.shape[1]) - q[:, :, None] * q[:, None, :]
        return (
            curvature[:, None, None] * u[:, :, None] * u[:, None, :]
            - slope[:, None, None] * lse_hessian
        )

    def conjugate(self, Y, A):
        P = np.clip(Y + A, 0, 1)
        beta = np.clip(1 - (Y * P).sum(axis=1), 0, 1)
        others = P * (1 - Y)
        # beta H(q) = -sum_k p_k log(p_k / beta), over the other classes
        beta_entropy = xlogy(beta, beta) - xlogy(others, others).sum(axis=1)
        return self.margin.psi_star(-beta) - beta_entropy


def spec(loss):
    """The independent formulas for an sklosses loss instance (NotImplementedError for
    a loss without them: add it here)."""
    kind = type(loss)
    if kind is SquaredLoss:
        return _Squared()
    if kind is AbsoluteLoss:
        return _Absolute()
    if kind is QuantileLoss:
        return _Quantile(float(loss.quantile))
    if kind is HuberLoss:
        return _Huber(float(loss.delta))
    if kind is LogCoshLoss:
        return _LogCosh()
    if kind is EpsilonInsensitiveLoss:
        return _EpsilonInsensitive(float(loss.epsilon))
    if kind is SquaredEpsilonInsensitiveLoss:
        return _SquaredEpsilonInsensitive(float(loss.epsilon))
    if kind is ExpectileLoss:
        return _Expectile(float(loss.expectile))
    if kind is PoissonLoss:
        return _Poisson()
    if kind is HingeLoss:
        return _Hinge()
    if kind is LogLoss:
        return _LogLoss()
    if kind is FocalLoss and loss.alpha is None:
        return _MarginBinary(_Margin(loss.gamma), (-1.0, 0.0))
    if kind is SquaredHingeLoss:
        return _SquaredHinge(capped=False)
    if kind is ModifiedHuberLoss:
        return _SquaredHinge(capped=True)
    if kind is ExponentialLoss:
        return _Exponential()
    if kind is MultinomialLogLoss:
        return _Softmax(0.0)
    if kind is SoftmaxFocalLoss and loss.alpha is None:
        return _Softmax(loss.gamma)
    raise NotImplementedError(
        f"benchmarks/real_data.py has no independent formulas (value, "
        f"derivatives, conjugate) for {loss!r}: add them to spec()."
    )


# ---------------------------------------------------------------------------
# Objective and certificate
# ---------------------------------------------------------------------------


def objective(loss_spec, X, Y, W, b, alpha=ALPHA):
    """F(W, b): one-vs-rest columns averaged, or the coupled multiclass objective."""
    Z = X @ W + b
    if getattr(loss_spec, "coupled", False):
        return float(loss_spec.value(Y, Z).mean() + alpha / 2 * np.sum(W * W))
    values = [
        loss_spec.value(Y[:, k], Z[:, k]).mean() + alpha / 2 * W[:, k] @ W[:, k]
        for k in range(Y.shape[1])
    ]
    return float(np.mean(values))


def _column_objective(loss_spec, X, y, w, b, alpha):
    return float(loss_spec.value(y, X @ w + b).mean() + alpha / 2 * w @ w)


def _balanced(a, lo, hi):
    """``clip(a - tau, lo, hi)`` with the scalar ``tau`` that makes it sum to 0."""
    a = np.clip(a, lo, hi)
    total = a.sum()
    if total == 0:
        return a
    if np.all(np.isinf(lo)) and np.all(np.isinf(hi)):
        return a - a.mean()

    def excess(tau):
        return np.clip(a - tau, lo, hi).sum()

    spread = np.max(np.abs(a[np.isfinite(a)])) + 1.0
    lower, upper = -spread, spread
    while excess(lower) < 0:
        lower *= 2
    while excess(upper) > 0:
        upper *= 2
    tau = brentq(excess, lower, upper, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return np.clip(a - tau, lo, hi)


def _column_dual(loss_spec, X, y, a, alpha, fit_intercept=True):
    """The dual lower bound ``D(a)`` on the column's minimum, from ``a`` (e.g. the loss
    gradient at a candidate) clipped into the conjugate's domain and, with an
    intercept, shifted to sum to 0."""
    lo, hi = loss_spec.domain(y)
    a = _balanced(a, lo, hi) if fit_intercept else np.clip(a, lo, hi)
    v = X.T @ a / len(y)
    return float(-loss_spec.conjugate(y, a).mean() - v @ v / (2 * alpha))


def _sinkhorn(P, counts, iterations=500):
    """Rows of ``P`` (non-negative) rescaled to sum to 1 and columns to ``counts``."""
    P = P.copy()
    for _ in range(iterations):
        column = P.sum(axis=0)
        P *= np.divide(counts, column, out=np.ones_like(counts), where=column > 0)
        P /= P.sum(axis=1, keepdims=True)
        if np.max(np.abs(P.sum(axis=0) - counts)) <= 1e-13 * len(P):
            break
    return P


def _coupled_dual(loss_spec, X, Y, W, b, alpha):
    A = loss_spec.grad(Y, X @ W + b)
    P = _sinkhorn(np.clip(Y + A, 0, 1), Y.sum(axis=0))
    A = P - Y
    V = X.T @ A / len(Y)
    return float(-loss_spec.conjugate(Y, A).mean() - np.sum(V * V) / (2 * alpha))


# ---------------------------------------------------------------------------
# Solvers
# ---------------------------------------------------------------------------

LBFGS_OPTIONS = {"maxiter": 20000, "maxfun": 40000, "maxcor": 30, "gtol": 1e-12, "ftol": 1e-15}


def _lbfgs(value_and_gradient, start, maxiter=None):
    options = dict(LBFGS_OPTIONS)
    if maxiter is not None:
        options["maxiter"] = maxiter
    result = minimize(value_and_gradient, start, jac=True, method="L-BFGS-B", options=options)
    return result.x, int(result.nit)


def _newton(value_gradient, value_gradient_hessian, theta, max_iter=50, gtol=1e-14):
    """Newton's method for a convex objective, with a line search on the directional
    derivative (bisection for its root when the full step overshoots): it keeps
    progressing where function values no longer resolve the decrease (relative 1e-16).
    Stops when the largest gradient component is below ``gtol`` (the objective is
    normalised to about 1), or has not shrunk for 3 iterations (rounding: with a
    smoothing width ``mu`` the gradient cannot resolve below ~1e-16 / mu). Returns the
    iterate of smallest gradient norm, that norm and the iterations run.
    ``value_gradient_hessian(theta) -> (f, g, H)``."""
    best, best_norm, stalled = theta, np.inf, 0
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        _, g, H = value_gradient_hessian(theta)
        norm = float(np.max(np.abs(g)))
        if norm < 0.5 * best_norm:
            stalled = 0
        else:
            stalled += 1
        if norm < best_norm:
            best, best_norm = theta, norm
        if norm <= gtol or stalled >= 3:
            break
        ridge = 1e-14 * max(1.0, float(np.max(np.abs(np.diag(H)))))
        try:
            step = -solve(H + ridge * np.eye(len(theta)), g, assume_a="pos")
        except (LinAlgError, ValueError):
            step = -lstsq(H, g)[0]
        if not g @ step < 0:
            break

        def slope(t, theta=theta, step=step):
            return float(value_gradient(theta + t * step)[1] @ step)

        t = 1.0
        if slope(1.0) > 0:
            lo, hi = 0.0, 1.0
            for _ in range(40):
                middle = (lo + hi) / 2
                lo, hi = (middle, hi) if slope(middle) < 0 else (lo, middle)
            t = (lo + hi) / 2
        if not np.max(np.abs(t * step)) > 1e-16 * max(1.0, float(np.max(np.abs(theta)))):
            break
        theta = theta + t * step
    else:
        norm = float(np.max(np.abs(value_gradient(theta)[1])))
        if norm < best_norm:
            best, best_norm = theta, norm
    return best, best_norm, iterations


def _column_problem(loss_spec, X, y, alpha, fit_intercept, scale, offset, norm):
    """Value/gradient and value/gradient/Hessian in ``theta = ((w, b) - (0, offset)) /
    scale``, objective divided by ``norm``."""
    n, d = X.shape
    Xb = np.column_stack([X, np.ones(n)]) if fit_intercept else X

    def unpack(theta):
        params = theta * scale
        if fit_intercept:
            return params[:d], params[d] + offset
        return params, 0.0

    def value(theta):
        w, b = unpack(theta)
        return (loss_spec.value(y, X @ w + b).mean() + alpha / 2 * w @ w) / norm

    def value_gradient(theta):
        w, b = unpack(theta)
        z = X @ w + b
        g = loss_spec.grad(y, z) / n
        gradient = Xb.T @ g
        gradient[:d] += alpha * w
        f = loss_spec.value(y, z).mean() + alpha / 2 * w @ w
        return f / norm, gradient * scale / norm

    def value_gradient_hessian(theta):
        w, b = unpack(theta)
        z = X @ w + b
        f, gradient = value_gradient(theta)
        h = loss_spec.hess(y, z) / n
        H = (Xb * h[:, None]).T @ Xb
        H[np.arange(d), np.arange(d)] += alpha
        return f, gradient, H * scale**2 / norm

    return value, value_gradient, value_gradient_hessian, unpack


@dataclass
class Reference:
    """An exact minimiser with its certificate. ``value`` is F at ``(W, b)``,
    ``lower_bound`` a dual lower bound on F*: ``certified = (value - lower_bound) /
    value`` bounds the relative excess of the reference."""

    value: float
    lower_bound: float
    W: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    method: str
    seconds: float
    smoothing_gap: float = 0.0

    @property
    def certified(self):
        return max(self.value - self.lower_bound, 0.0) / abs(self.value)


def _solve_column(loss_spec, X, y, alpha, fit_intercept=True):
    """(w, b, lower bound, method, smoothing gap) for one output column."""
    n, d = X.shape
    scale = loss_spec.scale(y)
    offset = loss_spec.start(y) if fit_intercept else 0.0
    theta = np.zeros(d + fit_intercept)

    if isinstance(loss_spec, _Squared):
        Xc = X - X.mean(axis=0) if fit_intercept else X
        yc = y - y.mean() if fit_intercept else y
        augmented = np.vstack([Xc, math.sqrt(n * alpha / 2) * np.eye(d)])
        w = lstsq(augmented, np.concatenate([yc, np.zeros(d)]), lapack_driver="gelsd")[0]
        b = float(y.mean() - X.mean(axis=0) @ w) if fit_intercept else 0.0
        w, b = _polish(loss_spec, X, y, alpha, fit_intercept, w, b)
        lower = _column_dual(loss_spec, X, y, loss_spec.grad(y, X @ w + b), alpha, fit_intercept)
        return w, b, lower, "closed form (QR)", 0.0

    if loss_spec.smooth:
        norm = max(_column_objective(loss_spec, X, y, np.zeros(d), offset, alpha), 1e-300)
        value, value_gradient, vgh, unpack = _column_problem(
            loss_spec, X, y, alpha, fit_intercept, scale, offset, norm
        )
        theta, lbfgs_iterations = _lbfgs(value_gradient, theta)
        theta, _, newton_iterations = _newton(value_gradient, vgh, theta)
        w, b = unpack(theta)
        method = f"L-BFGS-B ({lbfgs_iterations} it) + Newton ({newton_iterations} it)"
        lower = _column_dual(loss_spec, X, y, loss_spec.grad(y, X @ w + b), alpha, fit_intercept)
        value = _column_objective(loss_spec, X, y, w, b, alpha)
        envelope = getattr(loss_spec, "convexified", lambda: None)()
        if envelope is not None and value - lower > 1e-13 * value:
            # non-convex loss, samples below the tangent point: minimise the convexified
            # objective from here; its certified minimum is a lower bound on F*
            _, envelope_gradient, envelope_vgh, _ = _column_problem(
                envelope, X, y, alpha, fit_intercept, scale, offset, norm
            )
            theta, _ = _lbfgs(envelope_gradient, theta)
            theta, _, _ = _newton(envelope_gradient, envelope_vgh, theta)
            w2, b2 = unpack(theta)
            lower2 = _column_dual(
                envelope, X, y, envelope.grad(y, X @ w2 + b2), alpha, fit_intercept
            )
            if lower2 > lower:
                lower = lower2
                method += "; lower bound from the convexified loss"
        return w, b, lower, method, 0.0

    # non-differentiable: smoothing with continuation, mu from the target's scale down to
    # 1e-9 of it, each width warm-started (L-BFGS-B); from the third width on, an
    # active-set solve of the exact optimality conditions from the pieces the smoothed
    # solution sits on, which ends the continuation once it certifies 1e-12
    norm = max(_column_objective(loss_spec, X, y, np.zeros(d), offset, alpha), 1e-300)
    best = None
    stages = []
    for exponent in range(0, 10):
        mu = scale * 10.0**-exponent
        smooth = loss_spec.smoothed(mu)
        _, value_gradient, _, unpack = _column_problem(
            smooth, X, y, alpha, fit_intercept, scale, offset, norm
        )
        theta, lbfgs_iterations = _lbfgs(value_gradient, theta, maxiter=3000)
        w, b = unpack(theta)
        true_value = _column_objective(loss_spec, X, y, w, b, alpha)
        lower = _column_dual(loss_spec, X, y, smooth.grad(y, X @ w + b), alpha, fit_intercept)
        smoothing_gap = true_value - _column_objective(smooth, X, y, w, b, alpha)
        stage = f"{lbfgs_iterations}"
        candidates = [(true_value, lower, w, b, f"smoothed, mu={mu:.1g}", smoothing_gap)]
        if exponent >= 2:
            polished = _active_set(loss_spec, X, y, alpha, fit_intercept, w, b, mu)
            if polished is not None:
                w2, b2, a2, active_iterations = polished
                value2 = _column_objective(loss_spec, X, y, w2, b2, alpha)
                lower2 = _column_dual(loss_spec, X, y, a2, alpha, fit_intercept)
                candidates.append(
                    (value2, lower2, w2, b2, f"active-set KKT solve from mu={mu:.1g}", 0.0)
                )
                stage += f"+{active_iterations}"
        stages.append(stage)
        for candidate in candidates:
            if best is None or candidate[0] - candidate[1] < best[0] - best[1]:
                best = candidate
        if (best[0] - best[1]) <= 1e-12 * abs(best[0]):
            break
    if (best[0] - best[1]) > 1e-12 * abs(best[0]):
        # ties (many samples at one breakpoint): keep the best primal point, and choose
        # the dual values of the samples at a breakpoint by an LP
        true_value, _, w, b, how, smoothing_gap = best
        a = _dual_by_linear_programme(loss_spec, X, y, alpha, fit_intercept, w, b)
        lower = _column_dual(loss_spec, X, y, a, alpha, fit_intercept)
        if lower > best[1]:
            best = (
                true_value,
                lower,
                w,
                b,
                how + " (dual values at the breakpoints by LP)",
                smoothing_gap,
            )
    true_value, lower, w, b, how, smoothing_gap = best
    method = (
        f"smoothing, mu {scale:.3g} -> {mu:.3g}, L-BFGS-B[+active-set] iterations "
        f"per width: {' '.join(stages)}; best: {how}"
    )
    return w, b, lower, method, smoothing_gap


def _dual_by_linear_programme(loss_spec, X, y, alpha, fit_intercept, w, b):
    """Dual values for a primal point of a piecewise-linear loss: the slope of its piece
    for a sample strictly inside one; for a sample within 1e-9 (relative) of a
    breakpoint, a value between the two slopes chosen to satisfy stationarity
    ``X^T a / (n alpha) = -w`` and ``sum a = 0`` (a HiGHS LP minimising the L1 norm of
    the violation, which is 0 when ``(w, b)`` is the optimum)."""
    n = len(y)
    breakpoints, slopes = loss_spec.pieces(y)
    breakpoints, slopes = np.asarray(breakpoints, float), np.asarray(slopes, float)
    rows = np.arange(n)
    x = (X @ w + b)[:, None] - breakpoints
    near = np.abs(x) <= 1e-9 * (np.max(np.abs(breakpoints)) + 1.0)
    at = np.where(near.any(axis=1), near.argmax(axis=1), -1)
    a = slopes[rows, (x > 0).sum(axis=1)]
    free = np.flatnonzero(at >= 0)
    if len(free) == 0:
        return a
    fixed = np.setdiff1d(rows, free)
    M = X[free].T / (n * alpha)
    target = -w - X[fixed].T @ a[fixed] / (n * alpha)
    if fit_intercept:
        M = np.vstack([M, np.ones(len(free))])
        target = np.append(target, -a[fixed].sum())
    k = len(target)
    # variables: a_E, then the violations p, q >= 0 with M a_E + p - q = target
    cost = np.concatenate([np.zeros(len(free)), np.ones(2 * k)])
    equality = np.hstack([M, np.eye(k), -np.eye(k)])
    bounds = [
        (lo, hi) for lo, hi in zip(slopes[free, at[free]], slopes[free, at[free] + 1], strict=True)
    ] + [(0, None)] * (2 * k)
    result = linprog(cost, A_eq=equality, b_eq=target, bounds=bounds, method="highs")
    if result.status == 0:
        a[free] = np.clip(result.x[: len(free)], slopes[free, at[free]], slopes[free, at[free] + 1])
    return a


def _active_set(loss_spec, X, y, alpha, fit_intercept, w, b, mu, max_iter=15, max_size=1000):
    """Exact optimality conditions of a piecewise-linear loss from a guess of the pieces.

    Samples strictly inside a piece have the dual value (loss slope) of that piece;
    samples AT a breakpoint (the set E, first guessed from the smoothing zones) have
    an unknown dual value ``a_i`` between the two slopes and a raw prediction equal to
    the breakpoint. With ``w = -(X_F^T g_F + X_E^T a_E) / (n alpha)`` this is the
    linear system ``X_E X_E^T a_E / (n alpha) - b = -k_E - X_E X_F^T g_F / (n alpha)``,
    ``sum a_E = -sum g_F`` (least squares where degenerate). Samples whose dual value
    leaves its interval leave E, samples whose prediction crosses a breakpoint join it;
    repeated until consistent. When E outgrows ``max_size`` (ties: many samples at one
    breakpoint, e.g. zero targets), ``(w, b)`` interpolates E instead and the dual
    values come from :func:`_dual_by_linear_programme`. Returns ``(w, b, a,
    iterations)``."""
    n = len(y)
    breakpoints, slopes = loss_spec.pieces(y)
    breakpoints = np.asarray(breakpoints, dtype=float)
    slopes = np.asarray(slopes, dtype=float)
    m = breakpoints.shape[1]
    rows = np.arange(n)
    x = (X @ w + b)[:, None] - breakpoints
    zone = (x > 0) & (x < mu * np.diff(slopes, axis=1))
    at = np.where(zone.any(axis=1), zone.argmax(axis=1), -1)  # breakpoint index or -1
    region = (x > 0).sum(axis=1)  # which piece (slope index) otherwise
    tolerance = 1e-12 * (np.max(np.abs(breakpoints)) + 1.0)
    result = None
    for iterations in range(1, max_iter + 1):
        free = at >= 0
        g = slopes[rows, region]
        u = X[~free].T @ g[~free]
        XE = X[free]
        kE = breakpoints[free, at[free]]
        scale = 1 / (n * alpha)
        size = int(free.sum())
        if size > max_size:
            # ties, e.g. many zero targets: take (w, b) interpolating E (least squares),
            # then the dual values of E by an LP
            design = np.column_stack([XE, np.ones(size)]) if fit_intercept else XE
            solution = lstsq(design, kE, lapack_driver="gelsd")[0]
            w, b = (solution[:-1], float(solution[-1])) if fit_intercept else (solution, 0.0)
            a = _dual_by_linear_programme(loss_spec, X, y, alpha, fit_intercept, w, b)
            return w, b, a, iterations
        if fit_intercept:
            A = np.zeros((size + 1, size + 1))
            A[:size, :size] = scale * XE @ XE.T
            A[:size, size] = -1.0
            A[size, :size] = 1.0
            rhs = np.concatenate([-kE - scale * XE @ u, [-g[~free].sum()]])
            solution = lstsq(A, rhs, lapack_driver="gelsd")[0]
            aE, b = solution[:size], float(solution[size])
        else:
            aE = lstsq(scale * XE @ XE.T, -kE - scale * XE @ u, lapack_driver="gelsd")[0]
            b = 0.0
        w = -scale * (u + XE.T @ aE)
        a = g.copy()
        a[free] = aE
        result = (w, b, a, iterations)
        z = X @ w + b
        # consistency: dual values of E within their slopes, predictions of the others
        # within their piece
        below = slopes[free, at[free]]
        above = slopes[free, at[free] + 1]
        leave_low = aE < below - 1e-12
        leave_high = aE > above + 1e-12
        lower_edge = np.where(region > 0, breakpoints[rows, np.maximum(region - 1, 0)], -np.inf)
        upper_edge = np.where(region < m, breakpoints[rows, np.minimum(region, m - 1)], np.inf)
        cross_down = ~free & (z < lower_edge - tolerance)
        cross_up = ~free & (z > upper_edge + tolerance)
        if not (leave_low.any() or leave_high.any() or cross_down.any() or cross_up.any()):
            break
        indices = np.flatnonzero(free)
        region[indices[leave_low]] = at[indices[leave_low]]
        region[indices[leave_high]] = at[indices[leave_high]] + 1
        at[indices[leave_low | leave_high]] = -1
        at[cross_down] = region[cross_down] - 1
        at[cross_up] = region[cross_up]
    return result


def _polish(loss_spec, X, y, alpha, fit_intercept, w, b):
    """A few Newton steps on the exact objective (for the closed form's last digits)."""
    scale = loss_spec.scale(y)
    offset = b
    norm = max(_column_objective(loss_spec, X, y, w, b, alpha), 1e-300)
    _, value_gradient, vgh, unpack = _column_problem(
        loss_spec, X, y, alpha, fit_intercept, scale, offset, norm
    )
    theta = np.append(w / scale, 0.0) if fit_intercept else w / scale
    theta, _, _ = _newton(value_gradient, vgh, theta, max_iter=5)
    w2, b2 = unpack(theta)
    if _column_objective(loss_spec, X, y, w2, b2, alpha) <= _column_objective(
        loss_spec, X, y, w, b, alpha
    ):
        return w2, float(b2)
    return w, b


def _solve_coupled(loss_spec, X, Y, alpha, start=None):
    """(W, b, lower bound, method, theta) for a coupled multiclass loss."""
    n, d = X.shape
    K = Y.shape[1]
    Xb = np.column_stack([X, np.ones(n)])
    prior = np.log(Y.mean(axis=0))

    def unpack(theta):
        params = theta.reshape(d + 1, K)
        return params[:d], params[d] + prior

    norm = float(loss_spec.value(Y, np.broadcast_to(prior, Y.shape)).mean())

    def value(theta):
        W, b = unpack(theta)
        return (loss_spec.value(Y, X @ W + b).mean() + alpha / 2 * np.sum(W * W)) / norm

    def value_gradient(theta):
        W, b = unpack(theta)
        Z = X @ W + b
        G = Xb.T @ loss_spec.grad(Y, Z) / n
        G[:d] += alpha * W
        f = loss_spec.value(Y, Z).mean() + alpha / 2 * np.sum(W * W)
        return f / norm, G.ravel() / norm

    def value_gradient_hessian(theta):
        W, b = unpack(theta)
        f, g = value_gradient(theta)
        blocks = loss_spec.hess(Y, X @ W + b) / n  # (n, K, K)
        outer = (Xb[:, :, None] * Xb[:, None, :]).reshape(n, -1)  # (n, (d+1)^2)
        H = (outer.T @ blocks.reshape(n, -1)).reshape(d + 1, d + 1, K, K)
        H = H.transpose(0, 2, 1, 3).reshape((d + 1) * K, (d + 1) * K)
        H[np.arange(d * K), np.arange(d * K)] += alpha
        return f, g, H / norm

    theta = np.zeros((d + 1) * K) if start is None else start
    theta, lbfgs_iterations = _lbfgs(value_gradient, theta)
    theta, _, newton_iterations = _newton(value_gradient, value_gradient_hessian, theta)
    W, b = unpack(theta)
    lower = _coupled_dual(loss_spec, X, Y, W, b, alpha)
    method = f"L-BFGS-B ({lbfgs_iterations} it) + Newton ({newton_iterations} it)"
    reached = objective(loss_spec, X, Y, W, b, alpha)
    envelope = loss_spec.convexified()
    if start is None and envelope is not None and reached - lower > 1e-13 * reached:
        # non-convex loss: the certified minimum of the convexified objective bounds F*
        lower2 = _solve_coupled(envelope, X, Y, alpha, start=theta)[2]
        if lower2 > lower:
            lower = lower2
            method += "; lower bound from the convexified loss"
    return W, b, lower, method


def exact_reference(loss, X, Y, alpha=ALPHA, fit_intercept=True):
    """The certified minimiser of F for an sklosses ``loss`` on ``(X, Y)`` (targets
    encoded, shape (n, n_outputs)): a :class:`Reference`. BLAS runs on one thread (the
    small products here are ~10x slower with two threads on a loaded 2-core machine)."""
    with threadpool_limits(limits=1):
        return _exact_reference(loss, X, Y, alpha, fit_intercept)


def _exact_reference(loss, X, Y, alpha, fit_intercept):
    loss_spec = spec(loss)
    start = time.perf_counter()
    if loss_spec.coupled:
        if not fit_intercept:
            raise NotImplementedError("coupled losses: fit_intercept=True only")
        W, b, lower, method = _solve_coupled(loss_spec, X, Y, alpha)
        value = objective(loss_spec, X, Y, W, b, alpha)
        return Reference(value, lower, W, b, method, time.perf_counter() - start)
    columns = [
        _solve_column(loss_spec, X, Y[:, k], alpha, fit_intercept) for k in range(Y.shape[1])
    ]
    W = np.column_stack([column[0] for column in columns])
    b = np.array([column[1] for column in columns], dtype=np.float64)
    lower = float(np.mean([column[2] for column in columns]))
    smoothing_gap = float(np.mean([column[4] for column in columns]))
    value = objective(loss_spec, X, Y, W, b, alpha)
    method = columns[0][3] + (f" (x{len(columns)} classes)" if len(columns) > 1 else "")
    return Reference(value, lower, W, b, method, time.perf_counter() - start, smoothing_gap)


def best_constant(loss, X, Y, alpha=ALPHA):
    """The best model with ``W = 0`` (the intercept alone), as a certified
    :class:`Reference` of the same objective: what the features add."""
    reference = exact_reference(loss, np.zeros((len(Y), 1)), Y, alpha=alpha)
    zero = np.zeros((X.shape[1], Y.shape[1]))
    reference.W = zero
    return reference


# ---------------------------------------------------------------------------
# Cross-checks by other solvers
# ---------------------------------------------------------------------------


def _lp_unpenalised(loss_spec, X, y):
    """HiGHS LP (interior point, with crossover) of the UNPENALISED piecewise-linear
    problem. With breakpoints ``k_1 < ... < k_m`` and slopes ``s_0 < ... < s_m``, the
    raw prediction is split along the pieces: ``z_i = k_i1 - v_i0 + v_i1 + ... +
    v_im`` with ``v_i0, v_im >= 0``, ``0 <= v_ij <= k_i,j+1 - k_ij`` in between, at cost
    ``-s_0 v_0 + sum_j s_j v_j`` (convexity fills the pieces in order). Returns
    ``(P0*, w0, b0)``."""
    n, d = X.shape
    breakpoints, slopes = loss_spec.pieces(y)
    breakpoints, slopes = np.asarray(breakpoints, float), np.asarray(slopes, float)
    m = breakpoints.shape[1]
    blocks = [sp.csr_matrix(np.column_stack([X, np.ones(n)])), sp.identity(n)]
    costs = [np.zeros(d + 1), -slopes[:, 0]]
    bounds = [(None, None)] * (d + 1) + [(0, None)] * n
    for j in range(1, m + 1):
        blocks.append(-sp.identity(n))
        costs.append(slopes[:, j])
        widths = breakpoints[:, j] - breakpoints[:, j - 1] if j < m else np.full(n, np.inf)
        bounds += [(0, None if np.isinf(width) else width) for width in widths]
    result = linprog(
        np.concatenate(costs) / n,
        A_eq=sp.hstack(blocks, format="csc"),
        b_eq=breakpoints[:, 0],
        bounds=bounds,
        method="highs-ipm",
    )
    assert result.status == 0, result.message
    w0, b0 = result.x[:d], float(result.x[d])
    return float(loss_spec.value(y, X @ w0 + b0).mean()), w0, b0


def cross_check(loss, X, Y, alpha=ALPHA):
    """An independent solver's objective for ``loss`` (dict), or None where there is
    none. For the piecewise-linear losses: the LP bracket ``[lower, upper]`` of F*."""
    with threadpool_limits(limits=1):
        return _cross_check(loss, X, Y, alpha)


def _cross_check(loss, X, Y, alpha):
    from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge

    loss_spec = spec(loss)
    n = len(Y)
    start = time.perf_counter()
    if isinstance(loss_spec, _Squared):
        model = Ridge(alpha=n * alpha / 2, solver="cholesky").fit(X, Y)
        W, b = model.coef_.T.reshape(X.shape[1], -1), np.ravel(model.intercept_)
        method = "Ridge(alpha=n alpha/2)"
    elif isinstance(loss_spec, _LogLoss) or (
        isinstance(loss_spec, _Softmax) and loss_spec.margin.gamma == 0
    ):

        def fit(target):
            return LogisticRegression(
                C=1 / (n * alpha), tol=1e-12, max_iter=10000, solver="newton-cholesky"
            ).fit(X, target)

        if loss_spec.coupled:
            model = fit(Y.argmax(axis=1))
            W, b = model.coef_.T, model.intercept_
        else:
            models = [fit(Y[:, k]) for k in range(Y.shape[1])]
            W = np.column_stack([m.coef_.ravel() for m in models])
            b = np.array([m.intercept_[0] for m in models])
        method = "LogisticRegression(C=1/(n alpha), newton-cholesky)"
    elif isinstance(loss_spec, _Poisson):
        model = PoissonRegressor(
            alpha=alpha / 2, tol=1e-12, max_iter=10000, solver="newton-cholesky"
        ).fit(X, Y[:, 0])
        W, b = model.coef_.reshape(-1, 1), np.array([model.intercept_])
        method = "PoissonRegressor(alpha=alpha/2, newton-cholesky)"
    elif isinstance(loss_spec, _PiecewiseLinear):
        lowers, uppers = [], []
        for k in range(Y.shape[1]):
            p0, w0, _ = _lp_unpenalised(loss_spec, X, Y[:, k])
            lowers.append(p0)
            uppers.append(p0 + alpha / 2 * w0 @ w0)
        return {
            "method": "HiGHS LP without the L2 term",
            "lower": float(np.mean(lowers)),
            "upper": float(np.mean(uppers)),
            "seconds": time.perf_counter() - start,
        }
    else:
        return None
    value = objective(loss_spec, X, Y, W, b, alpha)
    return {"method": method, "value": value, "seconds": time.perf_counter() - start}
