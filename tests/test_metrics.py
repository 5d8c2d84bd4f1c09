"""Tests of ``sklosses.metrics``: metrics against ``sklearn.metrics``, scorers in sklearn tools.

Generic tests run over every registry entry (``LOSSES``), so a newly registered
loss is tested without editing this file.
"""

import ast
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.metrics import (
    check_scoring,
    d2_absolute_error_score,
    d2_pinball_score,
    d2_tweedie_score,
    hinge_loss,
    log_loss,
    mean_absolute_error,
    mean_pinball_loss,
    mean_poisson_deviance,
    mean_squared_error,
    r2_score,
)
from sklearn.metrics import get_scorer as sklearn_get_scorer
from sklearn.metrics import get_scorer_names as sklearn_get_scorer_names
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    check_cv,
    cross_val_score,
    cross_validate,
)
from sklearn.utils.validation import check_is_fitted

import sklosses
import sklosses.losses
from sklosses import SGDClassifier, SGDRanker, SGDRegressor, TripletMetricLearner
from sklosses.losses import (
    LOSSES,
    BatchLoss,
    HingeLoss,
    LogLoss,
    Loss,
    QuantileLoss,
    get_loss,
)
from sklosses.metrics import (
    d2_loss_score,
    get_scorer,
    get_scorer_names,
    make_d2_scorer,
    make_loss_scorer,
    mean_loss,
)

LOSS_NAMES = sorted(LOSSES)
REGRESSION_NAMES = [name for name in LOSS_NAMES if get_loss(name).task == "regression"]
BINARY_NAMES = [name for name in LOSS_NAMES if get_loss(name).task == "binary"]
# a weighted mean of rows: not a loss over the rows of a query, nor over triplets (whose
# repeated rows form triplets with their own copies)
MEAN_NAMES = [
    name
    for name in LOSS_NAMES
    if not get_loss(name).needs_groups and get_loss(name).task != "metric"
]
QUANTILES = [0.1, 0.37, 0.5, 0.9]
RTOL = 1e-12

# Short, deterministic fits: the metrics, not the optimiser, are under test here.
FIT_PARAMS = {"random_state": 0, "max_iter": 5, "tol": None}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def scorer_name(loss_name):
    """The documented naming rule: "neg_mean_" + name (+ "_loss" unless a suffix already)."""
    suffix = "" if loss_name.endswith(("_loss", "_error")) else "_loss"
    return f"neg_mean_{loss_name}{suffix}"


# -- data and fitted estimators -----------------------------------------------------------
@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=200, n_features=5, noise=10.0, random_state=0)
    return X, y / 10


@pytest.fixture(scope="module")
def multiclass_data():
    X, y = make_classification(
        n_samples=240, n_features=5, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    return X, np.array(["ant", "bee", "cat"])[y]


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=200, n_features=5, n_informative=3, random_state=1)
    return X, np.array(["no", "yes"])[y]


def in_domain(name, *arrays):
    """Regression arrays in the loss's domain: their absolute values if its
    ``check_target`` rejects negative targets (e.g. Poisson counts)."""
    try:
        get_loss(name).check_target(-np.ones((1, 1)))
    except ValueError:
        return tuple(np.abs(array) for array in arrays)
    return arrays


def data_for(name, regression_data, multiclass_data):
    task = get_loss(name).task
    if task in ("binary", "multiclass", "metric"):
        return multiclass_data
    X, y = regression_data
    if task == "ranking":  # one query (no qid), graded relevance 0..3: the quartiles of y
        return X, np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75])).astype(float)
    return (X, *in_domain(name, y))


ESTIMATORS = {
    "regression": SGDRegressor,
    "ranking": SGDRanker,
    "metric": TripletMetricLearner,
}


def fit_estimator(name, X, y, **params):
    estimator_class = ESTIMATORS.get(get_loss(name).task, SGDClassifier)
    return estimator_class(loss=name, **{**FIT_PARAMS, **params}).fit(X, y)


def estimator_output(estimator, X):
    """What the loss's metric evaluates: decision values of a classifier, the embedding
    of a metric learner, else predictions."""
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    if hasattr(estimator, "classes_"):
        return estimator.decision_function(X)
    return estimator.predict(X)


def random_regression(seed, n=57, n_outputs=None):
    rng = np.random.default_rng(seed)
    shape = n if n_outputs is None else (n, n_outputs)
    y_true = rng.normal(scale=3.0, size=shape)
    y_pred = y_true + rng.normal(scale=2.0, size=shape)
    return y_true, y_pred, rng.uniform(0, 3, size=n)


# -- mean_loss against sklearn.metrics ----------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "loss, reference",
    [("squared_error", mean_squared_error), ("absolute_error", mean_absolute_error)]
    + [
        (QuantileLoss(q), lambda *a, q=q, **k: mean_pinball_loss(*a, alpha=q, **k))
        for q in QUANTILES
    ],
    ids=["squared_error", "absolute_error"] + [f"quantile{q}" for q in QUANTILES],
)
def test_mean_loss_matches_sklearn_regression(loss, reference, weighted):
    for seed in range(3):
        y_true, y_pred, weight = random_regression(seed)
        weight = weight if weighted else None
        expected = reference(y_true, y_pred, sample_weight=weight)
        assert_allclose(mean_loss(loss, y_true, y_pred, sample_weight=weight), expected, rtol=RTOL)


