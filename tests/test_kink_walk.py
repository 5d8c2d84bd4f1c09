"""The walk from kink to kink (``sklosses._engine._kink_walk``) ends at the exact minimiser
of a piecewise-linear loss with an L2 penalty: checked against the subgradient optimality
conditions, written here in the model's own coordinates, and against HiGHS's linear
program and statsmodels' ``QuantReg`` without a penalty; and the best constant of such a
loss is exactly its weighted quantile."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog, lsq_linear

from sklosses import SGDRegressor
from sklosses._engine._kink_walk import walk_to_minimiser
from sklosses._engine._objective import FlatObjective
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._state import SGDState
from sklosses.losses import (
    AbsoluteLoss,
    EpsilonInsensitiveLoss,
    HingeLoss,
    HuberLoss,
    QuantileLoss,
    best_constant,
)

PIECEWISE_LINEAR = [
    QuantileLoss(0.1),
    QuantileLoss(0.5),
    QuantileLoss(0.9),
    AbsoluteLoss(),
    EpsilonInsensitiveLoss(0.5),
    HingeLoss(),
]


def _problem(loss, n_samples=80, n_features=3, integer_targets=False, seed=0):
    """Rows, targets in the loss's encoding and weights of a small random problem."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * [1.0, 10.0, 0.1][:n_features] + 3.0
    y = X @ rng.normal(size=n_features) + 2 * rng.standard_t(3, size=n_samples) + 5
    if loss.task != "regression":
        y = (y > np.median(y)).astype(float)
    elif integer_targets:  # many samples tie at a kink
        y = np.round(y)
    weight = rng.uniform(0.2, 2.0, size=n_samples)
    return X, y, weight / weight.mean()  # the engine's weights have mean 1


def _walk(loss, X, y, weight, penalty, max_steps=1000):
    """The walk from the zero model; ``(reached, n_steps, coef, intercept)``."""
    preconditioner = Preconditioner.from_data(X, True, np.random.default_rng(0))
    state = SGDState.zeros(X.shape[1], 1, np.float64, None, preconditioner)
    objective = FlatObjective(X, y[:, None], weight, penalty, state, True)
    reached, n_steps = walk_to_minimiser(objective, loss, 0, max_steps)
    coef, intercept = preconditioner.coefficients(state.coef, state.intercept)
    return reached, n_steps, coef[:, 0], float(intercept[0])


def assert_optimal(loss, X, y, weight, l2, coef, intercept):
    """The subgradient conditions of ``mean_i s_i loss_i + l2 |w|^2 / 2`` at the model: off
    the kinks each sample's gradient is fixed; some subgradient in the kinks'
    subdifferentials (a bounded least-squares problem) must cancel the rest."""
    raw = X @ coef + intercept
    kinks = loss.kinks(y[:, None])[:, 0, :]
    tolerance = 1e-8 * (1 + np.abs(raw))
    at_kink = np.abs(kinks - raw[:, None]).min(axis=1) <= tolerance
    targets = y[:, None]
    gradient = loss.gradient(targets, raw[:, None])[:, 0]
    low = loss.gradient(targets, (raw - 1e3 * tolerance)[:, None])[:, 0]
    high = loss.gradient(targets, (raw + 1e3 * tolerance)[:, None])[:, 0]
    design = np.column_stack([X, np.ones(len(y))]) * (weight / weight.sum())[:, None]
    fixed = design[~at_kink].T @ gradient[~at_kink] + np.r_[l2 * coef, 0.0]
    if at_kink.any():
        bounds = (low[at_kink], high[at_kink] + 1e-15)
        fixed = lsq_linear(design[at_kink].T, -fixed, bounds=bounds).fun  # A gamma + fixed
    scale = np.abs(design).sum(axis=0).max() * np.abs(gradient).max() + l2 * np.abs(coef).max()
    assert np.abs(fixed).max() <= 1e-8 * scale


