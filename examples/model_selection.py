"""
Tune loss parameters with the loss scorers: quantile regression and focal classification
========================================================================================

* A 0.9-quantile model: ``GridSearchCV`` over ``alpha`` and ``penalty`` of a
  ``StandardScaler`` + ``SGDRegressor(loss=QuantileLoss(0.9))`` pipeline, scored
  with the pinball loss at 0.9 -- the metric the model is meant for.
* A Huber model whose ``delta`` is tuned: scored by a *fixed* metric (MAE),
  never by the Huber loss itself -- a smaller ``delta`` always gives a smaller
  Huber loss, so scoring by the loss being tuned rewards the parameter, not
  the model.
* An imbalanced classifier: ``RandomizedSearchCV`` over ``loss__gamma``,
  ``loss__alpha`` and ``alpha`` of a focal-loss classifier, scored by several
  metrics at once (``refit`` on average precision).
* ``cross_validate`` reporting every regression loss at once.

Run: ``python examples/model_selection.py``
"""

import numpy as np
from scipy.stats import loguniform, uniform
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import LOSSES, FocalLoss, HuberLoss, QuantileLoss
from sklosses.metrics import get_scorer, make_loss_scorer


def tune_quantile_model(X, y):
    pipeline = make_pipeline(
        StandardScaler(), SGDRegressor(loss=QuantileLoss(quantile=0.9), random_state=0)
    )
    search = GridSearchCV(
        pipeline,
        {"sgdregressor__alpha": [1e-5, 1e-3, 1e-1], "sgdregressor__penalty": ["l2", "l1"]},
        scoring=make_loss_scorer(QuantileLoss(quantile=0.9)),
        cv=5,
    )
    search.fit(X, y)
    print(
        "0.9-quantile model: best",
        search.best_params_,
        f"mean pinball(0.9) {-search.best_score_:.3f}",
    )


def tune_huber_delta(X, y):
    # loss__delta needs the loss *object* (a registry string has no parameters)
    pipeline = make_pipeline(StandardScaler(), SGDRegressor(loss=HuberLoss(), random_state=0))
    search = GridSearchCV(
        pipeline,
        {"sgdregressor__loss__delta": [0.1, 1.0, 10.0, 100.0]},
        scoring="neg_mean_absolute_error",
        cv=5,
    )
    search.fit(X, y)
    print("Huber model: best", search.best_params_, f"MAE {-search.best_score_:.3f}")


def tune_focal_classifier(X, y):
    pipeline = make_pipeline(
        StandardScaler(), SGDClassifier(loss=FocalLoss(gamma=2.0), random_state=0)
    )
    scoring = {
        "focal": get_scorer("neg_mean_focal_loss"),
        "log_loss": get_scorer("neg_mean_log_loss"),
        "average_precision": "average_precision",
    }
    search = RandomizedSearchCV(
        pipeline,
        {
            "sgdclassifier__loss__gamma": uniform(0, 4),
            "sgdclassifier__loss__alpha": [None, 0.25, 0.5, 0.75],
            "sgdclassifier__alpha": loguniform(1e-6, 1e-2),
        },
        n_iter=12,
        scoring=scoring,
        refit="average_precision",
        cv=4,
        random_state=0,
    )
    search.fit(X, y)
    best = {
        key.split("__", 1)[1]: (f"{value:.3g}" if value is not None else None)
        for key, value in search.best_params_.items()
    }
    print("Focal classifier: best", best, f"average precision {search.best_score_:.3f}")


def accepts(loss, y):
    """Whether ``y`` lies in the loss's target domain (the Poisson loss needs y >= 0)."""
    try:
        loss.check_target(y.reshape(-1, 1))
    except ValueError:
        return False
    return True


def report_every_loss(X, y):
    names = [
        name for name, loss in LOSSES.items() if loss().task == "regression" and accepts(loss(), y)
    ]
    scoring = {name: make_loss_scorer(name) for name in names}
    results = cross_validate(
        make_pipeline(StandardScaler(), SGDRegressor(random_state=0)), X, y, scoring=scoring, cv=5
    )
    print("Squared-loss model, every regression loss over 5 folds:")
    for name in names:
        scores = -results[f"test_{name}"]
        print(f"  {name:15s} {scores.mean():9.3f} +- {scores.std():.3f}")


def main():
    X, y = make_regression(n_samples=2000, n_features=10, noise=10, random_state=0)
    y = y + np.random.default_rng(0).standard_t(2, size=len(y)) * 20  # heavy tails
    tune_quantile_model(X, y)
    tune_huber_delta(X, y)
    report_every_loss(X, y)
    X, y = make_classification(n_samples=3000, n_features=10, weights=[0.95], random_state=0)
    tune_focal_classifier(X, y)


if __name__ == "__main__":
    main()