@pytest.mark.parametrize("name", REGRESSION_NAMES)
def test_mean_loss_multioutput_is_uniform_average(name):
    y_true, y_pred, weight = random_regression(0, n_outputs=3)
    y_true, y_pred = in_domain(name, y_true, y_pred)
    per_output = [
        mean_loss(name, y_true[:, k], y_pred[:, k], sample_weight=weight) for k in range(3)
    ]
    assert_allclose(
        mean_loss(name, y_true, y_pred, sample_weight=weight), np.mean(per_output), rtol=RTOL
    )
    assert_allclose(
        mean_loss("squared_error", y_true, y_pred, sample_weight=weight),
        mean_squared_error(y_true, y_pred, sample_weight=weight),
        rtol=RTOL,
    )


def random_binary(seed, n=61, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    y_true = np.asarray(labels)[rng.integers(0, 2, size=n)]
    raw = rng.normal(scale=2.0, size=n)
    return y_true, raw, rng.uniform(0, 3, size=n)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("labels", [(0, 1), (-3, 7), ("neg", "pos")], ids=str)
def test_mean_loss_matches_sklearn_binary(labels, weighted):
    for seed in range(3):
        y_true, raw, weight = random_binary(seed, labels=labels)
        weight = weight if weighted else None
        assert_allclose(
            mean_loss("log_loss", y_true, raw, sample_weight=weight),
            log_loss(y_true, expit(raw), sample_weight=weight),
            rtol=RTOL,
        )
        assert_allclose(
            mean_loss("hinge", y_true, raw, sample_weight=weight),
            hinge_loss(y_true, raw, sample_weight=weight),
            rtol=RTOL,
        )


def random_multiclass(seed, n=73, classes=("ant", "bee", "cat", "dog")):
    rng = np.random.default_rng(seed)
    y_true = np.asarray(classes)[rng.integers(0, len(classes), size=n)]
    raw = rng.normal(scale=2.0, size=(n, len(classes)))
    return y_true, raw, rng.uniform(0, 3, size=n)


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_loss_multiclass_hinge_is_explicit_one_vs_rest(weighted):
    y_true, raw, weight = random_multiclass(0)
    weight = weight if weighted else None
    classes = np.unique(y_true)
    signs = np.where(y_true[:, None] == classes[None, :], 1.0, -1.0)
    per_sample = np.maximum(0.0, 1.0 - signs * raw).mean(axis=1)
    expected = np.average(per_sample, weights=weight)
    assert_allclose(mean_loss("hinge", y_true, raw, sample_weight=weight), expected, rtol=RTOL)


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_loss_multiclass_log_loss_is_mean_of_binary_log_losses(weighted):
    y_true, raw, weight = random_multiclass(1)
    weight = weight if weighted else None
    expected = np.mean(
        [
            log_loss(y_true == label, expit(raw[:, k]), sample_weight=weight)
            for k, label in enumerate(np.unique(y_true))
        ]
    )
    assert_allclose(mean_loss("log_loss", y_true, raw, sample_weight=weight), expected, rtol=RTOL)


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_mean_loss_multiclass_is_mean_of_binary_columns(name):
    y_true, raw, weight = random_multiclass(2)
    expected = np.mean(
        [
            mean_loss(name, y_true == label, raw[:, k], sample_weight=weight)
            for k, label in enumerate(np.unique(y_true))
        ]
    )
    assert_allclose(mean_loss(name, y_true, raw, sample_weight=weight), expected, rtol=RTOL)


# -- labels, pos_label and input validation -----------------------------------------------
@pytest.mark.parametrize("name", BINARY_NAMES)
def test_string_labels_match_integer_labels(name):
    y_true, raw, weight = random_multiclass(3)
    codes = np.unique(y_true, return_inverse=True)[1]
    assert mean_loss(name, y_true, raw, sample_weight=weight) == mean_loss(
        name, codes, raw, sample_weight=weight
    )
    y_binary, raw_binary, _ = random_binary(3, labels=("no", "yes"))
    assert mean_loss(name, y_binary, raw_binary) == mean_loss(name, y_binary == "yes", raw_binary)


def mean_of_columns(loss, targets, raw, weight=None):
    """Reference weighted mean loss of 2-D arrays, the columns averaged, for any scope:
    from the loss's own weighted sums over the rows (a batch-level loss has no per-row
    values; its sums are the total weight times its value)."""
    total = len(targets) if weight is None else weight.sum()
    return loss.weighted_sums(targets, raw, weight).mean() / total


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_labels_with_a_class_missing_from_y_true(name):
    y_true, raw, weight = random_multiclass(4)
    classes = np.unique(y_true)
    keep = y_true != "bee"
    subset = mean_loss(name, y_true[keep], raw[keep], sample_weight=weight[keep], labels=classes)
    targets = (y_true[keep, None] == classes[None, :]).astype(float)
    expected = mean_of_columns(get_loss(name), targets, raw[keep], weight[keep])
    assert_allclose(subset, expected, rtol=RTOL)
    with pytest.raises(ValueError, match="labels="):
        mean_loss(name, y_true[keep], raw[keep])


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_labels_give_the_column_order(name):
    y_true, raw, _ = random_multiclass(5)
    classes = np.unique(y_true)
    order = np.array([2, 0, 3, 1])
    assert_allclose(
        mean_loss(name, y_true, raw[:, order], labels=classes[order]),
        mean_loss(name, y_true, raw),
        rtol=RTOL,
    )


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_pos_label_and_single_class(name):
    y_true, raw, _ = random_binary(6, labels=("no", "yes"))
    # the decision values score "yes" (the greater label) unless pos_label says otherwise
    assert_allclose(mean_loss(name, y_true, raw), mean_loss(name, y_true == "yes", raw), rtol=RTOL)
    assert_allclose(
        mean_loss(name, y_true, raw, pos_label="no"),
        mean_loss(name, y_true == "no", raw),
        rtol=RTOL,
    )
    if get_loss(name).scope != "batch":
        # per-sample binary losses treat the two classes alike (loss(1 - y, -raw) equals
        # loss(y, raw)); a batch-level loss (soft Dice) scores the positive class only
        assert_allclose(
            mean_loss(name, y_true, -raw, pos_label="no"), mean_loss(name, y_true, raw), rtol=RTOL
        )
    assert_allclose(
        mean_loss(name, y_true, raw, labels=["no", "yes"]), mean_loss(name, y_true, raw), rtol=RTOL
    )
    only_yes = y_true == "yes"
    positive, negative = np.ones((only_yes.sum(), 1)), np.zeros((only_yes.sum(), 1))
    expected = mean_of_columns(get_loss(name), positive, raw[only_yes, None])
    for kwargs in ({"labels": ["no", "yes"]}, {"pos_label": "yes"}):
        assert_allclose(
            mean_loss(name, y_true[only_yes], raw[only_yes], **kwargs), expected, rtol=RTOL
        )
    expected = mean_of_columns(get_loss(name), negative, raw[only_yes, None])
    assert_allclose(
        mean_loss(name, y_true[only_yes], raw[only_yes], pos_label="no"), expected, rtol=RTOL
    )
    with pytest.raises(ValueError, match="single class.*labels=.*pos_label="):
        mean_loss(name, y_true[only_yes], raw[only_yes])
    with pytest.raises(ValueError, match="pos_label='maybe' is not one of"):
        mean_loss(name, y_true, raw, pos_label="maybe")


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, message",
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], {}, "1-D"),
        (["a", "b", "c"], np.zeros((3, 2)), {}, "2 columns but there are 3 classes"),
        (["a", "b"], np.zeros((2, 3)), {"labels": ["a", "b"]}, "one class per column"),
        (["a", "z"], np.zeros((2, 3)), {"labels": ["a", "b", "c"]}, r"\['z'\] that are not"),
        (["a", "b"], np.zeros((2, 2)), {"pos_label": "a"}, "pos_label only applies"),
        (["a", "b"], [0.0, 1.0], {"labels": ["a", "a"]}, "duplicates"),
        (["a", "b"], [0.0, np.nan], {}, "NaN"),
        (["a", "b"], [0.0, np.inf], {}, "infinity"),
        (["a", "b", "a"], [0.0, 1.0], {}, "inconsistent numbers of samples"),
        ([0.5, 1.5], [0.0, 1.0], {}, "continuous"),
    ],
)
def test_classification_input_errors(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mean_loss("hinge", y_true, y_pred, **kwargs)


@pytest.mark.parametrize(
    "loss, y_true, y_pred, kwargs, message",
    [
        ("squared_error", [1.0, np.nan], [1.0, 2.0], {}, "NaN"),
        ("squared_error", [1.0, 2.0], [1.0, np.inf], {}, "infinity"),
        ("squared_error", [1.0, 2.0], [1.0, 2.0, 3.0], {}, "inconsistent numbers"),
        ("squared_error", [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], {}, "numbers of outputs"),
        ("squared_error", [1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0, -1.0]}, "non-negative"),
        ("squared_error", [1.0, 2.0], [1.0, 2.0], {"sample_weight": [0.0, 0.0]}, "sums to zero"),
        ("squared_error", [1.0, 2.0], [1.0, 2.0], {"sample_weight": [1.0]}, "inconsistent"),
        ("squared_error", [1.0, 2.0], [1.0, 2.0], {"labels": [0, 1]}, "classification losses"),
        ("hinge", [0, 1], [1.0, 2.0], {"sample_weight": [1.0, np.nan]}, "NaN"),
        (QuantileLoss(quantile=1.5), [1.0], [1.0], {}, "quantile"),
        ("no_such_loss", [1.0], [1.0], {}, "Unknown loss"),
    ],
)
def test_input_errors(loss, y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mean_loss(loss, y_true, y_pred, **kwargs)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 1e3), name=st.sampled_from(MEAN_NAMES))
def test_mean_loss_is_a_weighted_mean(seed, scale, name):
    """Scaling the weights changes nothing; integer weights equal repeated samples.

    Not for the losses over the rows of a query (``needs_groups``): a sum over pairs
    weighted ``s_i s_j / S`` scales with the weights, and a listwise loss weighs whole
    queries; tests/test_ranking_metrics.py checks their weighting."""
    if get_loss(name).task == "regression":
        y_true, y_pred, _ = random_regression(seed, n=20)
        y_true, y_pred = in_domain(name, y_true, y_pred)
    else:
        y_true, y_pred, _ = random_multiclass(seed, n=20, classes=(0, 1, 2))
        y_true[:3] = [0, 1, 2]
    counts = np.random.default_rng(seed).integers(0, 4, size=len(y_true))
    counts[0] = 1
    weighted = mean_loss(name, y_true, y_pred, sample_weight=counts)
    assert_allclose(
        mean_loss(name, y_true, y_pred, sample_weight=scale * counts), weighted, rtol=1e-10
    )
    repeat = np.repeat(np.arange(len(y_true)), counts)
    kwargs = {} if get_loss(name).task == "regression" else {"labels": [0, 1, 2]}
    assert_allclose(mean_loss(name, y_true[repeat], y_pred[repeat], **kwargs), weighted, rtol=1e-10)


