"""The full-batch phase's bookkeeping: Hessians updated from the rows whose curvature
changed equal Hessians formed from scratch, and remembered passes equal fresh ones."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression

from sklosses._engine._newton import CurvatureSums
from sklosses._engine._objective import FlatObjective
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._state import SGDState
from sklosses.losses import ExpectileLoss, HuberLoss, LogLoss, SquaredLoss


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
