"""Model selection with sklosses inside pipelines: searches over loss parameters,
multi-metric scoring, cross_validate over every loss, sample_weight routing."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RandomizedSearchCV,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import LOSSES, FocalLoss, HuberLoss, QuantileLoss
from sklosses.metrics import get_scorer, make_loss_scorer, mean_loss


@pytest.fixture(scope="module")
def heavy_tailed_regression():
    """Student-t(2) noise on top of ``make_regression``'s Gaussian noise: outliers."""
    X, y = make_regression(n_samples=600, n_features=5, noise=5.0, random_state=0)
    y = y + np.random.default_rng(0).standard_t(2, size=len(y)) * 5
    return X, y


def test_search_over_quantile_scored_by_fixed_pinball_picks_that_quantile(heavy_tailed_regression):
    """Tuning loss__quantile with the pinball loss at 0.9 selects the quantile 0.9."""
    X, y = heavy_tailed_regression
    pipeline = make_pipeline(StandardScaler(), SGDRegressor(loss=QuantileLoss(), random_state=0))
    search = GridSearchCV(
        pipeline,
        {
            "sgdregressor__loss__quantile": [0.1, 0.5, 0.9],
            "sgdregressor__alpha": [1e-4, 1e-3],
            "sgdregressor__penalty": ["l2", None],
        },
        scoring=make_loss_scorer(QuantileLoss(quantile=0.9)),
        cv=3,
    )
    search.fit(X, y)
    assert search.best_params_["sgdregressor__loss__quantile"] == 0.9
    fitted_loss = search.best_estimator_[-1].loss
    assert fitted_loss.quantile == 0.9 and fitted_loss is not pipeline[-1].loss  # cloned


def test_randomized_search_over_huber_delta_and_alpha(heavy_tailed_regression):
    X, y = heavy_tailed_regression
    pipeline = make_pipeline(StandardScaler(), SGDRegressor(loss=HuberLoss(), random_state=0))
    search = RandomizedSearchCV(
        pipeline,
        {"sgdregressor__loss__delta": [0.1, 1.0, 10.0], "sgdregressor__alpha": [1e-5, 1e-4, 1e-3]},
        n_iter=5,
        scoring="neg_mean_absolute_error",
        cv=3,
        random_state=0,
    )
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["sgdregressor__loss__delta"] in (0.1, 1.0, 10.0)


def test_focal_gamma_search_with_multi_metric_refit():
    X, y = make_classification(n_samples=600, n_features=6, weights=[0.85], random_state=0)
    pipeline = make_pipeline(StandardScaler(), SGDClassifier(loss=FocalLoss(), random_state=0))
    scoring = {
        "focal": get_scorer("neg_mean_focal_loss"),
        "log": make_loss_scorer("log_loss"),
        "ap": "average_precision",
    }
    search = GridSearchCV(
        pipeline,
        {"sgdclassifier__loss__gamma": [0.0, 1.0, 2.0], "sgdclassifier__loss__alpha": [None, 0.75]},
        scoring=scoring,
        refit="ap",
        cv=3,
    )
    search.fit(X, y)
    results = search.cv_results_
    assert search.best_index_ == np.argmax(results["mean_test_ap"])
    assert (results["mean_test_focal"] < 0).all() and (results["mean_test_log"] < 0).all()
    assert search.predict_proba(X).shape == (600, 2)


def _accepts_targets(loss, y):
    """Whether ``y`` is in the loss's domain (Poisson needs non-negative targets)."""
    try:
        loss.check_target(np.reshape(y, (-1, 1)))
    except ValueError:
        return False
    return True


def test_cross_validate_reports_every_regression_loss_at_once(heavy_tailed_regression):
    X, y = heavy_tailed_regression
    names = [
        name
        for name, loss in LOSSES.items()
        if loss().task == "regression" and _accepts_targets(loss(), y)
    ]
    cv = KFold(3)
    results = cross_validate(
        make_pipeline(StandardScaler(), SGDRegressor(random_state=0)),
        X,
        y,
        scoring={name: make_loss_scorer(name) for name in names},
        cv=cv,
        return_estimator=True,
    )
    for fold, (_, test) in enumerate(cv.split(X)):
        prediction = results["estimator"][fold].predict(X[test])
        for name in names:
            assert results[f"test_{name}"][fold] == pytest.approx(
                -mean_loss(name, y[test], prediction), rel=1e-12
            )


def test_sample_weight_routed_to_fit_and_scorer(heavy_tailed_regression):
    X, y = heavy_tailed_regression
    weight = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        regressor = SGDRegressor(loss=QuantileLoss(0.9), random_state=0)
        regressor.set_fit_request(sample_weight=True)
        scorer = make_loss_scorer(QuantileLoss(0.9)).set_score_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        results = cross_validate(
            make_pipeline(scaler, regressor),
            X,
            y,
            scoring=scorer,
            cv=cv,
            params={"sample_weight": weight},
            return_estimator=True,
        )
    for fold, (train, test) in enumerate(cv.split(X)):
        model = results["estimator"][fold]
        expected = -mean_loss(
            QuantileLoss(0.9), y[test], model.predict(X[test]), sample_weight=weight[test]
        )
        assert results["test_score"][fold] == pytest.approx(expected, rel=1e-12)
        unweighted_fit = make_pipeline(
            StandardScaler(), SGDRegressor(loss=QuantileLoss(0.9), random_state=0)
        ).fit(X[train], y[train])
        assert not np.allclose(unweighted_fit[-1].coef_, model[-1].coef_)  # weights reached fit