# -- d2_loss_score ------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n", [2, 3, 10, 57])
def test_d2_loss_score_matches_sklearn(n, weighted):
    for seed in range(3):
        y_true, y_pred, weight = random_regression(seed, n=n)
        if seed == 2:
            y_true = np.round(y_true)  # ties: flat stretches of the pinball objective
        weight = weight if weighted else None
        for q in QUANTILES:
            assert_allclose(
                d2_loss_score(QuantileLoss(q), y_true, y_pred, sample_weight=weight),
                d2_pinball_score(y_true, y_pred, alpha=q, sample_weight=weight),
                rtol=1e-10,
                atol=1e-12,
            )
        assert_allclose(
            d2_loss_score("absolute_error", y_true, y_pred, sample_weight=weight),
            d2_absolute_error_score(y_true, y_pred, sample_weight=weight),
            rtol=1e-10,
            atol=1e-12,
        )
        assert_allclose(
            d2_loss_score("squared_error", y_true, y_pred, sample_weight=weight),
            r2_score(y_true, y_pred, sample_weight=weight),
            rtol=1e-9,
            atol=1e-12,
        )


def test_d2_loss_score_multioutput_and_edge_cases():
    y_true, y_pred, weight = random_regression(0, n_outputs=2)
    assert_allclose(
        d2_loss_score("absolute_error", y_true, y_pred, sample_weight=weight),
        d2_absolute_error_score(y_true, y_pred, sample_weight=weight),
        rtol=1e-10,
    )
    assert d2_loss_score("huber", [1.0, 2.0, 4.0], [1.0, 2.0, 4.0]) == 1.0
    assert d2_loss_score("huber", [3.0, 3.0], [1.0, 2.0]) == 0.0  # constant target
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(d2_loss_score("huber", [1.0], [2.0]))
    with pytest.raises(ValueError, match="regression loss"):
        d2_loss_score("hinge", [0, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="regression loss"):
        make_d2_scorer("log_loss")


@pytest.mark.parametrize("name", REGRESSION_NAMES)
def test_d2_loss_score_best_constant_scores_zero(name):
    """No constant beats the one d2_loss_score finds, so D^2 of constants is <= 0."""
    y_true, _, weight = random_regression(7, n=40)
    (y_true,) = in_domain(name, y_true)
    constants = np.linspace(y_true.min(), y_true.max(), 201)
    scores = [
        d2_loss_score(name, y_true, np.full_like(y_true, c), sample_weight=weight)
        for c in constants
    ]
    assert max(scores) <= 1e-9
    assert max(scores) > -1e-3  # the grid gets close to the best constant


# -- scorers on fitted estimators ---------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(regression_data, multiclass_data):
    """One fitted estimator per registered loss."""
    return {
        name: fit_estimator(name, *data_for(name, regression_data, multiclass_data))
        for name in LOSS_NAMES
    }


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_scorer_is_minus_mean_loss_of_the_estimator_output(
    name, fitted, regression_data, multiclass_data
):
    X, y = data_for(name, regression_data, multiclass_data)
    estimator = fitted[name]
    expected = -mean_loss(name, y, estimator_output(estimator, X))
    weight = np.random.default_rng(0).uniform(0, 2, size=len(y))
    expected_weighted = -mean_loss(name, y, estimator_output(estimator, X), sample_weight=weight)
    for scorer in (
        make_loss_scorer(name),
        make_loss_scorer(get_loss(name)),
        get_scorer(scorer_name(name)),
        check_scoring(estimator, get_scorer(scorer_name(name))),
    ):
        assert scorer(estimator, X, y) == pytest.approx(expected, rel=RTOL)
        assert scorer(estimator, X, y, sample_weight=weight) == pytest.approx(
            expected_weighted, rel=RTOL
        )
    # a listwise loss weighs queries, and this is one; no weighting changes a loss of 0 on
    # every row (the perceptron loss at its minimiser, the zero model)
    if not get_loss(name).needs_groups and expected != 0:
        assert expected_weighted != pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_scorer_in_cross_val_score(name, regression_data, multiclass_data):
    X, y = data_for(name, regression_data, multiclass_data)
    estimator = fit_estimator(name, X, y)
    scores = cross_val_score(estimator, X, y, scoring=make_loss_scorer(name), cv=5)
    expected = []
    for train, test in check_cv(5, y, classifier=is_classifier(estimator)).split(X, y):
        fold_estimator = clone(estimator).fit(X[train], y[train])
        expected.append(-mean_loss(name, y[test], estimator_output(fold_estimator, X[test])))
    assert_allclose(scores, expected, rtol=RTOL)
    assert scores.shape == (5,) and np.isfinite(scores).all() and (scores <= 0).all()


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_early_stopping_scorer_equals_the_training_loss(name, regression_data, multiclass_data):
    """The estimator's own validation loss (scoring=None) is our scorer's value."""
    X, y = data_for(name, regression_data, multiclass_data)
    params = {"early_stopping": True, "max_iter": 30, "tol": 1e-3}
    by_loss = fit_estimator(name, X, y, **params)
    by_scorer = fit_estimator(name, X, y, scoring=scorer_name(name), **params)
    assert by_loss.n_iter_ == by_scorer.n_iter_
    assert_allclose(by_scorer.validation_scores_, by_loss.validation_scores_, rtol=1e-10)


def sorted_classes_data(n_classes):
    """Data sorted by label: unshuffled KFold test folds lack classes, train folds have all."""
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        weights=None,
        flip_y=0,
        random_state=3,
    )
    order = np.argsort(y, kind="stable")
    return X[order], np.array(["ant", "bee", "cat"])[y[order]]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name", BINARY_NAMES)
