"""Truncated Newton of the full-batch phase on CSR input (sklosses/_engine/_newton_cg.py):
its Hessian products against differences of the objective's gradient, and its result
against scipy's L-BFGS on the same objective."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from sklosses._engine._newton_cg import (
    MAX_COUPLED_ENTRIES,
    HessianProduct,
    newton_cg,
    newton_cg_applies,
)
from sklosses._engine._objective import FlatObjective
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._state import SGDState
from sklosses.losses import HingeLoss, HuberLoss, LogLoss, MultinomialLogLoss


def _wide_objective(loss, fit_intercept, n_outputs=2, seed=0):
    """A CSR objective with a column stored in every row (centred with an intercept),
    rare columns of small and large values, sample weights and ``n_outputs`` outputs,
    in per-coefficient units, at a random point."""
    rng = np.random.default_rng(seed)
    n_samples, n_features = 120, 400
    X = sp.random_array(
        (n_samples, n_features), density=0.03, rng=rng, data_sampler=rng.standard_normal
    ).tolil()
    X[:, 0] = rng.normal(3.0, 1.0, size=(n_samples, 1))
    X[:5, 1] = 1e-3
    X = sp.csr_matrix(X)
    signal = X @ rng.normal(size=(n_features, n_outputs))
    Y = (signal > 0).astype(float) if loss.task == "binary" else signal
    if loss.task == "multiclass":  # one-hot rows of the largest score
        Y = (signal == signal.max(axis=1, keepdims=True)).astype(float)
    weight = rng.uniform(0.5, 2.0, n_samples)
    preconditioner = Preconditioner.from_data(X, fit_intercept, rng)
    state = SGDState.zeros(n_features, n_outputs, np.float64, None, preconditioner)
    state.coef[...] = rng.normal(scale=0.3, size=state.coef.shape)
    state.intercept[...] = rng.normal(size=n_outputs) if fit_intercept else 0.0
    objective = FlatObjective(X, Y, weight, Penalty("l2", 1e-3), state, fit_intercept)
    x, _ = objective.start()
    objective.normalise(objective.value(x, loss), 0.25, by_coefficient=True)
    return objective, objective.start()[0]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "loss",
    [LogLoss(), HuberLoss(delta=0.5), HingeLoss().smoothed(0.3), MultinomialLogLoss()],
    ids=repr,
)
def test_hessian_product_is_the_derivative_of_the_gradient(loss, fit_intercept):
    """``H p`` equals central differences of the normalised gradient along ``p``, for
    random directions (centred and uncentred columns, weights, two outputs; three classes
    coupled by the multinomial loss)."""
    n_outputs = 3 if loss.scope == "sample" else 2
    objective, x = _wide_objective(loss, fit_intercept, n_outputs)
    objective(x, loss)
    product = HessianProduct(objective, loss)
    rng = np.random.default_rng(1)
    for _ in range(3):
        p = rng.normal(size=x.shape)
        h = 1e-6
        difference = (objective(x + h * p, loss)[1] - objective(x - h * p, loss)[1]) / (2 * h)
        objective(x, loss)
        assert_allclose(product(p), difference, rtol=1e-5, atol=1e-7 * np.abs(difference).max())


@pytest.mark.parametrize("loss", [LogLoss(), HingeLoss().smoothed(0.05)], ids=repr)
def test_newton_cg_reaches_the_lbfgs_optimum(loss):
    """From a random point, Newton-CG ends within 1e-9 (relative) of scipy's L-BFGS run
    to its floor on the same normalised objective."""
    objective, x = _wide_objective(loss, True, n_outputs=1)
    assert newton_cg_applies(objective.X, loss, objective.penalty, 1)
    reference = minimize(
        objective, x, args=(loss,), jac=True, method="L-BFGS-B",
        options={"maxiter": 20000, "ftol": 1e-16, "gtol": 1e-12},
    )  # fmt: skip
    solution, n_iter, optimality, converged = newton_cg(objective, loss, x, 1e-12, 1e-9, 1000)
    assert converged and n_iter < 1000
    achieved = objective(solution, loss)[0]
    assert achieved <= reference.fun * (1 + 1e-9) + 1e-15, (achieved, reference.fun)


def test_newton_cg_does_not_apply_to_l1_or_dense_input():
    objective, _ = _wide_objective(LogLoss(), True)
    assert not newton_cg_applies(objective.X, LogLoss(), Penalty("elasticnet", 1e-3, 0.15), 2)
    assert not newton_cg_applies(objective.X.toarray(), LogLoss(), Penalty("l2", 1e-3), 2)


def test_coupled_newton_cg_applies_while_the_row_blocks_fit():
    objective, _ = _wide_objective(MultinomialLogLoss(), True, n_outputs=3)
    X, loss, l2 = objective.X, MultinomialLogLoss(), Penalty("l2", 1e-3)
    assert newton_cg_applies(X, loss, l2, 3)
    assert not newton_cg_applies(X, loss, l2, int(np.sqrt(MAX_COUPLED_ENTRIES / X.shape[0])) + 1)


def test_multinomial_on_raw_csr_digits_reaches_the_optimum():
    """Raw digits (pixels 0-16, uncentred as CSR) with the multinomial loss at defaults:
    L-BFGS-B took its 1,000 iterations to end 0.4% above the optimum, with a warning; the
    coupled Hessian's products take a few dozen Newton-CG steps to within 1e-3 of
    ``LogisticRegression`` (Newton-CG) run to tol=1e-10 on the same objective."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from sklosses import SGDClassifier

    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SGDClassifier(loss=MultinomialLogLoss(), random_state=0).fit(sp.csr_matrix(X), y)
    C = 1 / (len(y) * model.alpha_)
    reference = LogisticRegression(C=C, solver="newton-cg", tol=1e-10, max_iter=1000)
    probabilities = reference.fit(X, y).predict_proba(X)[np.arange(len(y)), y]
    optimum = -np.mean(np.log(probabilities)) + model.alpha_ / 2 * np.sum(reference.coef_**2)
    assert optimum <= model.objective_ <= optimum * (1 + 1e-3), (model.objective_, optimum)


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_columns_never_stored_change_nothing_but_get_zero(penalty):
    """The full-batch phase runs on the columns CSR ``X`` stores: spreading the same
    columns among 50,000 empty ones gives the same model on them (to the solvers'
    tolerance) and exact zeros elsewhere."""
    from sklosses import SGDClassifier

    rng = np.random.default_rng(0)
    n_samples, n_stored, width = 300, 400, 50_000
    X = sp.csr_matrix(
        sp.random_array((n_samples, n_stored), density=0.05, rng=rng, data_sampler=rng.random)
    )
    y = (X @ rng.normal(size=n_stored) + 0.2 * rng.normal(size=n_samples) > 0).astype(int)
    spread = np.sort(rng.choice(width, size=n_stored, replace=False))
    wide = sp.csr_matrix((X.data, spread[X.indices], X.indptr), shape=(n_samples, width))
    settings = {"loss": "log_loss", "penalty": penalty, "alpha": 1e-3, "random_state": 0}
    narrow_model = SGDClassifier(**settings).fit(X, y)
    wide_model = SGDClassifier(**settings).fit(wide, y)
    unstored = np.setdiff1d(np.arange(width), spread)
    assert not wide_model.coef_[:, unstored].any()
    assert_allclose(wide_model.coef_[:, spread], narrow_model.coef_, rtol=1e-3, atol=1e-4)
    assert_allclose(wide_model.intercept_, narrow_model.intercept_, rtol=1e-3, atol=1e-4)
