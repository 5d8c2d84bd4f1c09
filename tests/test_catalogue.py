"""Cross-checks of the loss catalogue against independent solvers of the same objective.

Each loss is trained by ``SGDRegressor`` / ``SGDClassifier`` with default settings on
standardised data (20,000 x 10) and its held-out loss is compared with that of an
independent minimiser of the same objective ``mean loss + alpha/2 ||w||^2``
(``alpha = 1e-4``):

* Poisson: ``sklearn.linear_model.PoissonRegressor`` (minimises ``1/(2n) sum deviance +
  alpha'/2 ||w||^2``, i.e. half our objective with ``alpha' = alpha / 2``);
* epsilon-insensitive: ``sklearn.svm.LinearSVR`` (``1/2 ||w||^2 + C sum loss``, i.e. our
  objective times ``1/alpha`` with ``C = 1 / (n alpha)``), solved in the dual by
  liblinear, which may stop short of the optimum (its tolerance is on the dual);
* squared hinge: ``sklearn.svm.LinearSVC`` in the primal, same ``C``;
* the other smooth losses: L-BFGS on the objective (``exact_solvers.exact_solution``).

liblinear also penalises the intercept, through a constant feature of value
``intercept_scaling``: large values make the intercept's penalty negligible
(``alpha/2 (b / intercept_scaling)^2`` in our units).

Every check can fail: the reference must reach a training objective at least as low as
SGD's (up to its own tolerance), and a clearly wrong model (half the raw predictions)
must be outside the tolerance.
"""

import numpy as np
import pytest
from exact_solvers import exact_solution, standardised_problem
from sklearn.datasets import make_classification
from sklearn.linear_model import PoissonRegressor
from sklearn.linear_model import SGDClassifier as SklearnSGDClassifier
from sklearn.metrics import mean_poisson_deviance
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import (
    EpsilonInsensitiveLoss,
    ExpectileLoss,
    ExponentialLoss,
    LogCoshLoss,
    ModifiedHuberLoss,
    PoissonLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredHingeLoss,
)

ALPHA = 1e-4
N_SAMPLES, N_FEATURES = 20000, 10


def fit_sgd(loss, X, y):
    """Default-settings SGD model."""
    estimator = SGDRegressor if loss.task == "regression" else SGDClassifier
    return estimator(loss=loss, random_state=0).fit(X, y)


def objective(loss, X, y, coef, intercept):
    return loss.loss(y, X @ coef + intercept).mean() + ALPHA / 2 * coef @ coef


def check_against_reference(loss, data, reference, rtol, objective_slack=1e-7, model=None):
    """SGD's test loss is within ``rtol`` of the reference's, the reference is a
    minimiser (training objective not above SGD's beyond ``objective_slack``, relative),
    and a clearly wrong model is outside the tolerance. Returns the test-loss ratio."""
    X, y, X_test, y_test = data
    model = fit_sgd(loss, X, y) if model is None else model
    coef, intercept = model.coef_.ravel(), float(np.ravel(model.intercept_)[0])
    reference_coef, reference_intercept = reference
    optimum = loss.loss(y_test, X_test @ reference_coef + reference_intercept).mean()
    raw = X_test @ coef + intercept
    achieved = loss.loss(y_test, raw).mean()
    assert achieved <= (1 + rtol) * optimum, (achieved, optimum)
    assert objective(loss, X, y, reference_coef, reference_intercept) <= (
        1 + objective_slack
    ) * objective(loss, X, y, coef, intercept)
    assert loss.loss(y_test, 0.5 * raw).mean() > (1 + rtol) * optimum  # not vacuous
    return achieved / optimum


@pytest.fixture(scope="module")
def regression_problem():
    return standardised_problem(N_SAMPLES, N_FEATURES, "regression", seed=0)


@pytest.fixture(scope="module")
def binary_problem():
    return standardised_problem(N_SAMPLES, N_FEATURES, "binary", seed=0)


@pytest.fixture(scope="module")
def count_problem():
    return standardised_problem(N_SAMPLES, N_FEATURES, "counts", seed=0)