def test_classifier_scorer_survives_folds_lacking_a_class(name, n_classes):
    X, y = sorted_classes_data(n_classes)
    cv = KFold(5)
    lacking = [len(np.unique(y[test])) < n_classes for _, test in cv.split(X)]
    assert any(lacking)
    estimator = SGDClassifier(loss=name, **FIT_PARAMS)
    scores = cross_val_score(estimator, X, y, scoring=make_loss_scorer(name), cv=cv)
    expected = []
    for train, test in cv.split(X):
        fold_estimator = clone(estimator).fit(X[train], y[train])
        assert len(fold_estimator.classes_) == n_classes
        raw = fold_estimator.decision_function(X[test])
        expected.append(-mean_loss(name, y[test], raw, labels=fold_estimator.classes_))
        if len(np.unique(y[test])) < n_classes:
            with pytest.raises(ValueError, match="labels="):
                mean_loss(name, y[test], raw)
    assert_allclose(scores, expected, rtol=RTOL)


def test_scorer_on_a_test_set_lacking_a_class(fitted, multiclass_data):
    X, y = multiclass_data
    estimator = fitted["hinge"]
    keep = y != "bee"
    raw = estimator.decision_function(X[keep])
    expected = -mean_loss("hinge", y[keep], raw, labels=["ant", "bee", "cat"])
    assert get_scorer("neg_mean_hinge_loss")(estimator, X[keep], y[keep]) == pytest.approx(
        expected, rel=RTOL
    )


