"""Scorers and metrics accept and check what scikit-learn's do (issue 13, item 4): early
stopping takes any single-metric ``scoring``; the metrics, ``check_gradient``,
``fit_parameter_mixing`` and the estimators' ``score`` refuse bad inputs with a message
that says what is wrong."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit, logsumexp, softmax
from sklearn import metrics as sk_metrics
from sklearn.metrics import (
    accuracy_score,
    d2_absolute_error_score,
    d2_tweedie_score,
    mean_pinball_loss,
    r2_score,
)
from sklearn.model_selection import cross_val_score

from sklosses import SGDClassifier, SGDRegressor
from sklosses.intervals import MultiQuantileRegressor
from sklosses.losses import Loss, MultinomialLogLoss, SoftmaxFocalLoss, check_gradient
from sklosses.metrics import d2_loss_score, kl_divergence, make_loss_scorer
from sklosses.metrics._names import single_scorer


@pytest.fixture
def regression_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=200)
    return X, y


@pytest.fixture
def soft_label_problem():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    P = softmax(X @ rng.normal(size=(3, 3)) + 0.3 * rng.normal(size=(300, 3)), axis=1)
    return X, P


def early_stopped(X, y, scoring, sample_weight=None):
    model = SGDRegressor(early_stopping=True, scoring=scoring, max_iter=20, random_state=0)
    return model.fit(X, y, sample_weight=sample_weight)


# -- early stopping takes what GridSearchCV(scoring=...) takes for one metric ---------------
def test_early_stopping_takes_names_scorers_and_plain_callables(regression_problem):
    X, y = regression_problem
    by_name = early_stopped(X, y, "r2").validation_scores_
    for scoring in (sk_metrics.get_scorer("r2"), lambda est, X, y: r2_score(y, est.predict(X))):
        assert_allclose(early_stopped(X, y, scoring).validation_scores_, by_name)
    ours = early_stopped(X, y, "neg_mean_huber_loss").validation_scores_
    assert_allclose(early_stopped(X, y, make_loss_scorer("huber")).validation_scores_, ours)


def test_early_stopping_passes_weights_only_to_a_scorer_that_takes_them(regression_problem):
    X, y = regression_problem
    weight = np.random.default_rng(2).uniform(0.5, 2, size=len(y))
    calls = {"weighted": [], "plain": []}

    def weighted(estimator, X, y, sample_weight=None):
        calls["weighted"].append(sample_weight)
        return r2_score(y, estimator.predict(X), sample_weight=sample_weight)

    def plain(estimator, X, y):
        calls["plain"].append(len(y))
        return r2_score(y, estimator.predict(X))

    early_stopped(X, y, weighted, weight)
    early_stopped(X, y, plain, weight)
    assert calls["plain"] and calls["weighted"]
    for received in calls["weighted"]:  # the weights of the held-out rows
        assert len(received) == calls["plain"][0] and np.isin(received, weight).all()


@pytest.mark.parametrize("scoring", [{"r2": "r2", "mse": "neg_mean_squared_error"}, ["r2"]])
def test_early_stopping_refuses_several_metrics(regression_problem, scoring):
    X, y = regression_problem
    with pytest.raises(ValueError, match="scoring"):
        early_stopped(X, y, scoring)
    with pytest.raises(ValueError, match="scoring must be a single metric"):
        single_scorer(SGDRegressor(), scoring)


def test_early_stopping_refuses_a_metric_function(regression_problem):
    X, y = regression_problem
    with pytest.raises(ValueError, match="looks like it is a metric function"):
        early_stopped(X, y, r2_score)


def test_early_stopping_refuses_validation_rows_of_zero_weight(regression_problem):
    """Only one row has weight and 2 of the 200 rows are held out: a seed that trains on
    the row (almost every seed) leaves the validation rows without weight, and ``fit``
    raises before training, with scikit-learn's message (a seed that holds the row out
    leaves nothing to train on, which is refused too)."""
    X, y = regression_problem
    weight = np.zeros(len(y))
    weight[0] = 1.0
    messages = []
    for seed in range(5):
        model = SGDRegressor(early_stopping=True, validation_fraction=0.01, random_state=seed)
        with pytest.raises(ValueError) as refused:
            model.fit(X, y, sample_weight=weight)
        assert not hasattr(model, "coef_")  # before training
        messages.append(str(refused.value))
    expected = (
        "The sample weights for validation set are all zero, consider using a different "
        "random state."
    )
    assert messages.count(expected) >= 4


# -- the metrics ------------------------------------------------------------------------
def test_kl_divergence_refuses_predictions_that_are_not_probabilities():
    y_true = [[1.0, 0.0], [0.5, 0.5]]
    for y_pred in ([[0.9, 0.3], [0.2, 0.1]], [[1.5, -0.5], [0.5, 0.5]]):
        with pytest.raises(ValueError, match="y_pred must be non-negative rows that sum to 1"):
            kl_divergence(y_true, y_pred)
    p = np.array([0.3, 0.6])
    expected = np.mean([np.log(1 / 0.7), 0.5 * np.log(0.5 / 0.4) + 0.5 * np.log(0.5 / 0.6)])
    assert kl_divergence(y_true, np.column_stack([1 - p, p])) == pytest.approx(expected)
    assert kl_divergence(y_true, p) == pytest.approx(expected)  # 1-D: the second class


@pytest.mark.parametrize(
    "loss, reference",
    [("squared_error", r2_score), ("absolute_error", d2_absolute_error_score)],
)
def test_d2_of_a_constant_target_is_scikit_learns(loss, reference):
    constant = np.full(5, 3.0)
    for y_pred in (constant, constant + [0.0, 0.1, -0.2, 0.0, 0.3]):
        assert d2_loss_score(loss, constant, y_pred) == reference(constant, y_pred)


def test_d2_poisson_of_all_zero_counts_scores_like_scikit_learn_without_warnings():
    zeros = np.zeros(4)
    y_pred = np.array([0.1, 0.2, 0.3, 0.05])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the denominator is zero (the best constant, 0, is the target): 0 as r2_score says
        assert d2_loss_score("poisson", zeros, y_pred) == r2_score(zeros, y_pred) == 0.0
        # a zero mean is outside a Poisson prediction's range, as scikit-learn says
        with pytest.raises(ValueError, match="strictly positive y_pred"):
            d2_tweedie_score(zeros, np.zeros(4), power=1)
        with pytest.raises(ValueError, match="y_pred is outside the range"):
            d2_loss_score("poisson", zeros, np.zeros(4))
        counts = np.array([0.0, 1.0, 3.0, 2.0])
        assert d2_loss_score("poisson", counts, y_pred + 1) == pytest.approx(
            d2_tweedie_score(counts, y_pred + 1, power=1)
        )


# -- check_gradient on coupled losses ---------------------------------------------------
class UndeclaredSoftmaxLoss(Loss):
    """The softmax cross-entropy with its right gradient but the default scope."""

    task = "multiclass"

    def loss(self, y_true, raw_prediction):
        return logsumexp(raw_prediction, axis=-1, keepdims=True) - (y_true * raw_prediction).sum(
            axis=-1, keepdims=True
        )

    def gradient(self, y_true, raw_prediction):
        return softmax(raw_prediction, axis=-1) - y_true


class UncoupledGradientLoss(MultinomialLogLoss):
    """The softmax cross-entropy with a one-vs-rest gradient: wrong."""

    def gradient(self, y_true, raw_prediction):
        return expit(raw_prediction) - y_true


def coupled_points():
    rng = np.random.default_rng(3)
    for n_rows, n_classes, scale in ((30, 3, 1.0), (4, 4, 10.0), (50, 5, 30.0)):
        raw = scale * rng.normal(size=(n_rows, n_classes))
        yield np.eye(n_classes)[rng.integers(0, n_classes, n_rows)], raw
        yield rng.dirichlet(np.ones(n_classes), size=n_rows), raw  # soft labels


@pytest.mark.parametrize("loss", [MultinomialLogLoss(), SoftmaxFocalLoss(gamma=2.0)])
def test_check_gradient_passes_the_gradient_of_a_coupled_loss(loss):
    for y_true, raw in coupled_points():
        assert check_gradient(loss, y_true, raw, rtol=1e-6) < 1e-6


def test_check_gradient_catches_a_gradient_without_the_coupling():
    y_true, raw = next(coupled_points())
    with pytest.raises(ValueError, match="differs from finite differences"):
        check_gradient(UncoupledGradientLoss(), y_true, raw)


def test_check_gradient_says_a_coupled_loss_must_declare_its_scope():
    y_true, raw = next(coupled_points())
    with pytest.raises(ValueError, match="declares scope = 'sample'"):
        check_gradient(UndeclaredSoftmaxLoss(), y_true, raw)


# -- parameter mixing with targets in memory ---------------------------------------------
def test_parameter_mixing_takes_targets_in_memory():
    da = pytest.importorskip("dask.array")
    from sklosses.parallel import fit_parameter_mixing

    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=2000)
    weight = rng.uniform(0.5, 2, size=2000)
    X_dask = da.from_array(X, chunks=(500, 3))
    model = SGDRegressor(max_iter=5, tol=None, random_state=0)
    in_memory = fit_parameter_mixing(model, X_dask, y, sample_weight=weight)
    distributed = fit_parameter_mixing(
        model, X_dask, da.from_array(y, chunks=500), sample_weight=da.from_array(weight, 500)
    )
    assert_allclose(in_memory.coef_, distributed.coef_)
    with pytest.raises(ValueError, match="y has 1999 rows and X has 2000"):
        fit_parameter_mixing(model, X_dask, y[:-1])


def test_parameter_mixing_on_a_dataframe_refuses_targets_in_memory():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from sklosses.parallel import fit_parameter_mixing

    X = dd.from_pandas(pd.DataFrame(np.ones((20, 2)), columns=["a", "b"]), npartitions=2)
    with pytest.raises(TypeError, match="y must be a Dask collection split like X"):
        fit_parameter_mixing(SGDRegressor(), X, np.ones(20))


# -- the estimators' score ---------------------------------------------------------------
def test_multi_quantile_score_checks_its_inputs(regression_problem):
    X, y = regression_problem
    quantiles = (0.1, 0.5, 0.9)
    model = MultiQuantileRegressor(quantiles, max_iter=5, tol=None, random_state=0).fit(X, y)
    prediction = model.predict(X)
    expected = -np.mean(
        [mean_pinball_loss(y, prediction[:, k], alpha=q) for k, q in enumerate(quantiles)]
    )
    assert model.score(X, y) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[10, 200\]"):
        model.score(X, y[:10])
    with pytest.raises(ValueError, match="NaN"):
        model.score(X, np.r_[np.nan, y[1:]])
    with pytest.raises(ValueError, match="non-negative"):
        model.score(X, y, sample_weight=-np.ones(len(y)))


def test_a_classifier_on_soft_labels_scores_the_most_probable_class(soft_label_problem):
    X, P = soft_label_problem
    model = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(X, P)
    weight = np.random.default_rng(5).uniform(0.5, 2, size=len(P))
    expected = accuracy_score(P.argmax(axis=1), model.predict(X), sample_weight=weight)
    assert model.score(X, P, sample_weight=weight) == pytest.approx(expected)
    scores = cross_val_score(SGDClassifier(loss="multinomial_log_loss", random_state=0), X, P, cv=3)
    assert np.all((scores > 0.5) & (scores <= 1))
    with pytest.raises(ValueError, match="4 columns of class probabilities but the model has 3"):
        model.score(X, np.full((len(P), 4), 0.25))
    with pytest.raises(ValueError, match="Soft labels y must be non-negative rows"):
        model.score(X, 2 * P)
