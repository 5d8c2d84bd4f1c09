"""Steps too long for the data: a clear error or a recovery, never a silently worse model.

The fixed schedules (``constant``, ``invscaling``, ``adaptive``) take the step the
user chose; with ``eta0`` from 1 to 1e6 on standard-normal data the SGD iterate blows
up. The divergence guard compares every epoch with the objective of the constant model
training started from (known before the first epoch), and a fit whose final model is
worse than that constant is an error as well.
"""

import numpy as np
import pytest

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import DivergenceError


@pytest.fixture
def regression_problem(make_regression_data):
    """200 rows of five standard normal features, no intercept, noise of unit variance."""
    return make_regression_data(200, coef=[1.0, -2.0, 0.5, 0.0, 3.0], intercept=0.0, noise=1.0)


def _objective_of(model, X, y):
    """Mean squared error plus the L2 penalty of the fitted model (the documented
    objective of the default squared loss)."""
    residual = y - X @ model.coef_ - model.intercept_[0]
    return np.mean(residual**2) + 0.5 * model.alpha_ * model.coef_ @ model.coef_


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("eta0", [1.0, 10.0, 1e3, 1e6])
def test_long_fixed_steps_raise_or_beat_the_constant(learning_rate, eta0, regression_problem):
    X, y = regression_problem
    constant_objective = np.var(y)
    model = SGDRegressor(learning_rate=learning_rate, eta0=eta0, random_state=0)
    try:
        model.fit(X, y)
    except ValueError as error:
        assert isinstance(error, DivergenceError)
        assert "eta0" in str(error)
        return
    assert np.all(np.isfinite(model.coef_))
    assert model.objective_ <= constant_objective
    assert _objective_of(model, X, y) == pytest.approx(model.objective_, rel=1e-9)


def test_the_guard_acts_within_the_first_epoch(regression_problem):
    """``constant`` with ``eta0=10`` used to return coefficients of 1e101: the first
    epoch had no earlier objective to compare with."""
    X, y = regression_problem
    with pytest.raises(DivergenceError, match="eta0=10"):
        SGDRegressor(learning_rate="constant", eta0=10, random_state=0).fit(X, y)


def test_negative_power_t_grows_the_step_and_is_caught(regression_problem):
    X, y = regression_problem
    with pytest.warns(FutureWarning, match="power_t"), pytest.raises(DivergenceError):
        SGDRegressor(learning_rate="invscaling", eta0=0.1, power_t=-1, random_state=0).fit(X, y)


@pytest.mark.parametrize("eta0", [1.0, 1e3])
def test_classifier_with_long_fixed_steps_raises_or_beats_the_constant(eta0):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4))
    y = (X[:, 0] + 0.5 * rng.standard_normal(300) > 0).astype(int)
    model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=eta0, random_state=0)
    try:
        model.fit(X, y)
    except DivergenceError:
        return
    assert model.objective_ <= np.log(2) + 1e-12


def test_automatic_steps_recover_on_badly_scaled_data(regression_problem):
    """The default schedule retries an exploding epoch with a shorter step and the
    full-batch phase then reaches the optimum: no error."""
    X, y = regression_problem
    X = X * np.array([1e-3, 1.0, 1e3, 1e5, 1.0]) + 1e4
    model = SGDRegressor(random_state=0, penalty=None).fit(X, y)
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    exact_mse = np.mean((y - np.column_stack([X, np.ones(len(X))]) @ exact) ** 2)
    assert model.objective_ <= exact_mse * (1 + 1e-3)