def test_scorer_pos_label_and_labels(binary_data):
    X, y = binary_data
    estimator = SGDClassifier(loss="log_loss", **FIT_PARAMS).fit(X, y)
    raw = estimator.decision_function(X)
    # sklearn negates the decision values when pos_label is the first class
    scorer = make_loss_scorer("log_loss", pos_label="no")
    assert scorer(estimator, X, y) == pytest.approx(
        -mean_loss("log_loss", y, -raw, pos_label="no"), rel=RTOL
    )
    assert scorer(estimator, X, y) == pytest.approx(-mean_loss("log_loss", y, raw), rel=RTOL)
    only_no = y == "no"
    scorer = make_loss_scorer("log_loss", labels=["no", "yes"])
    assert scorer(estimator, X[only_no], y[only_no]) == pytest.approx(
        -mean_loss("log_loss", np.zeros(only_no.sum()), raw[only_no], labels=[0, 1]), rel=RTOL
    )


def test_scorer_works_on_sklearn_classifiers(multiclass_data):
    X, y = multiclass_data
    estimator = LogisticRegression().fit(X, y)
    keep = y != "ant"
    expected = -mean_loss(
        "log_loss", y[keep], estimator.decision_function(X[keep]), labels=estimator.classes_
    )
    assert make_loss_scorer(LogLoss())(estimator, X[keep], y[keep]) == pytest.approx(
        expected, rel=RTOL
    )


