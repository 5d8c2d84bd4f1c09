"""Proximal Newton steps for an L1 part of the penalty on dense data (``_prox_newton``):
the model's minimiser against a general solver, and fits against independent solvers of
the same objective (scikit-learn's ``Lasso``, scipy's L-BFGS-B on the split problem)."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog, minimize
from scipy.special import logsumexp
from sklearn.datasets import load_wine, make_classification
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine._prox_newton import model_minimiser


def _correlated(n_samples, n_features, seed):
    """Standardised columns mixed to a condition number in the thousands, and a sparse truth."""
    rng = np.random.default_rng(seed)
    mixing = 0.4 * rng.normal(size=(n_features, n_features)) + np.eye(n_features)
    X = rng.standard_normal((n_samples, n_features)) @ mixing
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    coef = np.where(rng.random(n_features) < 0.3, rng.normal(size=n_features), 0.0)
    return X, coef, rng


@pytest.mark.parametrize("seed", range(8))
def test_the_model_minimiser_meets_its_optimality_conditions(seed):
    """On an ill-conditioned quadratic with weights that zero out part of the solution (an
    intercept-like free coordinate too), the minimiser meets the subgradient conditions to
    rounding and is no higher than what L-BFGS-B finds on the split problem."""
    rng = np.random.default_rng(seed)
    size = 12
    factor = rng.normal(size=(size, size)) @ np.diag(np.logspace(0, -1.5, size))
    hessian = factor @ factor.T + 1e-4 * np.eye(size)
    gradient, x = rng.normal(size=size), rng.normal(size=size)
    weights = np.full(size, 1.0)
    weights[-1] = 0.0
    z = model_minimiser(hessian, gradient, x, weights)
    residual = gradient + hessian @ (z - x)
    assert np.all(np.abs(residual[z == 0]) <= weights[z == 0] + 1e-9)
    nonzero = z != 0
    np.testing.assert_allclose(
        residual[nonzero], -weights[nonzero] * np.sign(z[nonzero]), atol=1e-9
    )
    assert (z == 0).sum() >= 1  # the weights zero some coordinates: a case worth checking

    def model(z):
        return gradient @ (z - x) + 0.5 * (z - x) @ hessian @ (z - x) + weights @ np.abs(z)

    def split(v):
        z = v[:size] - v[size:]
        step = z - x
        value = gradient @ step + 0.5 * step @ hessian @ step + weights @ (v[:size] + v[size:])
        grad_z = gradient + hessian @ step
        return value, np.concatenate([grad_z + weights, -grad_z + weights])

    start = np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)])
    reference = minimize(split, start, jac=True, method="L-BFGS-B", bounds=[(0, None)] * 2 * size)
    assert model(z) <= model(reference.x[:size] - reference.x[size:]) + 1e-10


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_l1_squared_loss_at_defaults_is_scikit_learns_lasso(alpha):
    """The squared loss with an L1 penalty is the Lasso (alpha halved: no 1/2 on the loss):
    the same coefficients, the same exact zeros, on correlated columns."""
    X, coef, rng = _correlated(5_000, 40, seed=0)
    y = X @ coef + 3 + rng.standard_t(3, size=len(X))
    ours = SGDRegressor(penalty="l1", alpha=alpha, random_state=0).fit(X, y)
    theirs = Lasso(alpha=alpha / 2, tol=1e-12, max_iter=100_000).fit(X, y)
    assert ours.n_full_batch_iter_ <= 5
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    assert (ours.coef_ == 0).sum() >= 5
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_log_loss_at_defaults_reaches_the_optimum(penalty):
    """Logistic regression with an L1 part: the default fit's objective is within 1e-6 of
    the minimum scipy's L-BFGS-B finds on the split problem with tight tolerances, and its
    zeros are exact."""
    X, coef, rng = _correlated(4_000, 30, seed=1)
    y = (X @ coef + rng.logistic(size=len(X)) > 0).astype(int)
    alpha, l1_ratio = 0.01, 0.5
    model = SGDClassifier(
        loss="log_loss", penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, random_state=0
    ).fit(X, y)
    l1 = alpha * (1.0 if penalty == "l1" else l1_ratio)
    l2 = alpha - l1
    n_features = X.shape[1]

    def objective(v):
        w, b = v[:n_features] - v[n_features : 2 * n_features], v[-1]
        raw = X @ w + b
        value = np.mean(np.logaddexp(0, raw) - y * raw) + 0.5 * l2 * w @ w
        residual = (1 / (1 + np.exp(-raw)) - y) / len(y)
        grad_w = X.T @ residual + l2 * w
        value += l1 * v[: 2 * n_features].sum()
        return value, np.concatenate([grad_w + l1, -grad_w + l1, [residual.sum()]])

    bounds = [(0, None)] * (2 * n_features) + [(None, None)]
    reference = minimize(
        objective,
        np.zeros(2 * n_features + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000, "maxcor": 30},
    )
    ours = np.concatenate([np.maximum(model.coef_[0], 0), np.maximum(-model.coef_[0], 0)])
    achieved = objective(np.concatenate([ours, model.intercept_]))[0]
    assert achieved <= reference.fun * (1 + 1e-6)
    assert (model.coef_ == 0).sum() >= 3


def multinomial_excess(model, X, y, alpha, l1_ratio):
    """The relative excess of ``model``'s multinomial objective with ``alpha (l1_ratio
    ||W||_1 + (1 - l1_ratio) / 2 ||W||^2)`` over the minimum scipy's L-BFGS-B finds on the
    split problem (``W = W+ - W-``, both non-negative) with tight tolerances, run again
    from its end until that stops improving (its relative-reduction rule fires while it
    crawls)."""
    n_classes = model.coef_.shape[0]
    Y = np.eye(n_classes)[np.searchsorted(model.classes_, y)]
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    size = X.shape[1] * n_classes

    def objective(v):
        W = (v[:size] - v[size : 2 * size]).reshape(X.shape[1], n_classes)
        raw = X @ W + v[2 * size :]
        log_norm = logsumexp(raw, axis=1, keepdims=True)
        value = np.mean(log_norm[:, 0] - (Y * raw).sum(axis=1)) + 0.5 * l2 * (W**2).sum()
        residual = (np.exp(raw - log_norm) - Y) / len(Y)
        grad_W = (X.T @ residual + l2 * W).ravel()
        value += l1 * v[: 2 * size].sum()
        return value, np.concatenate([grad_W + l1, -grad_W + l1, residual.sum(axis=0)])

    bounds = [(0, None)] * (2 * size) + [(None, None)] * n_classes
    options = {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000, "maxcor": 30}
    best = minimize(objective, np.zeros(len(bounds)), jac=True, bounds=bounds, options=options)
    for _ in range(30):
        again = minimize(objective, best.x, jac=True, bounds=bounds, options=options)
        if again.fun >= best.fun:
            break
        best = again
    W = model.coef_.T
    ours = np.concatenate([np.maximum(W, 0).ravel(), np.maximum(-W, 0).ravel(), model.intercept_])
    return (objective(ours)[0] - best.fun) / best.fun


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("data", ["wine", "nearly separable"])
def test_l1_multinomial_at_defaults_reaches_the_optimum(penalty, data, make_classification_data):
    """The softmax couples its outputs, and proximal Newton steps over all of them at once:
    on the wine data (standardised) and on 400 x 5 nearly separable rows (3 classes each)
    the default fit's objective is within 1e-5 (``tol / 100``, what ``tol`` promises) of
    the minimum (:func:`multinomial_excess`), and its zeros are exact. L-BFGS-B at the
    phase's tolerances, which these fits used before, stopped 4e-4 above it on the second
    data set, at any ``tol``."""
    if data == "wine":
        X, y = load_wine(return_X_y=True)
        X, alpha = StandardScaler().fit_transform(X), 0.01
    else:
        X, y = make_classification_data(400, 3, n_features=5, n_informative=3)
        alpha = 1e-4
    l1_ratio = 1.0 if penalty == "l1" else 0.5
    model = SGDClassifier(
        loss="multinomial_log_loss", penalty=penalty, alpha=alpha, l1_ratio=0.5, random_state=0
    ).fit(X, y)
    assert multinomial_excess(model, X, y, alpha, l1_ratio) <= 1e-5
    assert (model.coef_ == 0).sum() >= 3


def test_a_stalled_l_bfgs_run_on_the_split_halves_starts_again():
    """Beyond proximal Newton's size (3 x 201 parameters of CSR data), L-BFGS-B on the
    split L1 halves: its relative-reduction rule ended a run 3.5e-4 above the minimum of
    a weakly penalised multinomial elastic net; started again from there while a run
    still helps, the fit ends within 1e-4."""
    rng = np.random.default_rng(0)
    X = sp.random(
        2000, 200, density=0.05, format="csr", random_state=0, data_rvs=rng.standard_normal
    )
    truth = np.where(rng.random((200, 3)) < 0.2, 2 * rng.normal(size=(200, 3)), 0.0)
    y = np.argmax(X @ truth + 0.3 * rng.gumbel(size=(2000, 3)), axis=1)
    alpha = 1e-4
    model = SGDClassifier(
        loss="multinomial_log_loss", penalty="elasticnet", alpha=alpha, random_state=0
    ).fit(X, y)
    assert multinomial_excess(model, X, y, alpha, 0.15) <= 1e-4


def _hinge_l1_optimum(X, y, alpha):
    """``min mean max(0, 1 - s (X w + b)) + alpha |w|_1``, ``s = 2 y - 1``: a linear
    programme (HiGHS), slack ``xi_i >= 1 - s_i (x_i . w + b)`` and ``w = w+ - w-``."""
    n, d = X.shape
    signed = (2 * y - 1.0)[:, None] * X
    rows = sp.hstack([-signed, signed, -(2 * y - 1.0)[:, None], (2 * y - 1.0)[:, None], -sp.eye(n)])
    cost = np.r_[np.full(2 * d, alpha), 0.0, 0.0, np.full(n, 1 / n)]
    return linprog(cost, A_ub=rows.tocsr(), b_ub=-np.ones(n), bounds=(0, None), method="highs").fun


@pytest.mark.parametrize("sparse", [False, True])
def test_a_kinked_loss_with_an_l1_part_reaches_the_linear_programmes_optimum(sparse):
    """The hinge loss with an L1 penalty is a linear programme. Its envelopes are solved by
    proximal Newton steps (they were by L-BFGS-B on the split halves, whose
    relative-reduction rule stopped 4.6e-4 above the optimum, reported converged); the
    result is within the continuation's smoothing share of tol (1e-4) of HiGHS's."""
    X, y = make_classification(800, 40, n_informative=6, random_state=3)
    data = sp.csr_matrix(X) if sparse else X
    model = SGDClassifier(loss="hinge", penalty="l1", alpha=1e-3, random_state=0).fit(data, y)
    raw = X @ model.coef_[0] + model.intercept_[0]
    achieved = np.maximum(0, 1 - (2 * y - 1) * raw).mean() + 1e-3 * np.abs(model.coef_).sum()
    assert achieved <= _hinge_l1_optimum(X, y, 1e-3) * (1 + 1e-4)


def test_the_stand_ins_of_a_kinked_loss_with_an_l1_part_are_judged_undamped():
    """1,500 x 200 rows of 10 random nonzeros, hinge + L1 at alpha=1e-4: judged by its
    damped decrease, proximal Newton left each envelope early and the fit ended 4.4e-4
    above the linear programme's optimum, reported converged; judged undamped, within the
    smoothing's share of tol."""
    rng = np.random.default_rng(11)
    X = np.zeros((1500, 200))
    for row in X:
        row[rng.choice(200, 10, replace=False)] = rng.normal(size=10)
    signal = X @ rng.normal(size=200) + 0.3 * rng.normal(size=1500)
    y = (signal > np.median(signal)).astype(int)
    model = SGDClassifier(loss="hinge", penalty="l1", alpha=1e-4, random_state=0).fit(X, y)
    raw = X @ model.coef_[0] + model.intercept_[0]
    achieved = np.maximum(0, 1 - (2 * y - 1) * raw).mean() + 1e-4 * np.abs(model.coef_).sum()
    assert achieved <= _hinge_l1_optimum(X, y, 1e-4) * (1 + 1e-4)
