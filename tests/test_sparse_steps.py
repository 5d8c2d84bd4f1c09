"""The lazy steps on CSR input take the same steps as the dense ones, at a cost that
follows the nonzeros; sparse and dense fits of the same data give the same model."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import _sparse_steps
from sklosses._engine._batching import batch_gradients, batch_plan
from sklosses._engine._loop import DenseSteps
from sklosses._engine._penalty import Penalty
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._sparse_steps import SparseSteps, takes_sparse_steps
from sklosses._engine._state import SGDState
from sklosses._engine._step_size import _preconditioned_spectrum
from sklosses.losses import LOSSES, SquaredLoss


def _sparse_problem(n_samples=300, n_features=60, density=0.08, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n_samples, n_features, density=density, format="csr", random_state=seed)
    X.data = rng.lognormal(sigma=2.0, size=X.nnz)  # column scales over orders of magnitude
    coef = rng.standard_normal(n_features)
    y = X @ coef / np.sqrt(X.multiply(X).sum(axis=0).A1.mean()) + rng.standard_normal(n_samples)
    return X, y


def _one_epoch(steps_kind, X, Y, loss, penalty, average, step_size=0.05):
    preconditioner = Preconditioner.from_data(X, True, None)
    rng = np.random.default_rng(1)
    state = SGDState.zeros(X.shape[1], Y.shape[1], np.float64, step_size, preconditioner)
    state.coef[...] = rng.standard_normal(state.coef.shape)
    state.intercept[...] = 0.3
    plan = batch_plan(X, 16)
    steps = steps_kind(X, plan, state, penalty)
    batches = batch_gradients(
        X, Y, None, loss, state, plan, plan.order(False, None), None, steps.predict
    )
    for X_batch, gradient, _ in batches:
        steps.step(X_batch, gradient, step_size, plan.batch_size, True)
        if average:
            steps.update_average()
    steps.finish()
    return state


@pytest.mark.parametrize("kind", [None, "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize(
    "fold_below, join_from, compact_below",
    [(_sparse_steps.SMALLEST_SCALE, 1024, 4), (0.9, 1, 0)],
)
def test_lazy_steps_take_the_dense_steps(
    kind, average, fold_below, join_from, compact_below, monkeypatch
):
    """The same iterate and average after an epoch. ``fold_below=0.9`` folds the scale
    factors into the coefficients every few steps, ``join_from=1`` copies batches run by
    run instead of gathering rows, ``compact_below=0`` works on the touched columns only
    (else on all of them: this problem is narrow), where an L1 threshold given to an
    untouched column reaches the average only when the column is next touched."""
    monkeypatch.setattr(_sparse_steps, "SMALLEST_SCALE", fold_below)
    monkeypatch.setattr(_sparse_steps, "JOIN_FROM", join_from)
    monkeypatch.setattr(_sparse_steps, "COMPACT_BELOW", compact_below)
    X, y = _sparse_problem()
    Y = y[:, None]
    penalty = Penalty(kind, alpha=0.05, l1_ratio=0.5)
    assert takes_sparse_steps(X, Preconditioner.from_data(X, True, None))
    lazy = _one_epoch(SparseSteps, X, Y, SquaredLoss(), penalty, average)
    dense = _one_epoch(DenseSteps, X, Y, SquaredLoss(), penalty, average)
    np.testing.assert_allclose(lazy.coef, dense.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lazy.intercept, dense.intercept, rtol=1e-10)
    if kind in ("l1", "elasticnet"):
        assert np.array_equal(lazy.coef == 0, dense.coef == 0)
    if average:
        # an untouched column's L1 thresholds (at most 4e-4 a step) reach the average late
        atol = 1e-12 if kind in (None, "l2") or compact_below else 1e-3
        np.testing.assert_allclose(lazy.average_coef, dense.average_coef, rtol=1e-9, atol=atol)
        np.testing.assert_allclose(lazy.average_intercept, dense.average_intercept, rtol=1e-10)


def test_sparse_preconditioner_keeps_rare_columns_at_their_size():
    """A column stored in one row is scaled by its value, not by sqrt(n_samples) more; no
    column is centred unless every row stores it."""
    X = sp.csr_matrix(np.vstack([np.eye(1, 4, 3) * 0.01, np.ones((999, 4)) * [1, 2, 40, 0]]))
    preconditioner = Preconditioner.from_data(X, True, None)
    assert not preconditioner.center.any()
    np.testing.assert_allclose(preconditioner.inverse_scale, [1, 0.5, 0.025, 100])


def test_many_sparse_column_scales_are_rounded_to_powers_of_two():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.random((50, 200)) * np.logspace(-3, 3, 200))
    preconditioner = Preconditioner.from_data(X, False, None)
    stored_rms = np.sqrt(X.multiply(X).mean(axis=0).A1)
    ratio = preconditioner.inverse_scale * stored_rms
    assert np.all((ratio > 2**-0.5 * (1 - 1e-12)) & (ratio < 2**0.5 * (1 + 1e-12)))
    np.testing.assert_allclose(np.log2(preconditioner.inverse_scale) % 1, 0)
    assert len(preconditioner.scale_classes[0]) < 64


TRAINED_ROW_BY_ROW = [
    name
    for name, loss_class in LOSSES.items()
    if loss_class().task in ("regression", "binary", "multiclass") and loss_class().scope != "batch"
]


@pytest.mark.parametrize("loss", TRAINED_ROW_BY_ROW)
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_sparse_and_dense_fits_give_the_same_model(loss, penalty):
    """Every loss of the registry that an estimator trains row by row, with each penalty:
    the same objective to the fit's tolerance, and coefficients close."""
    X, y = _sparse_problem(n_samples=400, n_features=30, density=0.3)
    task = LOSSES[loss]().task
    if task == "regression":
        y = np.round(np.exp(y / 2))  # counts: in every regression loss's domain
        Estimator = SGDRegressor
    else:
        y = np.digitize(y, np.quantile(y, [0.5] if task == "binary" else [1 / 3, 2 / 3]))
        Estimator = SGDClassifier
    params = dict(loss=loss, penalty=penalty, alpha=1e-3, random_state=0, tol=1e-6)
    sparse_fit = Estimator(**params).fit(X, y)
    dense_fit = Estimator(**params).fit(X.toarray(), y)
    gap = sparse_fit.objective_ - dense_fit.objective_
    assert abs(gap) <= 1e-4 * dense_fit.objective_  # 0 for the perceptron: w = 0 is optimal
    # a weakly curved objective (elastic net, alpha=1e-3) pins the model less than its value
    scale = np.abs(dense_fit.coef_).max()
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=0.1 * scale)