def test_scorer_with_loss_parameters(regression_data):
    X, y = regression_data
    estimator = SGDRegressor(loss=QuantileLoss(0.9), **FIT_PARAMS).fit(X, y)
    prediction = estimator.predict(X)
    high = make_loss_scorer(QuantileLoss(quantile=0.9))
    assert high(estimator, X, y) == pytest.approx(
        -mean_pinball_loss(y, prediction, alpha=0.9), rel=RTOL
    )
    assert make_loss_scorer("quantile")(estimator, X, y) == pytest.approx(
        -mean_pinball_loss(y, prediction, alpha=0.5), rel=RTOL
    )
    assert repr(high) == "make_loss_scorer(QuantileLoss(quantile=0.9))"
    assert repr(make_loss_scorer("hinge", pos_label=1)) == "make_loss_scorer('hinge', pos_label=1)"
    restored = pickle.loads(pickle.dumps(high))
    assert restored(estimator, X, y) == high(estimator, X, y)
    with pytest.raises(TypeError, match="unexpected arguments"):
        make_loss_scorer("hinge", sample_wieght=[1.0])
    with pytest.raises(ValueError, match="quantile"):
        make_loss_scorer(QuantileLoss(quantile=2.0))


@pytest.mark.parametrize("name", REGRESSION_NAMES)
def test_d2_scorer(name, fitted, regression_data):
    X, y = data_for(name, regression_data, None)
    estimator = fitted[name]
    scorer = make_d2_scorer(name)
    assert scorer(estimator, X, y) == pytest.approx(
        d2_loss_score(name, y, estimator.predict(X)), rel=RTOL
    )
    scores = cross_val_score(estimator, X, y, scoring=scorer, cv=3)
    assert np.isfinite(scores).all() and (scores <= 1).all()


# -- GridSearchCV and metadata routing ----------------------------------------------------
def manual_fold_scores(estimator, X, y, cv, name, weight):
    """Per-fold minus weighted mean_loss of the estimator refitted on each training fold."""
    scores = []
    for train, test in cv.split(X, y):
        fold_estimator = clone(estimator).fit(X[train], y[train])
        raw = estimator_output(fold_estimator, X[test])
        kwargs = {"labels": fold_estimator.classes_} if name in BINARY_NAMES else {}
        scores.append(
            -mean_loss(
                name, y[test], raw, sample_weight=None if weight is None else weight[test], **kwargs
            )
        )
    return np.array(scores)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_grid_search_multimetric_with_routed_sample_weight(task, regression_data, multiclass_data):
    if task == "regression":
        (X, y), names, estimator = regression_data, ["huber", "squared_error"], SGDRegressor()
    else:
        (X, y), names, estimator = multiclass_data, ["hinge", "log_loss"], SGDClassifier()
    estimator.set_params(**FIT_PARAMS)
    weight = np.random.default_rng(0).uniform(0, 3, size=len(y))
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"alpha": [1e-4, 1e-1]}

    with sklearn.config_context(enable_metadata_routing=True):
        scoring = {
            name: make_loss_scorer(name).set_score_request(sample_weight=True) for name in names
        }
        search = GridSearchCV(
            clone(estimator).set_fit_request(sample_weight=False),
            grid,
            scoring=scoring,
            refit=names[0],
            cv=cv,
        )
        search.fit(X, y, sample_weight=weight)
        unweighted = GridSearchCV(
            clone(estimator),
            grid,
            scoring={name: make_loss_scorer(name) for name in names},
            refit=names[0],
            cv=cv,
        ).fit(X, y)

    check_is_fitted(search.best_estimator_)
    best = int(np.argmax(search.cv_results_[f"mean_test_{names[0]}"]))
    assert search.best_index_ == best
    for index, params in enumerate(search.cv_results_["params"]):
        candidate = clone(estimator).set_params(**params)
        for name in names:
            weighted_scores = [search.cv_results_[f"split{k}_test_{name}"][index] for k in range(3)]
            unweighted_scores = [
                unweighted.cv_results_[f"split{k}_test_{name}"][index] for k in range(3)
            ]
            assert_allclose(
                weighted_scores, manual_fold_scores(candidate, X, y, cv, name, weight), rtol=1e-10
            )
            assert_allclose(
                unweighted_scores, manual_fold_scores(candidate, X, y, cv, name, None), rtol=1e-10
            )
            assert not np.allclose(weighted_scores, unweighted_scores, rtol=1e-6)


