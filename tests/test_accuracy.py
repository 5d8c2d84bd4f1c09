"""Default settings land within 1% of the exact optimum's held-out loss.

Each loss is trained with default parameters on standardised data and its
test loss is compared with that of the exact minimiser of the same objective
(``exact_solvers.py``: closed form, LogisticRegression, QuantileRegressor,
L-BFGS), both evaluated on held-out data.
"""

import numpy as np
import pytest
from exact_solvers import exact_solution, standardised_problem

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import (
    AbsoluteLoss,
    FocalLoss,
    HingeLoss,
    HuberLoss,
    LogCoshLoss,
    LogLoss,
    QuantileLoss,
    SquaredLoss,
)

CASES = [
    (SquaredLoss(), 20000),
    (HuberLoss(), 20000),
    (AbsoluteLoss(), 4000),  # the exact LP solver (HiGHS) grows ~n^2
    (QuantileLoss(0.1), 4000),
    (QuantileLoss(0.9), 4000),
    (HingeLoss(), 20000),
    (LogLoss(), 20000),
    (FocalLoss(), 20000),
    (FocalLoss(gamma=1.0, alpha=0.25), 20000),
]


@pytest.mark.parametrize("loss, n_samples", CASES, ids=[repr(loss) for loss, _ in CASES])
def test_default_settings_within_one_percent_of_exact_optimum(loss, n_samples):
    X, y, X_test, y_test = standardised_problem(n_samples, 10, loss.task, seed=0)
    exact_coef, exact_intercept = exact_solution(loss, X, y)
    optimum = loss.loss(y_test, X_test @ exact_coef + exact_intercept).mean()

    estimator = SGDRegressor if loss.task == "regression" else SGDClassifier
    model = estimator(loss=loss, random_state=0).fit(X, y)
    raw = X_test @ model.coef_.ravel() + model.intercept_[0]
    achieved = loss.loss(y_test, raw).mean()

    assert achieved <= 1.01 * optimum, (achieved, optimum)
    # not vacuous: a clearly wrong model is far outside the tolerance
    assert loss.loss(y_test, 0.5 * raw).mean() > 1.01 * optimum


@pytest.mark.parametrize("loss", [HuberLoss(delta=1.0), LogCoshLoss()], ids=repr)
@pytest.mark.parametrize("target_scale", [10, 100])
def test_robust_losses_with_targets_far_wider_than_their_quadratic_zone(loss, target_scale):
    """Huber with ``delta=1`` (log-cosh alike) on targets and noise in the hundreds:
    almost every residual sits in the linear tail, where the curvature is zero. The
    automatic step uses the loss's mean curvature (``hessian``) at the start instead of
    its smoothness 1, whose ~100x too short steps stopped training 12% above the
    optimum (0.4% at scale 10)."""
    X, y, X_test, y_test = standardised_problem(20000, 10, "regression", seed=0)
    y, y_test = target_scale * y, target_scale * y_test
    exact_coef, exact_intercept = exact_solution(loss, X, y)
    optimum = loss.loss(y_test, X_test @ exact_coef + exact_intercept).mean()
    model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    achieved = loss.loss(y_test, model.predict(X_test)).mean()
    assert achieved <= 1.001 * optimum, (achieved, optimum)


def test_exact_solver_is_optimal_for_its_objective():
    """The reference is a true minimiser: perturbing it raises the training objective."""
    X, y, _, _ = standardised_problem(2000, 5, "binary", seed=1)
    loss, alpha = HingeLoss(), 1e-4
    coef, intercept = exact_solution(loss, X, y, alpha=alpha)

    def objective(c, b):
        return loss.loss(y, X @ c + b).mean() + alpha / 2 * c @ c

    best = objective(coef, intercept)
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert objective(coef + 1e-3 * rng.normal(size=coef.shape), intercept) >= best - 1e-9


@pytest.mark.parametrize("loss", [SquaredLoss(), HingeLoss(), LogLoss()], ids=repr)
def test_unscaled_columns_reach_the_same_optimum(loss):
    """Columns with scales from 1e-3 to 1e4 and large offsets: still within 1%.

    The engine standardises implicitly (it never copies X), so no StandardScaler
    is needed for the default settings to converge.
    """
    X, y, X_test, y_test = standardised_problem(20000, 10, loss.task, seed=2)
    scales = np.logspace(-3, 4, X.shape[1])
    offsets = np.linspace(-500, 500, X.shape[1])
    X_raw, X_test_raw = X * scales + offsets, X_test * scales + offsets
    exact_coef, exact_intercept = exact_solution(loss, X, y)
    optimum = loss.loss(y_test, X_test @ exact_coef + exact_intercept).mean()

    estimator = SGDRegressor if loss.task == "regression" else SGDClassifier
    # no penalty: an L2 penalty on raw-scale coefficients is another objective (and
    # alpha=1e-4 barely moves the standardised optimum used as the reference)
    model = estimator(loss=loss, random_state=0, penalty=None).fit(X_raw, y)
    raw = X_test_raw @ model.coef_.ravel() + model.intercept_[0]
    assert loss.loss(y_test, raw).mean() <= 1.01 * optimum


@pytest.mark.parametrize("chunk", [10, 200])
def test_a_log_loss_stream_in_small_chunks_ends_near_the_optimum(chunk):
    """partial_fit on 20k rows in chunks of ``chunk``: the averaged model ends within 0.5% of
    the optimum. A constant automatic step left averaged SGD a step's worth of bias away
    from it on the log loss (8.7% above on 100k rows in chunks of 10); it decays by calls."""
    X, y, _, _ = standardised_problem(20_000, 20, "binary", seed=3)
    best = SGDClassifier(loss="log_loss", tol=1e-10, max_iter=1000).fit(X, y).objective_
    model = SGDClassifier(loss="log_loss", random_state=0)
    for start in range(0, len(X), chunk):
        model.partial_fit(X[start : start + chunk], y[start : start + chunk], classes=[0, 1])
    raw = X @ model.coef_.ravel() + model.intercept_[0]
    value = np.mean(np.logaddexp(0, raw) - y * raw) + model.alpha_ / 2 * np.sum(model.coef_**2)
    assert value <= best * 1.005


def test_l_bfgs_stops_on_its_excess_not_only_its_gradient():
    """Beyond Newton's 1000 columns the full-batch phase runs L-BFGS-B, whose gradient rule
    alone ended a weakly penalised log loss 5e-5 above the minimum (1,500 x 1,100,
    alpha=1e-5): the excess, half of ``g . H^-1 g`` by conjugate gradients on the
    Hessian, must also be below ``tol / 100`` of the objective. Against scikit-learn's
    ``LogisticRegression`` with a tight tolerance (the same objective)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    n_samples, n_features, alpha = 1500, 1100, 1e-5
    X = rng.standard_normal((n_samples, n_features))
    coef = np.where(rng.random(n_features) < 0.2, 2 * rng.normal(size=n_features), 0.0)
    y = (X @ coef + 0.3 * rng.logistic(size=n_samples) > 0).astype(int)
    model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=0).fit(X, y)
    reference = LogisticRegression(C=1 / (n_samples * alpha), tol=1e-12, max_iter=50_000)
    reference.fit(X, y)

    def objective(fitted):
        raw = X @ fitted.coef_[0] + fitted.intercept_[0]
        return (
            np.mean(np.logaddexp(0, raw) - y * raw) + alpha / 2 * fitted.coef_[0] @ fitted.coef_[0]
        )

    assert objective(model) <= objective(reference) * (1 + 1e-5)
