"""A quadratic loss on dense rows without sample weights is solved from the start's Gram
in one linear solve (:func:`sklosses._engine._gram.gram_minimiser`): the minimiser the
normal equations give, the model Newton's route through passes over X gives, and an
objective and optimality that a pass confirms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import linalg

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import _full_batch, _gram
from sklosses.losses import SquaredLoss


def ridge_normal_equations(X, y, alpha, fit_intercept):
    """The minimiser of ``mean((X w + b - y)**2) + alpha / 2 |w|**2``, in float64."""
    X, y = X.astype(np.float64), y.astype(np.float64)
    x_mean, y_mean = (X.mean(axis=0), y.mean()) if fit_intercept else (np.zeros(X.shape[1]), 0.0)
    centred = X - x_mean
    system = 2 * centred.T @ centred / len(y) + alpha * np.eye(X.shape[1])
    coef = linalg.solve(system, 2 * centred.T @ (y - y_mean) / len(y), assume_a="pos")
    return coef, y_mean - x_mean @ coef


def by_newton(monkeypatch, estimator, X, y):
    """``estimator`` fitted with the Gram's solve turned off (Newton's step instead)."""
    with monkeypatch.context() as patch:
        patch.setattr(_full_batch, "gram_solves", lambda *args: False)
        return estimator.fit(X, y)


def regression_rows(offset=0.0, dtype=np.float64, n_samples=2000):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n_samples, 6)) * [1.0, 3.0, 0.2, 10.0, 1.0, 1.0] + [0, 2, 0, 5, -1, 0]
    X[:, 5] = X[:, 4] + 0.01 * rng.normal(size=n_samples)  # correlated columns
    y = X @ rng.normal(size=6) + offset + rng.normal(size=n_samples)
    return X.astype(dtype), y.astype(dtype)


def objective(X, y, coef, intercept, alpha):
    """``mean((X coef + intercept - y)**2) + alpha / 2 |coef|**2``, in float64."""
    coef = np.ravel(coef).astype(np.float64)
    predicted = X.astype(np.float64) @ coef + np.float64(np.ravel(intercept)[0])
    return np.mean((predicted - y.astype(np.float64)) ** 2) + alpha / 2 * coef @ coef


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_the_gram_solve_is_the_minimiser_of_the_normal_equations(
    fit_intercept, dtype, offset, monkeypatch
):
    """Against the normal equations and Newton's route, on correlated, unscaled columns,
    with targets near zero and 1e6 away (the expansion around the starting constant keeps
    their digits), float64 and float32 rows, with and without an intercept.

    ``objective_`` is that of the float64 solution; the coefficients are compared where
    the system is well conditioned (targets near zero), the objective everywhere: without
    an intercept, targets 1e6 from zero need coefficients of 1e5 on correlated columns.
    A model stored in float32 with an intercept of 1e6 rounds it by up to 0.03, which
    costs 2e-4 of the objective on these rows of noise 1."""
    X, y = regression_rows(offset, dtype)
    alpha = 1e-3
    make = lambda: SGDRegressor(alpha=alpha, fit_intercept=fit_intercept, random_state=0)  # noqa: E731
    solved_calls = []
    monkeypatch.setattr(
        _full_batch,
        "gram_minimiser",
        lambda *a: solved_calls.append(1) or _gram.gram_minimiser(*a),
    )
    model = make().fit(X, y)
    assert solved_calls == [1] and model.n_full_batch_iter_ == 1
    assert model.optimality_ < 1e-8
    coef, intercept = ridge_normal_equations(X, y, alpha, fit_intercept)
    best = objective(X, y, coef, intercept, alpha)
    assert_allclose(model.objective_, best, rtol=1e-9)
    stored_digits = 1e-12 if dtype == np.float64 else 1e-3 if offset else 1e-6
    assert objective(X, y, model.coef_, model.intercept_, alpha) <= best * (1 + stored_digits)
    if not offset:
        digits = 1e-9 if dtype == np.float64 else 1e-5
        assert_allclose(model.coef_, coef, rtol=digits, atol=digits * np.abs(coef).max())
        assert_allclose(model.intercept_, [intercept], atol=digits * np.abs(coef).max())
    newton = by_newton(monkeypatch, make(), X, y)
    assert_allclose(model.objective_, newton.objective_, rtol=1e-9)


def test_a_singular_gram_without_penalty_still_gives_the_least_squares_fit(monkeypatch):
    """A repeated column and ``alpha=0``: the normal equations are singular; the solve
    falls back to least squares and gives the least-squares predictions (the split of the
    repeated column's weight is free)."""
    X, y = regression_rows()
    X = np.column_stack([X, X[:, 0]])
    model = SGDRegressor(alpha=0.0, random_state=0).fit(X, y)
    design = np.column_stack([X, np.ones(len(X))])
    reference = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert_allclose(model.predict(X), reference, rtol=1e-8, atol=1e-8)
    assert_allclose(model.objective_, np.mean((reference - y) ** 2), rtol=1e-8)


@pytest.mark.parametrize("loss", [SquaredLoss(), 0.5 * SquaredLoss() + 2 * SquaredLoss()])
def test_one_vs_rest_outputs_and_composite_quadratic_losses_equal_newtons(loss, monkeypatch):
    """Three one-vs-rest outputs of a classifier, a loss of curvature 5 (a weighted sum of
    squared losses): the Gram's solve equals Newton's route, output by output."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 4)) + [0.0, 3.0, 0.0, -2.0]
    labels = np.argmax(X[:, :3] + 0.5 * rng.normal(size=(1500, 3)), axis=1)
    make = lambda: SGDClassifier(loss=loss, alpha=1e-3, random_state=0)  # noqa: E731
    model = make().fit(X, labels)
    newton = by_newton(monkeypatch, make(), X, labels)
    assert model.coef_.shape == (3, 4) and model.n_full_batch_iter_ == 1
    assert_allclose(model.coef_, newton.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_, newton.intercept_, rtol=1e-9, atol=1e-12)
    assert_allclose(model.objective_, newton.objective_, rtol=1e-10)
    assert model.optimality_ < 1e-8