def test_routing_errors_and_legacy_sample_weight_forwarding(regression_data):
    X, y = regression_data
    weight = np.random.default_rng(1).uniform(0, 3, size=len(y))
    estimator = SGDRegressor(**FIT_PARAMS)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(
            estimator.set_fit_request(sample_weight=True),
            X,
            y,
            cv=3,
            scoring=make_loss_scorer("huber").set_score_request(sample_weight=True),
            params={"sample_weight": weight},
        )["test_score"]
        with pytest.raises(ValueError, match=r"make_loss_scorer\('huber'\)\.set_score_request"):
            cross_validate(
                estimator,
                X,
                y,
                cv=3,
                scoring=make_loss_scorer("huber"),
                params={"sample_weight": weight},
            )
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        make_loss_scorer("huber").set_score_request(sample_weight=True)
    # without routing, GridSearchCV forwards sample_weight to fit and to scorers accepting it
    estimator = SGDRegressor(**FIT_PARAMS)
    for scoring in (make_loss_scorer("huber"), {"huber": make_loss_scorer("huber"), "r2": "r2"}):
        search = GridSearchCV(
            estimator, {"alpha": [1e-4]}, cv=KFold(3), refit=False, scoring=scoring
        ).fit(X, y, sample_weight=weight)
        key = "split{}_test_score" if callable(scoring) else "split{}_test_huber"
        assert_allclose(
            [search.cv_results_[key.format(k)][0] for k in range(3)], routed, rtol=1e-10
        )


def test_scorers_in_check_scoring_multimetric(fitted, multiclass_data):
    X, y = multiclass_data
    estimator = fitted["log_loss"]
    scorer = make_loss_scorer("log_loss")
    assert check_scoring(estimator, scorer) is scorer
    multi = check_scoring(
        estimator,
        {"ours": scorer, "hinge": get_scorer("neg_mean_hinge_loss"), "accuracy": "accuracy"},
    )
    scores = multi(estimator, X, y)
    assert scores["ours"] == pytest.approx(scorer(estimator, X, y), rel=RTOL)
    assert scores["accuracy"] == estimator.score(X, y)


# -- get_scorer and names -----------------------------------------------------------------
def test_get_scorer_names_one_per_registered_loss():
    names = get_scorer_names()
    assert names == sorted(names)
    # one per registered loss, plus the soft-label KL divergence and NDCG
    assert len(names) == len(set(names)) == len(LOSSES) + 2
    assert "neg_kl_divergence" in names and "ndcg" in names
    for loss_name in LOSSES:
        suffix = "" if loss_name.endswith(("_loss", "_error")) else "_loss"
        assert f"neg_mean_{loss_name}{suffix}" in names
    assert "neg_mean_squared_error" in names and "neg_mean_hinge_loss" in names


def test_names_shared_with_sklearn_give_sklearn_values(regression_data, multiclass_data):
    shared = set(get_scorer_names()) & set(sklearn_get_scorer_names())
    assert shared  # neg_mean_squared_error, neg_mean_absolute_error
    for name in shared:
        (loss_name,) = [loss for loss in LOSSES if scorer_name(loss) == name]
        X, y = data_for(loss_name, regression_data, multiclass_data)
        estimator = fit_estimator(loss_name, X, y)
        weight = np.random.default_rng(0).uniform(0, 2, size=len(y))
        assert get_scorer(name)(estimator, X, y) == pytest.approx(
            sklearn_get_scorer(name)(estimator, X, y), rel=1e-12
        )
        assert get_scorer(name)(estimator, X, y, sample_weight=weight) == pytest.approx(
            sklearn_get_scorer(name)(estimator, X, y, sample_weight=weight), rel=1e-12
        )


def test_get_scorer_falls_back_to_sklearn(fitted, regression_data, multiclass_data):
    X, y = regression_data
    assert get_scorer("r2")(fitted["squared_error"], X, y) == pytest.approx(
        fitted["squared_error"].score(X, y)
    )
    X, y = multiclass_data
    assert get_scorer("accuracy")(fitted["hinge"], X, y) == fitted["hinge"].score(X, y)

    def custom(estimator, X, y):
        return 0.0

    assert get_scorer(custom) is custom


def test_get_scorer_unknown_name():
    with pytest.raises(ValueError, match="neg_mean_hinge_loss.*scikit-learn scorer name"):
        get_scorer("neg_mean_hinge")
    with pytest.raises(TypeError, match="str or a callable"):
        get_scorer(3)


# -- a newly registered loss gets a metric, a scorer and a name ---------------------------
class PoissonDevianceLoss(Loss):
    """Poisson deviance on the log scale: 2 (y log(y / mu) - y + mu), mu = exp(raw)."""

    inverse_link = staticmethod(np.exp)
    link = staticmethod(np.log)

    def loss(self, y_true, raw_prediction):
        log_y = np.log(np.where(y_true > 0, y_true, 1.0))
        return 2 * (y_true * (log_y - raw_prediction) - y_true + np.exp(raw_prediction))

    def gradient(self, y_true, raw_prediction):
        return 2 * (np.exp(raw_prediction) - y_true)


