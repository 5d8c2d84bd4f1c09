"""The full-batch phase's bookkeeping: Hessians updated from the rows whose curvature
changed equal Hessians formed from scratch and the derivatives of the gradient,
remembered passes equal fresh ones, the line of the raw predictions gives the values of
full passes, lengthened steps save iterations where Newton's fall short, a quadratic
loss is solved by one Newton step, and the exact finish of a piecewise-linear loss pins
samples near the kinks when the envelope's bend holds too few."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import linprog
from sklearn.datasets import make_regression

from sklosses import SGDRegressor
from sklosses._engine import _gram, _start
from sklosses._engine._active_set import exact_solution
from sklosses._engine._hessian import CoupledHessian, CurvatureSums
from sklosses._engine._newton import newton
from sklosses._engine._objective import FlatObjective
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._state import SGDState
from sklosses.losses import (
    ExpectileLoss,
    HuberLoss,
    LogLoss,
    MultinomialLogLoss,
    QuantileLoss,
    SquaredLoss,
)


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


@pytest.mark.parametrize("loss", [SquaredLoss(), HuberLoss(delta=10.0), LogLoss()], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_the_per_output_hessian_is_the_derivative_of_the_gradient(loss, weighted):
    """Each output's block, intercept row and column included, equals central differences
    of the objective's gradient: under one weight for every row (the squared loss without
    sample weights), under non-negative weights, and for a curvature that varies."""
    objective = objective_at_a_start(loss, n_outputs=2)
    if not weighted:
        objective.sample_weight = None
    x, _ = objective.start()
    x = x + np.random.default_rng(3).normal(scale=0.2, size=x.shape)
    objective.load(x)
    blocks = CurvatureSums(objective).hessian_blocks(loss, np.ones(2, dtype=bool))
    step = 1e-6
    numeric = np.column_stack(
        [
            (objective(x + step * unit, loss)[1] - objective(x - step * unit, loss)[1]) / (2 * step)
            for unit in np.eye(len(x))
        ]
    )
    for output, block in enumerate(blocks):
        indices = np.arange(output, len(x), 2)  # u row-major, then c
        assert_allclose(block, numeric[np.ix_(indices, indices)], rtol=1e-5, atol=1e-7)
    assert not numeric[np.ix_(np.arange(0, len(x), 2), np.arange(1, len(x), 2))].any()


@pytest.mark.parametrize("offset", [0.0, 50.0, 1e8])
@pytest.mark.parametrize("kind", ["float64", "float32", "csr", "no intercept"])
def test_the_hessian_summed_over_the_rows_as_they_are_is_the_standardised_one(offset, kind):
    """The sums run over the rows of X as they are (no standardised copy) and are carried
    to the standardised rows afterwards; columns far from zero (``offset`` standard
    deviations) are centred first, where that afterwards would cancel every digit. Either
    way the blocks are ``sum_i h_i z_i z_i^T`` over the standardised rows ``z_i``."""
    rng = np.random.default_rng(7)
    spread = np.array([1.0, 10.0, 0.1, 3.0])
    X = (rng.normal(size=(300, 4)) + offset) * spread
    true_coef = np.array([[1.0], [0.1], [5.0], [-0.2]])
    y = (X @ true_coef)[:, 0] + rng.normal(scale=2.0, size=300)
    fit_intercept = kind != "no intercept"
    X = {"float32": X.astype(np.float32), "csr": sp.csr_matrix(X)}.get(kind, X)
    weight = rng.uniform(0.5, 2, 300)
    preconditioner = Preconditioner.from_data(X, fit_intercept, np.random.default_rng(0))
    state = SGDState.zeros(4, 1, np.float64, None, preconditioner)
    # near the model: residuals on both sides of Huber's delta, curved rows and flat ones
    near = true_coef * (1 + 1e-12 * rng.normal(size=(4, 1))), np.zeros(1)
    state.coef[...], state.intercept[...] = preconditioner.parameters(*near)
    objective = FlatObjective(X, y[:, None], weight, Penalty("l2", 1e-3), state, fit_intercept)
    objective.normalise(2.0, 0.5)
    loss = HuberLoss(delta=3.0)
    blocks = CurvatureSums(objective).hessian_blocks(loss, np.ones(1, dtype=bool))
    z = preconditioner.standardised(X)
    if fit_intercept:
        z = np.column_stack([z, np.ones(len(z))])
    coef, intercept = preconditioner.coefficients(state.coef, state.intercept)
    curvature = weight * loss.hessian(y[:, None], np.asarray(X @ coef) + intercept)[:, 0]
    assert 0.2 < np.mean(curvature > 0) < 0.9
    expected = z.T @ (curvature[:, None] * z) / len(y)
    expected[:4, :4] += 1e-3 * np.diag(preconditioner.inverse_scale**2)
    expected *= objective.length**2 / objective.scale
    assert_allclose(blocks[0], expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("loss", [HuberLoss(delta=10.0), MultinomialLogLoss()], ids=repr)
def test_the_line_gives_the_values_along_a_direction(loss):
    """The values on the line of the raw predictions are those of full passes at the same
    steps: one step per output (one-vs-rest), or one for all (a coupled loss)."""
    n_outputs = 3
    objective = objective_at_a_start(loss, n_outputs=n_outputs)
    if loss.task == "multiclass":
        objective.Y = np.eye(n_outputs)[np.argsort(objective.Y, axis=1)[:, -1]]
    x, _ = objective.start()
    objective(x, loss)
    direction = np.random.default_rng(4).normal(size=x.shape)
    line = objective.line(loss, x, direction)
    n_parts = len(objective.values)
    for steps in [np.full(n_parts, 1.0), np.linspace(0.1, 2.0, n_parts), np.zeros(n_parts)]:
        objective(x + steps[np.arange(len(x)) % n_parts] * direction, loss)
        assert_allclose(line(steps), objective.values, rtol=1e-12, atol=1e-15)


def test_a_quadratic_loss_goes_straight_to_one_newton_step():
    """The squared loss (quadratic) takes no SGD epoch before the full-batch phase even on
    data large enough for them, and one Newton step reaches its minimiser; the Huber loss
    (not quadratic) takes its epochs there. A sum of quadratic losses is quadratic."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12_000, 40))
    y = X @ rng.normal(size=40) + rng.normal(size=12_000)
    squared = SGDRegressor(random_state=0).fit(X, y)
    assert squared.n_iter_ == squared.n_full_batch_iter_ == 1
    reference = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    assert_allclose(squared.coef_, reference[:-1], atol=1e-3)
    huber = SGDRegressor(loss=HuberLoss(), random_state=0).fit(X, y)
    assert huber.n_iter_ > huber.n_full_batch_iter_
    assert SquaredLoss().quadratic and (0.5 * SquaredLoss() + 2 * SquaredLoss()).quadratic
    assert not (SquaredLoss() + HuberLoss()).quadratic and not HuberLoss().quadratic


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
@pytest.mark.parametrize("offset", [0.0, 1e8])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_start_gram_gives_the_moments_and_the_hessian_of_their_passes(
    offset, fit_intercept, penalty, monkeypatch
):
    """A quadratic loss without sample weights going straight to the full-batch phase
    reads X once for the preconditioner's moments and the Hessian
    (:mod:`sklosses._engine._gram`; with an L1 part, proximal Newton's): the same
    statistics and model as their own passes (the Gram turned off), on columns near zero
    and 1e8 standard deviations away (their moments read again from deviations, their
    Hessian from its own centred pass); the fitted state keeps no Gram."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 5)) * [1.0, 10.0, 0.1, 3.0, 1.0] + offset
    y = X @ rng.normal(size=5) + rng.normal(size=3000)
    grams = []
    monkeypatch.setattr(_start, "raw_gram", lambda X: grams.append(_gram.raw_gram(X)) or grams[-1])
    make = lambda: SGDRegressor(  # noqa: E731
        penalty=penalty, alpha=0.01, l1_ratio=0.5, fit_intercept=fit_intercept, random_state=0
    )
    model = make().fit(X, y)
    assert len(grams) == 1 and model._state.gram is None
    monkeypatch.setattr(_start, "gram_serves", lambda *args: False)
    passes = make().fit(X, y)
    assert len(grams) == 1
    for name in ["center", "inverse_scale", "mean", "variance"]:
        assert_allclose(
            getattr(model._state.preconditioner, name),
            getattr(passes._state.preconditioner, name),
            rtol=1e-7,
        )
    assert_allclose(model.coef_, passes.coef_, rtol=1e-7)
    assert_allclose(model.intercept_, passes.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("noise", [1.0, 1e-9])
def test_a_quadratic_solution_is_measured_only_where_its_model_cancels(
    noise, weighted, monkeypatch
):
    """The squared loss's minimiser comes with its value and gradient from its quadratic
    model, without a pass over X: without sample weights, from the start's Gram (no pass
    at all, :func:`sklosses._engine._gram.gram_minimiser`); with them, from the Newton step
    (one pass, at the start). A near-exact fit without penalty (noise 1e-9), whose value
    the model would give only to the rounding of the start's, is measured by one more pass.
    Either way ``objective_`` is the objective a pass measures and the coefficients are
    the least-squares ones."""
    import sklosses._engine._objective as objective_module

    passes = []
    counted = objective_module.full_gradient
    monkeypatch.setattr(
        objective_module, "full_gradient", lambda *a, **k: passes.append(1) or counted(*a, **k)
    )
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3000, 5)) + [0, 1, 2, 3, 4]
    y = X @ rng.normal(size=5) + 7 + noise * rng.normal(size=3000)
    weight = np.ones(len(y)) if weighted else None
    model = SGDRegressor(alpha=0.0, random_state=0).fit(X, y, sample_weight=weight)
    assert len(passes) == weighted + (noise != 1.0)
    measured = np.mean((model.predict(X) - y) ** 2)
    assert_allclose(model.objective_, measured, rtol=1e-9, atol=1e-24)
    reference = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    assert_allclose(model.coef_, reference[:-1], rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_, reference[-1:], rtol=1e-9)


def test_the_exact_finish_pins_the_samples_closest_to_a_kink():
    """A narrow envelope with fewer samples in its bend than there are parameters (none
    here, near the minimiser): the exact finish pins the free samples closest to a kink
    and lands on the minimiser of the pinball loss (HiGHS's linear program)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, size=(60, 1))
    y = 2 * X[:, 0] + rng.standard_exponential(60)
    quantile, n = 0.3, len(y)
    program = linprog(
        np.r_[0.0, 0.0, np.full(n, quantile), np.full(n, 1 - quantile)],
        A_eq=np.column_stack([np.ones(n), X[:, 0], np.eye(n), -np.eye(n)]),
        b_eq=y,
        bounds=[(None, None)] * 2 + [(0, None)] * (2 * n),
        method="highs",
    )
    intercept, slope = program.x[:2]
    preconditioner = Preconditioner.from_data(X, True, np.random.default_rng(0))
    state = SGDState.zeros(1, 1, X.dtype, None, preconditioner)
    near = (np.array([[slope * (1 + 1e-5)]]), np.array([intercept + 1e-5]))
    state.coef[...], state.intercept[...] = preconditioner.parameters(*near)
    state.curvature = 1.0
    objective = FlatObjective(X, y[:, None], None, Penalty(None), state, True)
    loss = QuantileLoss(quantile)
    assert exact_solution(objective, loss.smoothed(1e-6), 0)
    x, _ = objective.start()
    assert_allclose(objective.value(x, loss), program.fun / n, rtol=1e-10)


def test_lengthened_steps_reach_the_same_minimiser_in_fewer_iterations():
    """Nearly separable classes: the log loss flattens faster than its Newton model, whose
    full steps fall short; lengthening them on the line of the raw predictions ends at the
    same minimiser (to the tolerance) in fewer iterations than the steps taken for a
    continuation's stand-in, which are not lengthened."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 4))
    Y = (X @ [3.0, -2.0, 1.0, 0.5] + 0.3 * rng.normal(size=300) > 0).astype(float)[:, None]
    preconditioner = Preconditioner.from_data(X, True, np.random.default_rng(0))
    runs = {}
    for stand_in in (True, False):
        state = SGDState.zeros(4, 1, X.dtype, None, preconditioner)
        objective = FlatObjective(X, Y, None, Penalty("l2", 1e-5), state, True)
        x, _ = objective.start()
        objective.normalise(objective.value(x, LogLoss()), 0.25)
        x, _ = objective.start()
        x, n_iter, _, converged = newton(objective, LogLoss(), x, 1e-10, 100, stand_in)
        assert converged
        runs[not stand_in] = n_iter, objective.value(x, LogLoss())
    assert runs[True][0] < runs[False][0]
    assert runs[True][1] == pytest.approx(runs[False][1], rel=1e-8)
