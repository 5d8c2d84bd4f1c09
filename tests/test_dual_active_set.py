"""The dual finish (:mod:`sklosses._engine._dual_active_set`): on data whose Hessians
Newton does not take (CSR rows, dense rows of more than 1,000 columns), a piecewise-linear
loss with an L2 penalty ends at its exact minimiser, certified by an independent solver
(``real_data.exact_reference``: its duality gap bounds its own excess), and a loss that
is not piecewise linear is left to the continuation."""

import warnings

import numpy as np
import pytest
import real_data
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import _continuation
from sklosses.losses import (
    AbsoluteLoss,
    EpsilonInsensitiveLoss,
    HingeLoss,
    HuberLoss,
    Loss,
    QuantileLoss,
)

ALPHA = 1e-3


@pytest.fixture
def finishes(monkeypatch):
    """The outcomes of the dual finish's calls in a test, one per output and attempt."""
    outcomes = []
    finish = _continuation.dual_exact_solution

    def counted(*args):
        outcomes.append(finish(*args))
        return outcomes[-1]

    monkeypatch.setattr(_continuation, "dual_exact_solution", counted)
    return outcomes


def sparse_rows(n_samples=300, n_features=2000, per_row=10, seed=0):
    """CSR rows with ``per_row`` random columns of standard-normal values, and a dense
    linear signal of them."""
    rng = np.random.default_rng(seed)
    columns = np.concatenate(
        [rng.choice(n_features, per_row, replace=False) for _ in range(n_samples)]
    )
    X = sp.csr_matrix(
        (
            rng.normal(size=n_samples * per_row),
            columns,
            np.arange(0, n_samples * per_row + 1, per_row),
        ),
        shape=(n_samples, n_features),
    )
    signal = X @ rng.normal(size=n_features)
    return X, signal + 0.5 * rng.normal(size=n_samples)


def certified_gap(loss, estimator, X, y, task, fit_intercept=True, alpha=ALPHA):
    """The model's objective above the certified optimum, relative (in float64, on dense
    rows), and the certificate."""
    dense = X.toarray() if sp.issparse(X) else X
    Y = real_data.encode(real_data.DataSet("probe", dense, y, task), loss)
    reference = real_data.exact_reference(loss, dense, Y, alpha, fit_intercept)
    W, b = real_data.model_coefficients(estimator)
    value = real_data.objective(real_data.spec(loss), dense, Y, W, b, alpha)
    return (value - reference.value) / reference.value, reference.certified


@pytest.mark.parametrize(
    "loss", [QuantileLoss(0.3), AbsoluteLoss(), EpsilonInsensitiveLoss(epsilon=0.5)]
)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_regression_losses_on_csr_rows_end_at_the_exact_minimiser(loss, fit_intercept, finishes):
    X, y = sparse_rows()
    model = SGDRegressor(loss=loss, alpha=ALPHA, fit_intercept=fit_intercept, random_state=0)
    model.fit(X, y)
    assert finishes and finishes[-1]
    assert model.optimality_ == 0.0
    gap, certified = certified_gap(loss, model, X, y, "regression", fit_intercept)
    assert certified < 1e-9
    assert abs(gap) < 1e-8


def test_the_hinge_loss_on_bag_of_words_rows_ends_at_the_exact_minimiser(finishes):
    """Wide rows, labels from a linear signal: most samples end on the margin, the case the
    continuation crawled on (hundreds of Newton steps)."""
    X, signal = sparse_rows(n_samples=400, n_features=5000, per_row=20, seed=1)
    y = np.where(signal > np.median(signal), 1, -1)
    model = SGDClassifier(alpha=ALPHA, random_state=0).fit(X, y)
    assert finishes and all(finishes[-1:])
    gap, certified = certified_gap(HingeLoss(), model, X, y, "binary")
    assert certified < 1e-9
    assert abs(gap) < 1e-8


