"""Losses users write themselves: training, scoring, registering, numerical gradients."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from sklearn.model_selection import GridSearchCV

from sklosses import SGDRegressor
from sklosses.losses import LOSSES, Loss, check_gradient, register_loss
from sklosses.metrics import get_scorer, make_loss_scorer, mean_loss


class AsymmetricSquaredLoss(Loss):
    """``weight * r**2`` for under-prediction (r = y - raw > 0), ``r**2`` otherwise."""

    def __init__(self, weight=3.0):
        self.weight = weight

    @property
    def smoothness(self):
        return 2 * max(1.0, self.weight)

    def loss(self, y_true, raw_prediction):
        residual = y_true - raw_prediction
        return np.where(residual > 0, self.weight, 1.0) * residual**2

    def gradient(self, y_true, raw_prediction):
        residual = y_true - raw_prediction
        return -2 * np.where(residual > 0, self.weight, 1.0) * residual


class CauchyLossWithoutGradient(Loss):
    """``log(1 + r**2)``: only the loss is written; the gradient is numerical."""

    def loss(self, y_true, raw_prediction):
        return np.log1p((y_true - raw_prediction) ** 2)


class SoftmaxCrossEntropyWithoutGradient(Loss):
    """``logsumexp(raw) - sum_k y_k raw_k``, one value per row: only the loss is written."""

    task = "multiclass"
    scope = "sample"

    def loss(self, y_true, raw_prediction):
        return logsumexp(raw_prediction, axis=-1, keepdims=True) - (y_true * raw_prediction).sum(
            axis=-1, keepdims=True
        )


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    return X, X @ [1.0, -2.0, 0.5, 0.0] + 1.0 + rng.standard_t(2, size=2000)


def test_a_user_loss_trains_scores_and_tunes(regression_data):
    X, y = regression_data
    model = SGDRegressor(loss=AsymmetricSquaredLoss(weight=3.0), random_state=0).fit(X, y)
    residual = y - model.predict(X)
    assert np.mean(residual > 0) < 0.45  # under-prediction is penalised: shifted upwards
    scorer = make_loss_scorer(AsymmetricSquaredLoss(weight=3.0))
    assert scorer(model, X, y) == pytest.approx(
        -mean_loss(AsymmetricSquaredLoss(weight=3.0), y, model.predict(X))
    )
    search = GridSearchCV(
        SGDRegressor(loss=AsymmetricSquaredLoss(), random_state=0),
        {"loss__weight": [1.0, 3.0, 10.0]},
        scoring=scorer,
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"loss__weight": 3.0}  # scored by the weight-3 loss


def test_registering_a_loss_gives_a_name_and_a_scorer(regression_data):
    X, y = regression_data
    register_loss("asymmetric_squared", AsymmetricSquaredLoss)
    try:
        model = SGDRegressor(loss="asymmetric_squared", random_state=0).fit(X, y)
        scorer = get_scorer("neg_mean_asymmetric_squared_loss")
        assert scorer(model, X, y) == pytest.approx(
            -mean_loss("asymmetric_squared", y, model.predict(X))
        )
        with pytest.raises(ValueError, match="already registered"):
            register_loss("asymmetric_squared", AsymmetricSquaredLoss)
    finally:
        del LOSSES["asymmetric_squared"]


@pytest.mark.parametrize("bad", [3, "squared", object])
def test_register_refuses_what_is_not_a_loss_class(bad):
    with pytest.raises((TypeError, ValueError)):
        register_loss("bad_loss", bad)
    assert "bad_loss" not in LOSSES


def test_loss_without_gradient_uses_a_numerical_one_and_warns(regression_data):
    X, y = regression_data
    loss = CauchyLossWithoutGradient()
    rng = np.random.default_rng(1)
    targets, raw = rng.normal(size=(2, 500))
    with pytest.warns(UserWarning, match="finite differences"):
        numeric = loss.gradient(targets, raw)
    np.testing.assert_allclose(
        numeric, -2 * (targets - raw) / (1 + (targets - raw) ** 2), rtol=1e-6, atol=1e-9
    )
    with pytest.warns(UserWarning, match="finite differences"):
        model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.coef_, [1.0, -2.0, 0.5, 0.0], atol=0.1)


def test_numerical_gradient_of_a_loss_coupling_the_outputs():
    """A sample-scope loss gets finite differences one output column at a time."""
    rng = np.random.default_rng(3)
    targets = np.eye(3)[rng.integers(3, size=50)]
    raw = rng.normal(scale=2, size=(50, 3))
    with pytest.warns(UserWarning, match="finite differences"):
        numeric = SoftmaxCrossEntropyWithoutGradient().gradient(targets, raw)
    np.testing.assert_allclose(numeric, softmax(raw, axis=1) - targets, rtol=1e-6, atol=1e-9)


def test_check_gradient_catches_a_wrong_gradient():
    rng = np.random.default_rng(2)
    targets, raw = rng.normal(size=(2, 100))
    assert check_gradient(AsymmetricSquaredLoss(), targets, raw) < 1e-5

    class Wrong(AsymmetricSquaredLoss):
        def gradient(self, y_true, raw_prediction):
            return 0.5 * super().gradient(y_true, raw_prediction)

    with pytest.raises(ValueError, match="gradient"):
        check_gradient(Wrong(), targets, raw)
