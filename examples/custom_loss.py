"""
Write your own loss: an asymmetric squared loss for costly under-forecasts
==========================================================================

A loss is a small class with ``loss`` and ``gradient`` in numpy (a Loss
subclass, so its parameters work with ``clone`` and grid searches). Here an
under-prediction costs ``weight`` times more than an over-prediction:

    loss(y, f) = weight * (y - f)**2 if y > f else (y - f)**2

We check the gradient, register the loss by name, train it, score it with its
own scorer, and grid-search ``weight`` with a *fixed* business metric (the
weight-4 loss), as the README recommends. A second loss, Cauchy, is written
without a gradient: sklosses differentiates it numerically (and warns).

Run: ``python examples/custom_loss.py``
"""

import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDRegressor
from sklosses.losses import Loss, check_gradient, register_loss
from sklosses.metrics import get_scorer, make_loss_scorer, mean_loss


class AsymmetricSquaredLoss(Loss):
    """``weight * r**2`` if ``r = y - raw > 0`` (under-prediction), else ``r**2``."""

    def __init__(self, weight=4.0):
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


class CauchyLoss(Loss):
    """``log(1 + (y - raw)**2)``: robust; only the loss is written."""

    def loss(self, y_true, raw_prediction):
        return np.log1p((y_true - raw_prediction) ** 2)


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 6))
    y = X @ rng.normal(size=6) + 10 + rng.gumbel(size=5000) * 2
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    points = rng.normal(size=(2, 1000))
    print(f"gradient check, relative error: {check_gradient(AsymmetricSquaredLoss(), *points):.1e}")
    register_loss("asymmetric_squared", AsymmetricSquaredLoss)

    business_metric = make_loss_scorer(AsymmetricSquaredLoss(weight=4.0))
    for loss in ["squared_error", "asymmetric_squared"]:
        model = make_pipeline(StandardScaler(), SGDRegressor(loss=loss, random_state=0))
        model.fit(X_train, y_train)
        under = np.mean(model.predict(X_test) < y_test)
        print(
            f"trained with {loss:19s} test cost {-business_metric(model, X_test, y_test):7.3f}"
            f"   under-forecasts {under:.0%}"
        )

    search = GridSearchCV(
        make_pipeline(StandardScaler(), SGDRegressor(loss=AsymmetricSquaredLoss(), random_state=0)),
        {"sgdregressor__loss__weight": [1.0, 2.0, 4.0, 8.0]},
        scoring=get_scorer("neg_mean_asymmetric_squared_loss"),
        cv=5,
    )
    # get_scorer gives the registered default (weight=4): a fixed metric for every candidate
    search.fit(X_train, y_train)
    print("grid search over weight, scored by the weight-4 cost:", search.best_params_)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        robust = SGDRegressor(loss=CauchyLoss(), random_state=0).fit(X_train, y_train)
    print(
        f"Cauchy loss (numerical gradient, {len(caught) > 0 and 'warned' or 'no warning'}): "
        f"test MAE {mean_loss('absolute_error', y_test, robust.predict(X_test)):.3f}"
    )


if __name__ == "__main__":
    main()