def test_sample_weights_and_one_vs_rest_outputs(finishes):
    """Three one-vs-rest hinge outputs with sample weights: every output finished, and the
    same model as the rows repeated by integer weights."""
    X, signal = sparse_rows(n_samples=240, n_features=3000, seed=2)
    y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    weight = np.random.default_rng(3).integers(1, 4, len(y))
    model = SGDClassifier(alpha=ALPHA, random_state=0).fit(X, y, sample_weight=weight)
    assert len(finishes) >= 3 and all(finishes[-3:])
    repeated = np.repeat(np.arange(len(y)), weight)
    plain = SGDClassifier(alpha=ALPHA, random_state=0).fit(X[repeated], y[repeated])
    assert_allclose(model.coef_, plain.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(model.intercept_, plain.intercept_, rtol=1e-6, atol=1e-8)


def test_dense_rows_of_many_columns(finishes):
    """Dense rows of 1,100 columns (Newton's Hessians do not fit; L-BFGS-B solves the
    envelopes): the 0.9 quantile ends at the exact minimiser."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 1100))
    y = X[:, :20] @ rng.normal(size=20) + rng.standard_exponential(300)
    loss = QuantileLoss(0.9)
    model = SGDRegressor(loss=loss, alpha=ALPHA, random_state=0).fit(X, y)
    assert finishes and finishes[-1]
    gap, certified = certified_gap(loss, model, X, y, "regression")
    assert certified < 1e-9
    assert abs(gap) < 1e-8


class AbsolutePlusHalfSquaredLoss(Loss):
    """``|r| + r**2 / 2`` with ``r = raw - y``: a kink, and curved between kinks."""

    def loss(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return np.abs(residual) + 0.5 * residual**2

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return np.sign(residual) + residual


def test_a_loss_that_is_not_piecewise_linear_is_left_to_the_continuation(finishes):
    """Curved between its kinks, the loss's envelope has curvatures strictly between 0 and
    ``1 / width`` wherever a sample is off its kink: on more samples than columns (most
    off their kinks) no partition describes its minimiser, every attempt of the finish
    declines at once, and the continuation ends within tol of the objective it reaches
    with a tight tol. (On fewer samples than columns every sample can sit at the kink,
    where the partition's conditions are the loss's own, and the finish is exact.)"""
    X, y = sparse_rows(n_samples=3000, n_features=300, seed=5)
    loss = AbsolutePlusHalfSquaredLoss()
    model = SGDRegressor(loss=loss, alpha=ALPHA, random_state=0).fit(X, y)
    assert finishes and not any(finishes)
    tight = SGDRegressor(loss=loss, alpha=ALPHA, tol=1e-7, random_state=0).fit(X, y)
    assert model.objective_ <= tight.objective_ * (1 + 1e-5)


def test_a_sum_of_stand_ins_is_not_finished(finishes):
    """A composite loss's stand-in is a sum of envelopes, not the envelope of one
    piecewise-linear loss: the finish is not tried."""
    X, y = sparse_rows(seed=6)
    SGDRegressor(loss=0.5 * HuberLoss() + 0.5 * QuantileLoss(0.7), alpha=ALPHA).fit(X, y)
    assert not finishes


def test_all_samples_on_the_margin_of_wide_csr_rows():
    """300 x 5,000 CSR rows and alpha=1e-5: every sample ends on the margin. The projected
    conjugate gradients broke down on that system (divisions by zero, then the
    continuation ran to max_iter, 4x above the optimum); it is now formed and solved
    directly, and the CSR fit equals the dense one, without a warning."""
    X, signal = sparse_rows(n_samples=300, n_features=5000, per_row=15, seed=7)
    y = np.where(signal > np.median(signal), 1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        on_csr = SGDClassifier(alpha=1e-5, random_state=0).fit(X, y)
        dense = SGDClassifier(alpha=1e-5, random_state=0).fit(X.toarray(), y)
    assert on_csr.objective_ == pytest.approx(dense.objective_, rel=1e-8)
    gap, certified = certified_gap(HingeLoss(), on_csr, X, y, "binary", alpha=1e-5)
    assert certified < 1e-9 and abs(gap) < 1e-8