def test_partial_fit_steps_are_independent_of_the_width():
    """Padding CSR data with a million empty columns changes no step of partial_fit (with
    a fixed step size: the automatic one is estimated from random directions)."""
    X, y = _sparse_problem()
    wide = sp.hstack([X, sp.csr_matrix((X.shape[0], 1_000_000))], format="csr")
    params = dict(learning_rate="constant", eta0=0.01, random_state=0)
    narrow_fit = SGDRegressor(**params).partial_fit(X, y)
    wide_fit = SGDRegressor(**params).partial_fit(wide, y)
    np.testing.assert_allclose(wide_fit.coef_[: X.shape[1]], narrow_fit.coef_, rtol=1e-10)
    assert not wide_fit.coef_[X.shape[1] :].any()
    np.testing.assert_allclose(wide_fit.intercept_, narrow_fit.intercept_, rtol=1e-10)


def test_a_batch_of_empty_rows_takes_no_step():
    """A single-row batch that stores nothing touches no column: its gradient is empty and
    the coefficients stay as the other rows left them, as on the dense rows of zeros."""
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0], [0.0, 0.0]] * 8))
    y = X @ np.array([1.0, -1.0])
    params = dict(batch_size=1, fit_intercept=False, solver="sgd", random_state=0)
    sparse_fit = SGDRegressor(**params).fit(X, y)
    dense_fit = SGDRegressor(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-10)


def test_wide_sparse_spectrum_comes_from_the_gram_matrix():
    """The step size's spectrum of wide CSR rows (through their Gram matrix) equals the
    one of the same rows dense (power iteration in feature space), with a centred column
    stored in every row and row weights."""
    rng = np.random.default_rng(0)
    X = sp.random(50, 200, density=0.1, format="csr", random_state=0)
    X = sp.hstack([X, sp.csr_matrix(rng.normal(size=(50, 1)) + 3)], format="csr")
    preconditioner = Preconditioner.from_data(X, True, None)
    assert preconditioner.center[-1] != 0
    weight = rng.random(50) + 0.5
    wide = _preconditioned_spectrum(X, weight, preconditioner, True, rng, n_power_iter=300)
    dense = _preconditioned_spectrum(X.toarray(), weight, preconditioner, True, rng, 300)
    np.testing.assert_allclose(wide, dense, rtol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "auto"])
