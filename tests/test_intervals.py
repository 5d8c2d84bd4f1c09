"""MultiQuantileRegressor: one engine run for several quantiles, non-crossing intervals."""

import numpy as np
import pytest
from sklearn.linear_model import QuantileRegressor

from sklosses.intervals import MultiQuantileRegressor
from sklosses.losses import MultiQuantileLoss, QuantileLoss


def _data(n_samples, heteroscedastic, seed):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 2, n_samples), rng.normal(size=(n_samples, 3))])
    noise = rng.normal(size=n_samples) * ((0.5 + X[:, 0]) if heteroscedastic else 1.0)
    return X, X @ [2.0, 1.0, -1.0, 0.5] + 1.0 + noise


@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_interval_coverage_within_two_points(heteroscedastic):
    X, y = _data(20000, heteroscedastic, seed=0)
    X_test, y_test = _data(20000, heteroscedastic, seed=1)
    model = MultiQuantileRegressor(quantiles=(0.05, 0.5, 0.95), random_state=0).fit(X, y)
    low, median, high = model.predict(X_test).T
    coverage = np.mean((low <= y_test) & (y_test <= high))
    assert abs(coverage - 0.90) <= 0.02, coverage
    assert abs(np.mean(y_test <= median) - 0.5) <= 0.02
    if heteroscedastic:  # the interval widens with the noise scale
        assert np.corrcoef(X_test[:, 0], high - low)[0, 1] > 0.9


def test_predictions_never_cross():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(300, 5)), rng.normal(size=300)  # pure noise: crossing-prone
    model = MultiQuantileRegressor(quantiles=(0.4, 0.45, 0.5, 0.55, 0.6), random_state=0)
    prediction = model.fit(X, y).predict(rng.normal(scale=10, size=(2000, 5)))
    assert (np.diff(prediction, axis=1) >= 0).all()


def test_each_quantile_matches_the_exact_quantile_regression():
    X, y = _data(3000, heteroscedastic=True, seed=3)
    X_test, y_test = _data(3000, heteroscedastic=True, seed=4)
    quantiles = (0.1, 0.9)
    model = MultiQuantileRegressor(quantiles=quantiles, random_state=0).fit(X, y)
    prediction = model.predict(X_test)
    for k, quantile in enumerate(quantiles):
        exact = QuantileRegressor(quantile=quantile, alpha=0.0, solver="highs").fit(X, y)
        loss = QuantileLoss(quantile)
        optimum = loss.loss(y_test, exact.predict(X_test)).mean()
        assert loss.loss(y_test, prediction[:, k]).mean() <= 1.01 * optimum


def test_score_is_minus_the_mean_pinball_loss():
    X, y = _data(1000, heteroscedastic=False, seed=5)
    model = MultiQuantileRegressor(quantiles=(0.2, 0.8), random_state=0).fit(X, y)
    prediction = model.predict(X)
    expected = np.mean(
        [QuantileLoss(q).loss(y, prediction[:, k]).mean() for k, q in enumerate((0.2, 0.8))]
    )
    assert model.score(X, y) == pytest.approx(-expected)


@pytest.mark.parametrize("quantiles", [(), (0.5, 0.5), (0.9, 0.1), (0.0, 0.5), (0.5, 1.2)])
def test_invalid_quantiles_are_refused(quantiles):
    with pytest.raises(ValueError, match="quantiles"):
        MultiQuantileRegressor(quantiles=quantiles).fit(np.ones((10, 1)), np.arange(10.0))


def test_multi_quantile_loss_is_the_quantile_loss_per_column():
    rng = np.random.default_rng(6)
    y, raw = rng.normal(size=(2, 50, 3))
    loss = MultiQuantileLoss(quantiles=(0.1, 0.5, 0.7))
    for k, quantile in enumerate(loss.quantiles):
        np.testing.assert_allclose(
            loss.loss(y, raw)[:, k], QuantileLoss(quantile).loss(y[:, k], raw[:, k])
        )
        np.testing.assert_allclose(
            loss.gradient(y, raw)[:, k], QuantileLoss(quantile).gradient(y[:, k], raw[:, k])
        )