def test_poisson_matches_poisson_regressor(count_problem):
    X, y, X_test, y_test = count_problem
    reference = PoissonRegressor(alpha=ALPHA / 2, tol=1e-12, max_iter=10000).fit(X, y)
    model = SGDRegressor(loss="poisson", random_state=0).fit(X, y)
    check_against_reference(
        PoissonLoss(),
        count_problem,
        (reference.coef_, reference.intercept_),
        rtol=0.01,
        model=model,
    )
    # the same comparison with scikit-learn's metric, on the predicted means
    achieved = mean_poisson_deviance(y_test, model.predict(X_test))
    optimum = mean_poisson_deviance(y_test, reference.predict(X_test))
    assert achieved <= 1.01 * optimum, (achieved, optimum)


def test_poisson_with_widely_spread_means_on_correlated_features():
    rng = np.random.default_rng(0)
    mixing = 0.3 * rng.normal(size=(N_FEATURES, N_FEATURES)) + np.eye(N_FEATURES)
    X = StandardScaler().fit_transform(rng.standard_normal((2 * N_SAMPLES, N_FEATURES)) @ mixing)
    signal = X @ rng.normal(size=N_FEATURES)
    y = rng.poisson(np.exp(1 + 2 * signal / signal.std())).astype(float)
    X, X_test, y, y_test = X[:N_SAMPLES], X[N_SAMPLES:], y[:N_SAMPLES], y[N_SAMPLES:]
    reference = PoissonRegressor(alpha=ALPHA / 2, tol=1e-12, max_iter=10000).fit(X, y)
    model = SGDRegressor(loss="poisson", random_state=0).fit(X, y)
    achieved = mean_poisson_deviance(y_test, model.predict(X_test))
    # 10-12% above with SGD alone; the full-batch phase's Newton steps (curvature 2 mu)
    # reach the optimum
    assert achieved <= 1.001 * mean_poisson_deviance(y_test, reference.predict(X_test))


def test_epsilon_insensitive_matches_linear_svr(regression_problem):
    """2% tolerance: liblinear's dual solver may stop short of the primal optimum."""
    X, y, _, _ = regression_problem
    loss = EpsilonInsensitiveLoss(epsilon=0.1)
    reference = LinearSVR(
        loss="epsilon_insensitive",
        epsilon=loss.epsilon,
        C=1 / (len(y) * ALPHA),
        dual=True,
        intercept_scaling=10,
        tol=1e-4,
        max_iter=20000,
        random_state=0,
    ).fit(X, y)
    check_against_reference(
        loss,
        regression_problem,
        (reference.coef_, reference.intercept_[0]),
        rtol=0.02,
        objective_slack=1e-3,
    )


def test_squared_hinge_matches_linear_svc(binary_problem):
    X, y, _, _ = binary_problem
    reference = LinearSVC(
        loss="squared_hinge",
        C=1 / (len(y) * ALPHA),
        dual=False,
        intercept_scaling=100,
        tol=1e-10,
        max_iter=100000,
    ).fit(X, y)
    check_against_reference(
        SquaredHingeLoss(),
        binary_problem,
        (reference.coef_.ravel(), reference.intercept_[0]),
        rtol=0.01,
        objective_slack=1e-6,
    )


LBFGS_CASES = [
    LogCoshLoss(),
    SquaredEpsilonInsensitiveLoss(),
    ExpectileLoss(0.9),
    ExpectileLoss(0.1),
    ModifiedHuberLoss(),
    ExponentialLoss(),
]


@pytest.mark.parametrize("loss", LBFGS_CASES, ids=repr)
def test_smooth_losses_match_lbfgs(loss, regression_problem, binary_problem):
    data = regression_problem if loss.task == "regression" else binary_problem
    X, y, _, _ = data
    check_against_reference(loss, data, exact_solution(loss, X, y, alpha=ALPHA), rtol=0.01)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_modified_huber_probabilities_are_sklearns(n_classes):
    """``predict_proba`` of the same coefficients equals scikit-learn's SGDClassifier's
    for ``loss="modified_huber"`` (clipped, rescaled, and normalised one-vs-rest)."""
    X, y = make_classification(
        n_samples=300,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    ours = SGDClassifier(loss="modified_huber", random_state=0).fit(X, y)
    theirs = SklearnSGDClassifier(loss="modified_huber", max_iter=5, tol=None, random_state=0).fit(
        X, y
    )
    theirs.coef_, theirs.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
    probability = ours.predict_proba(X)
    np.testing.assert_allclose(probability, theirs.predict_proba(X), rtol=1e-12, atol=1e-15)
    assert 0 < np.mean((probability == 0) | (probability == 1)) < 1  # clipping is exercised