@pytest.mark.parametrize("loss", PIECEWISE_LINEAR, ids=repr)
@pytest.mark.parametrize("integer_targets", [False, True])
def test_the_walk_ends_where_the_optimality_conditions_hold(loss, integer_targets):
    X, y, weight = _problem(loss, integer_targets=integer_targets)
    penalty = Penalty("l2", alpha=1e-2)
    reached, n_steps, coef, intercept = _walk(loss, X, y, weight, penalty)
    assert reached and n_steps > 0
    assert_optimal(loss, X, y, weight, penalty.l2, coef, intercept)


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
def test_without_a_penalty_the_walk_reaches_the_linear_programme_optimum(quantile):
    """Unpenalised pinball regression is a linear programme; HiGHS solves it exactly."""
    loss = QuantileLoss(quantile)
    X, y, weight = _problem(loss, n_samples=60)
    n, p = X.shape
    program = linprog(
        np.r_[np.zeros(p + 1), quantile * weight, (1 - quantile) * weight] / weight.sum(),
        A_eq=np.column_stack([X, np.ones(n), np.eye(n), -np.eye(n)]),
        b_eq=y,
        bounds=[(None, None)] * (p + 1) + [(0, None)] * (2 * n),
        method="highs",
    )
    reached, _, coef, intercept = _walk(loss, X, y, weight, Penalty(None))
    assert reached
    value = np.average(loss.loss(y, X @ coef + intercept), weights=weight)
    assert_allclose(value, program.fun, rtol=1e-10)
    assert_optimal(loss, X, y, weight, 0.0, coef, intercept)


def test_the_walk_gives_up_without_changing_the_model():
    """Out of steps, the walk reports it and leaves the model where it was."""
    loss = QuantileLoss(0.3)
    X, y, weight = _problem(loss)
    reached, n_steps, coef, intercept = _walk(loss, X, y, weight, Penalty("l2", 1e-2), 2)
    assert not reached and n_steps == 2
    assert np.all(coef == 0) and intercept == 0


def test_a_small_quantile_fit_matches_quantreg():
    """At defaults on a tiny data set the fit ends at statsmodels' exact ``QuantReg``
    objective once the penalty is negligible, and its model satisfies the conditions."""
    statsmodels = pytest.importorskip("statsmodels.api")
    loss = QuantileLoss(0.2)
    X, y, _ = _problem(loss, n_samples=40)
    model = SGDRegressor(loss=loss, alpha=1e-12, random_state=0).fit(X, y)
    params = statsmodels.QuantReg(y, np.column_stack([np.ones(len(y)), X])).fit(q=0.2).params
    ours = loss.loss(y, model.predict(X)).mean()
    assert_allclose(ours, loss.loss(y, params[0] + X @ params[1:]).mean(), rtol=1e-7)
    weight = np.ones(len(y))
    assert_optimal(loss, X, y, weight, 1e-12, model.coef_, model.intercept_[0])


@pytest.mark.parametrize("loss", [QuantileLoss(0.1), QuantileLoss(0.75), AbsoluteLoss()], ids=repr)
def test_the_best_constant_of_a_piecewise_linear_loss_is_its_weighted_quantile(loss):
    """Found at the kink where the weighted mean gradient changes sign: the smallest
    target with at least ``q`` of the weight at or below it (``q = 1/2`` for the absolute
    loss), or a target of the same mean loss where a whole interval is optimal."""
    rng = np.random.default_rng(3)
    y = np.round(rng.normal(size=(101, 1)) * 1e6) + 1e9  # large, with ties
    weight = rng.uniform(0, 2, size=101)
    quantile = getattr(loss, "quantile", 0.5)
    order = np.argsort(y[:, 0])
    share = np.cumsum(weight[order]) / weight.sum()
    expected = y[order[np.searchsorted(share, quantile)], 0]
    constant = best_constant(loss, y, weight)[0]
    assert constant in y
    mean_loss = [
        np.average(loss.loss(y[:, 0], np.full(101, c)), weights=weight)
        for c in (constant, expected)
    ]
    assert_allclose(*mean_loss, rtol=1e-14)


def test_a_minimum_between_kinks_is_still_searched():
    """Huber's kinks do not hold its minimiser (the mean of the central targets): the
    bisection over the kinks hands over to the search, which finds it."""
    y = np.array([[0.0], [0.2], [0.3], [10.0]])
    constant = best_constant(HuberLoss(delta=1.0), y)[0]
    # the three central targets are within delta: the gradient there is the residual's sum
    # plus the outlier's -delta, zero at (0.0 + 0.2 + 0.3 + 1.0) / 3
    assert_allclose(constant, 0.5, rtol=1e-6)