def test_a_newly_registered_loss_gets_everything(monkeypatch):
    monkeypatch.setitem(LOSSES, "poisson", PoissonDevianceLoss)
    assert "neg_mean_poisson_loss" in get_scorer_names()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1] + 1.0)).astype(float)
    weight = rng.uniform(0, 2, size=len(y))
    estimator = PoissonRegressor().fit(X, y)
    mu = estimator.predict(X)
    assert_allclose(
        mean_loss("poisson", y, mu, sample_weight=weight),
        mean_poisson_deviance(y, mu, sample_weight=weight),
        rtol=1e-12,
    )
    assert_allclose(
        d2_loss_score("poisson", y, mu, sample_weight=weight),
        d2_tweedie_score(y, mu, power=1, sample_weight=weight),
        rtol=1e-9,
    )
    assert get_scorer("neg_mean_poisson_loss")(estimator, X, y) == pytest.approx(
        sklearn_get_scorer("neg_mean_poisson_deviance")(estimator, X, y), rel=1e-12
    )

    class NoLinkLoss(PoissonDevianceLoss):
        link = None

    with pytest.raises(ValueError, match="inverse_link but no link"):
        mean_loss(NoLinkLoss(), y, mu)


class MeanBiasLoss(BatchLoss):
    """Squared weighted mean residual of a batch: ``(sum s (raw - y) / sum s)**2``."""

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return np.average(raw_prediction - y_true, axis=0, weights=sample_weight) ** 2

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        weight = np.ones(len(raw_prediction)) if sample_weight is None else sample_weight
        bias = np.average(raw_prediction - y_true, axis=0, weights=weight)
        return 2 * bias * (weight / weight.sum())[:, None]


def test_a_newly_registered_batch_level_loss_gets_a_metric_and_a_scorer(monkeypatch):
    """A batch statistic is scored on the whole evaluation set, with the weights inside."""
    monkeypatch.setitem(LOSSES, "mean_bias", MeanBiasLoss)
    assert "neg_mean_mean_bias_loss" in get_scorer_names()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=80)
    weight = rng.uniform(0, 2, size=len(y))
    estimator = SGDRegressor(**FIT_PARAMS).fit(X, y)
    prediction = estimator.predict(X)
    assert_allclose(
        mean_loss("mean_bias", y, prediction, sample_weight=weight),
        np.average(prediction - y, weights=weight) ** 2,
        rtol=1e-12,
    )
    two_outputs = np.column_stack([y, 2 * y]), np.column_stack([prediction, prediction])
    assert_allclose(
        mean_loss("mean_bias", *two_outputs),
        np.mean(np.mean(two_outputs[1] - two_outputs[0], axis=0) ** 2),
        rtol=1e-12,
    )
    scorer = get_scorer("neg_mean_mean_bias_loss")
    assert scorer(estimator, X, y, sample_weight=weight) == pytest.approx(
        -mean_loss("mean_bias", y, prediction, sample_weight=weight), rel=RTOL
    )


def test_colliding_scorer_names_are_refused(monkeypatch):
    monkeypatch.setitem(LOSSES, "hinge_loss", HingeLoss)
    with pytest.raises(ValueError, match="same scorer name 'neg_mean_hinge_loss'"):
        get_scorer_names()


PACKAGE_DIR = Path(sklosses.__file__).parent
METRICS_AND_PLOTS = sorted((PACKAGE_DIR / "metrics").glob("*.py")) + [PACKAGE_DIR / "plot.py"]


def module_id(path):
    return str(path.relative_to(PACKAGE_DIR))


def parse(path):
    return ast.parse(path.read_text(encoding="utf-8"))


def docstring_nodes(tree):
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }


def loss_class_names():
    """The registered loss classes and every concrete loss class of sklosses.losses."""
    concrete = {
        name
        for name, value in vars(sklosses.losses).items()
        if isinstance(value, type) and issubclass(value, Loss)
    }
    return ({cls.__name__ for cls in LOSSES.values()} | concrete) - {"Loss", "BatchLoss"}


@pytest.mark.parametrize("path", METRICS_AND_PLOTS, ids=module_id)
def test_metrics_never_name_a_loss(path):
    """Outside docstrings, the metrics and the plots name no registered loss and no loss
    class: they are driven by the registry and the losses' attributes alone."""
    tree = parse(path)
    docstrings = docstring_nodes(tree)
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not strings & set(LOSSES)
    assert not names & loss_class_names()


def test_no_warnings_from_scoring(fitted, multiclass_data):
    X, y = multiclass_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_scorer("neg_mean_focal_loss")(fitted["focal"], X, y)


def test_mean_loss_refuses_values_outside_the_domain_of_the_loss():
    """Targets the loss rejects, and predictions its link cannot map, raise clear errors."""
    domain_checked = [
        name
        for name, cls in LOSSES.items()
        if cls().task == "regression" and cls().link is not None
    ]
    assert domain_checked  # the registry has such a loss (Poisson)
    for name in domain_checked:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="negative|domain|target"):
                mean_loss(name, [-1.0, 2.0], [1.0, 2.0])
            with pytest.raises(ValueError, match="range of the predictions"):
                mean_loss(name, [1.0, 2.0], [-1.0, 2.0])
