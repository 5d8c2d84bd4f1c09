"""The full-batch phase's bookkeeping: Hessians updated from the rows whose curvature
changed equal Hessians formed from scratch, and remembered passes equal fresh ones."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression

from sklosses._engine._newton import CoupledHessian, CurvatureSums
from sklosses._engine._objective import FlatObjective
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._state import SGDState
from sklosses.losses import ExpectileLoss, HuberLoss, LogLoss, MultinomialLogLoss, SquaredLoss


def objective_at_a_start(loss, n_outputs, layout="C"):
    X, y = make_regression(n_samples=400, n_features=6, noise=20, random_state=0)
    X = np.asarray(X + 3.0, order=layout)
    Y = np.column_stack([y + 10 * k for k in range(n_outputs)])
    if loss.task == "binary":
        Y = (Y > np.median(Y, axis=0)).astype(float)
    weight = np.random.default_rng(0).uniform(0.5, 2, len(X))
    preconditioner = Preconditioner.from_data(X, True, np.random.default_rng(0))
    state = SGDState.zeros(X.shape[1], n_outputs, X.dtype, None, preconditioner)
    state.intercept[...] = np.median(Y, axis=0)
    objective = FlatObjective(X, Y, weight, Penalty("l2", 1e-3), state, True)
    return objective


def hessian_from_scratch(objective, loss, active):
    return CurvatureSums(objective).hessian_blocks(loss, active)


@pytest.mark.parametrize("loss", [SquaredLoss(), HuberLoss(delta=10.0), ExpectileLoss(0.8)])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_hessian_updated_row_by_row_equals_a_fresh_one(loss, layout):
    """Piecewise-constant curvatures: after moves that push residuals across the kinks
    (Huber's delta, the expectile's zero), the kept sums match a new pass."""
    objective = objective_at_a_start(loss, n_outputs=2, layout=layout)
    active = np.ones(2, dtype=bool)
    kept = CurvatureSums(objective)
    kept.hessian_blocks(loss, active)
    rng = np.random.default_rng(1)
    x, _ = objective.start()
    for _ in range(3):
        x = x + rng.normal(scale=0.3, size=x.shape)
        objective.load(x)
        assert_allclose(
            kept.hessian_blocks(loss, active),
            hessian_from_scratch(objective, loss, active),
            rtol=1e-10,
            atol=1e-12,
        )


def test_a_smooth_curvature_is_recomputed_and_inactive_outputs_have_no_data_term():
    loss = LogLoss()
    objective = objective_at_a_start(loss, n_outputs=3)
    kept = CurvatureSums(objective)
    kept.hessian_blocks(loss, np.ones(3, dtype=bool))
    x, _ = objective.start()
    objective.load(x + 0.5)
    active = np.array([True, False, True])
    blocks = kept.hessian_blocks(loss, active)
    fresh = hessian_from_scratch(objective, loss, active)
    assert_allclose(blocks, fresh, rtol=1e-10, atol=1e-12)
    # an inactive output keeps only the penalty's diagonal (no data term)
    assert not (blocks[1] - np.diag(np.diag(blocks[1]))).any() and blocks[1][-1, -1] == 0
    assert (blocks[0] - np.diag(np.diag(blocks[0]))).any()


def test_a_remembered_pass_is_the_pass():
    loss = HuberLoss(delta=10.0)
    objective = objective_at_a_start(loss, n_outputs=1)
    x, _ = objective.start()
    first = objective(x, loss)
    moved = objective(x + 0.1, loss)
    again = objective(x, loss)  # remembered
    assert again[0] == first[0]
    assert_allclose(again[1], first[1])
    assert moved[0] != first[0]
    other = objective(x, SquaredLoss())  # another loss at the same point: a new pass
    assert other[0] != first[0]


def test_the_coupled_softmax_hessian_is_the_derivative_of_the_gradient():
    """Newton on a multinomial model: the one block over all (p + 1) K parameters equals
    central differences of the objective's gradient (up to its 1e-8 trace floor)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 3)) + [0.0, 5.0, -2.0]
    labels = rng.integers(0, 3, 150)
    Y = np.eye(3)[labels]
    preconditioner = Preconditioner.from_data(X, True, np.random.default_rng(0))
    state = SGDState.zeros(3, 3, X.dtype, None, preconditioner)
    state.coef[...] = rng.normal(scale=0.3, size=(3, 3))
    objective = FlatObjective(X, Y, None, Penalty("l2", 1e-2), state, True)
    loss = MultinomialLogLoss()
    x, _ = objective.start()
    objective.load(x)
    block = CoupledHessian(objective).hessian_blocks(loss, np.ones(1, dtype=bool))[0]
    step = 1e-6
    numeric = np.column_stack(
        [
            (objective(x + step * unit, loss)[1] - objective(x - step * unit, loss)[1]) / (2 * step)
            for unit in np.eye(len(x))
        ]
    )
    floor = 1e-8 * np.trace(block) / len(block)
    assert_allclose(block - floor * np.eye(len(x)), numeric, rtol=1e-5, atol=1e-7)