def test_memory_grows_with_the_data_not_with_copies_of_it(solver):
    """Doubling the rows of CSR data adds far less traced memory than the data's own size:
    no copy of X (a full pass once copied it chunk by chunk), only arrays of n_features x
    n_outputs and a few numbers per row (predictions, targets)."""
    rng = np.random.default_rng(0)
    extra, data_bytes = [], []
    for n_samples in (10_000, 20_000):
        indices = rng.integers(0, 50_000, size=(n_samples, 50))
        indptr = np.arange(0, indices.size + 1, 50)
        X = sp.csr_matrix((rng.random(indices.size), indices.ravel(), indptr), (n_samples, 50_000))
        y = (X @ rng.standard_normal(X.shape[1]) > 0).astype(int)
        size = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
        tracemalloc.start()
        SGDClassifier(solver=solver, max_iter=3, tol=None if solver == "sgd" else 1e-3).fit(X, y)
        extra.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        data_bytes.append(size)
    assert extra[1] - extra[0] < 0.3 * (data_bytes[1] - data_bytes[0]), (extra, data_bytes)


def test_sparse_logistic_fit_at_defaults_reaches_the_exact_optimum():
    """20,000 x 5,000 CSR rows (SGD epochs, then the full-batch phase): the objective at
    default settings is within 0.1% of scipy's L-BFGS optimum of the same objective."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    n_samples, n_features, alpha = 20_000, 5_000, 1e-4
    indices = np.sort(rng.integers(0, n_features, size=(n_samples, 20)), axis=1)
    values = rng.exponential(size=indices.shape)
    X = sp.csr_matrix((values.ravel(), indices.ravel(), np.arange(0, indices.size + 1, 20)))
    X.sum_duplicates()
    margin = X @ (rng.standard_normal(n_features) * (rng.random(n_features) < 0.2)) - 0.5
    y = (rng.random(n_samples) < 1 / (1 + np.exp(-margin))).astype(int)
    t = 2 * y - 1

    def objective(theta):
        w, b = theta[:-1], theta[-1]
        z = t * (X @ w + b)
        s = 1 / (1 + np.exp(z))
        value = np.logaddexp(0, -z).mean() + alpha / 2 * w @ w
        gradient = np.append(-(X.T @ (t * s)) / n_samples + alpha * w, -(t * s).mean())
        return value, gradient

    options = {"maxiter": 5000, "gtol": 1e-12, "ftol": 1e-15}
    optimum = minimize(
        objective, np.zeros(n_features + 1), jac=True, method="L-BFGS-B", options=options
    ).fun
    model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=0).fit(X, y)
    achieved = objective(np.append(model.coef_.ravel(), model.intercept_))[0]
    assert optimum * (1 - 1e-12) <= achieved <= optimum * (1 + 1e-3), (achieved, optimum)


def test_wide_sparse_logistic_fit_at_defaults_reaches_the_optimum_in_few_iterations():
    """500 x 200,000 CSR rows of uniform values (most columns store one value or none):
    the default fit matches LogisticRegression's objective to 1e-6 within 100 full-batch
    iterations, with no ConvergenceWarning. Without per-coefficient units in the full-batch
    phase (columns of small stored values, scaled up by the preconditioner, have a large
    penalty curvature; rare ones a small data curvature), L-BFGS took 1,000 iterations and
    ended 54% above the optimum."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n_samples, n_features, alpha = 500, 200_000, 1e-4
    X = sp.csr_matrix(
        sp.random_array(
            (n_samples, n_features), density=50 / n_features, rng=rng, data_sampler=rng.random
        )
    )
    y = (X @ rng.standard_normal(n_features) + 0.3 * rng.standard_normal(n_samples) > 0).astype(int)

    def objective(coef, intercept):
        margin = (2 * y - 1) * (X @ coef + intercept)
        return np.logaddexp(0, -margin).mean() + alpha / 2 * coef @ coef

    exact = LogisticRegression(C=1 / (n_samples * alpha), tol=1e-10, max_iter=10_000).fit(X, y)
    optimum = objective(exact.coef_.ravel(), exact.intercept_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=0).fit(X, y)
    assert model.n_full_batch_iter_ <= 100
    achieved = objective(model.coef_.ravel(), model.intercept_[0])
    assert achieved <= optimum * (1 + 1e-6), (achieved, optimum)


def test_sparse_column_moments_match_the_dense_ones():
    """CSR column means and variances equal numpy's (two-pass) on the dense matrix: a
    column stored in every row offset by 1e10 with unit spread (the two-pass path), a
    column stored in 99% of the rows offset by 1e3, rare columns and an empty one."""
    from sklosses._engine._moments import column_moments

    rng = np.random.default_rng(0)
    n_samples = 2000
    dense = np.zeros((n_samples, 4))
    dense[:, 0] = 1e10 + rng.standard_normal(n_samples)
    dense[rng.random(n_samples) < 0.99, 1] = 1e3 + rng.standard_normal()
    rare = rng.random(n_samples) < 0.01
    dense[rare, 2] = rng.exponential(size=rare.sum())
    mean, variance, stored_share = column_moments(sp.csr_matrix(dense))
    np.testing.assert_allclose(mean, dense.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, dense.var(axis=0), rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(stored_share, (dense != 0).mean(axis=0))
