"""Behavioural tests of ``SGDRegressor`` and ``SGDClassifier``.

What the estimators promise a user: clear errors, no silent divergence, dtype and
sparsity preserved, determinism, the classifier API, penalties, schedules,
``partial_fit``, early stopping, the fitted attributes and sample weights.
The scikit-learn estimator contract is in ``test_estimator_checks.py``, the losses in
``test_losses.py``, the scorers in ``test_metrics.py`` and the accuracy against exact
solvers in ``test_accuracy.py``. Every data set is small: the module runs in seconds.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, r2_score, recall_score, roc_auc_score

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import FocalLoss, HuberLoss, QuantileLoss

ESTIMATORS = [SGDRegressor, SGDClassifier]


# -- data: the factories of conftest.py at their defaults ---------------------------------


@pytest.fixture(scope="module")
def data_for(make_regression_data, make_classification_data):
    """``data_for(Estimator, **kwargs)``: regression data for a regressor, classification
    data for a classifier."""

    def data_for(Estimator, **kwargs):
        if Estimator is SGDRegressor:
            return make_regression_data(**kwargs)
        return make_classification_data(**kwargs)

    return data_for


def sparsify(X, threshold=0.7):
    """``X`` with its small entries set to zero (about half of them)."""
    X = X.copy()
    X[np.abs(X) < threshold] = 0
    return X


def partial_fit_once(estimator, X, y):
    """One ``partial_fit`` call, passing ``classes`` to a classifier."""
    if isinstance(estimator, SGDClassifier):
        return estimator.partial_fit(X, y, classes=np.unique(y))
    return estimator.partial_fit(X, y)


# -- 1. errors ------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "where, value, match",
    [
        ("X", np.nan, "NaN"),
        ("X", np.inf, "infinity"),
        ("y", np.nan, "NaN"),
        ("y", np.inf, "infinity"),
    ],
)
def test_non_finite_input_is_rejected(Estimator, where, value, match, data_for):
    X, y = data_for(Estimator, n_samples=100)
    X, y = X.copy(), y.astype(float)
    if where == "X":
        X[3, 1] = value
    else:
        y[3] = value
    with pytest.raises(ValueError, match=match):
        Estimator().fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_number_of_features(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=100)
    estimator = Estimator(random_state=0).fit(X, y)
    methods = ["predict"] if Estimator is SGDRegressor else ["predict", "decision_function"]
    for method in methods:
        with pytest.raises(ValueError, match=rf"3 features.*{X.shape[1]}"):
            getattr(estimator, method)(X[:, :3])
    with pytest.raises(ValueError, match=rf"3 features.*{X.shape[1]}"):
        estimator.score(X[:, :3], y)
    with pytest.raises(ValueError, match=rf"3 features.*{X.shape[1]}"):
        estimator.partial_fit(X[:, :3], y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unknown_loss_name_lists_valid_names(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=100)
    with pytest.raises(ValueError, match="squared_error") as info:
        Estimator(loss="bogus").fit(X, y)
    message = str(info.value)
    assert "bogus" in message
    assert "log_loss" in message and "hinge" in message


@pytest.mark.parametrize(
    "Estimator, loss, needed, given",
    [
        (SGDRegressor, "hinge", "regression", "binary"),
        (SGDRegressor, "log_loss", "regression", "binary"),
        (SGDClassifier, "pairwise_hinge", "binary", "ranking"),
        (SGDClassifier, "triplet", "binary", "metric"),
    ],
)
def test_loss_of_the_wrong_task(Estimator, loss, needed, given, data_for):
    X, y = data_for(Estimator, n_samples=100)
    with pytest.raises(ValueError) as info:
        Estimator(loss=loss).fit(X, y)
    message = str(info.value)
    assert needed in message and given in message, message


def test_single_class_is_rejected(make_classification_data):
    X, _ = make_classification_data(n_samples=50)
    with pytest.raises(ValueError, match="class"):
        SGDClassifier().fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="class"):
        SGDClassifier().fit(X, np.array(["a"] * len(X)))


BAD_ESTIMATOR_PARAMS = [
    ({"alpha": -1}, "alpha"),
    ({"l1_ratio": 2}, "l1_ratio"),
    ({"max_iter": 0}, "max_iter"),
    ({"eta0": 0, "learning_rate": "constant"}, "eta0"),
    ({"eta0": 0}, "eta0"),
    ({"eta0": -0.1, "learning_rate": "invscaling"}, "eta0"),
    ({"penalty": "l3"}, "penalty"),
    ({"learning_rate": "bogus"}, "learning_rate"),
    ({"batch_size": 0}, "batch_size"),
    ({"validation_fraction": 1.5, "early_stopping": True}, "validation_fraction"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"average": -3}, "average"),
    ({"n_iter_no_change": 0}, "n_iter_no_change"),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, name",
    BAD_ESTIMATOR_PARAMS,
    ids=[name + "-" + str(i) for i, (_, name) in enumerate(BAD_ESTIMATOR_PARAMS)],
)
def test_bad_parameter_is_named(Estimator, params, name, data_for):
    X, y = data_for(Estimator, n_samples=100)
    with pytest.raises(ValueError, match=name):
        Estimator(**params).fit(X, y)


@pytest.mark.parametrize(
    "Estimator, loss, name",
    [
        (SGDRegressor, QuantileLoss(quantile=1.5), "quantile"),
        (SGDRegressor, QuantileLoss(quantile=0.0), "quantile"),
        (SGDRegressor, HuberLoss(delta=-1), "delta"),
        (SGDClassifier, FocalLoss(gamma=-1), "gamma"),
        (SGDClassifier, FocalLoss(alpha=2), "alpha"),
    ],
)
def test_bad_loss_parameter_is_named_at_fit(Estimator, loss, name, data_for):
    X, y = data_for(Estimator, n_samples=100)
    estimator = Estimator(loss=loss)  # __init__ stores, fit validates
    with pytest.raises(ValueError, match=name):
        estimator.fit(X, y)
    with pytest.raises(ValueError, match=name):
        partial_fit_once(clone(estimator), X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_sample_weight(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=100)
    weight = np.ones(len(y))
    weight[5] = -1
    with pytest.raises(ValueError, match=r"(?i)sample_weight.*negative"):
        Estimator().fit(X, y, sample_weight=weight)
    with pytest.raises(ValueError, match="sample_weight"):
        Estimator().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="sample_weight"):
        Estimator().fit(X, y, sample_weight=np.ones(len(y) - 1))
    weight = np.ones(len(y))
    weight[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Estimator().fit(X, y, sample_weight=weight)


def test_partial_fit_needs_classes_on_first_call(make_classification_data):
    X, y = make_classification_data(n_samples=100)
    with pytest.raises(ValueError, match="classes"):
        SGDClassifier().partial_fit(X, y)


def test_partial_fit_rejects_label_outside_classes(make_classification_data):
    X, y = make_classification_data(n_samples=100)
    classifier = SGDClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    y_new = y.copy()
    y_new[0] = 7
    with pytest.raises(ValueError, match="7"):
        classifier.partial_fit(X, y_new)
    with pytest.raises(ValueError, match="7"):
        SGDClassifier().partial_fit(X, y_new, classes=[0, 1])


def test_partial_fit_rejects_balanced_class_weight_with_advice(make_classification_data):
    X, y = make_classification_data(n_samples=100)
    with pytest.raises(ValueError, match="balanced") as info:
        SGDClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    assert "compute_class_weight" in str(info.value)  # says what to do instead (sklearn's words)


# -- 2. divergence is never silent ----------------------------------------------------


@pytest.fixture(scope="module")
def badly_scaled_regression(make_regression_data):
    """``badly_scaled_regression(factor)``: regression data whose first two columns are
    multiplied by ``factor``."""

    def badly_scaled_regression(factor):
        X, y = make_regression_data(n_samples=600, noise=0.01, seed=1)
        X[:, :2] *= factor
        return X, y

    return badly_scaled_regression


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_divergence_raises_with_advice(learning_rate, badly_scaled_regression):
    X, y = badly_scaled_regression(1e3)
    regressor = SGDRegressor(learning_rate=learning_rate, eta0=1e6, random_state=0)
    with pytest.raises(ValueError, match="eta0") as info:
        regressor.fit(X, y)
    assert "scal" in str(info.value).lower()
    assert not hasattr(regressor, "coef_") or np.isfinite(regressor.coef_).all()


def test_auto_learning_rate_handles_badly_scaled_columns(badly_scaled_regression):
    X, y = badly_scaled_regression(1e6)
    regressor = SGDRegressor(random_state=0).fit(X, y)
    prediction = regressor.predict(X)
    assert np.isfinite(regressor.coef_).all() and np.isfinite(regressor.intercept_).all()
    assert np.isfinite(prediction).all()
    assert r2_score(y, prediction) > 0.9


def test_auto_learning_rate_handles_badly_scaled_columns_classifier(make_classification_data):
    X, y = make_classification_data(n_samples=600)
    X = X.copy()
    X[:, :3] *= 1e6
    X[:, 3] += 1e4
    classifier = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    assert np.isfinite(classifier.coef_).all()
    assert np.isfinite(classifier.predict_proba(X)).all()
    assert classifier.score(X, y) > 0.85


# -- 3. float32 -----------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dtype_is_preserved(Estimator, sparse, data_for):
    X, y = data_for(Estimator, n_samples=400)
    as_input = sp.csr_matrix if sparse else np.asarray
    fit32 = Estimator(random_state=0).fit(as_input(X.astype(np.float32)), y)
    fit64 = Estimator(random_state=0).fit(as_input(X), y)
    assert fit32.coef_.dtype == np.float32 and fit32.intercept_.dtype == np.float32
    assert fit64.coef_.dtype == np.float64 and fit64.intercept_.dtype == np.float64
    if Estimator is SGDRegressor:
        prediction32 = fit32.predict(X.astype(np.float32))
        assert prediction32.dtype == np.float32
        np.testing.assert_allclose(prediction32, fit64.predict(X), rtol=1e-3, atol=1e-3 * np.std(y))
    else:
        np.testing.assert_allclose(
            fit32.decision_function(X), fit64.decision_function(X), rtol=1e-3, atol=1e-3
        )
        assert np.mean(fit32.predict(X) == fit64.predict(X)) >= 0.99


# -- 4. sparse input and memory layouts -----------------------------------------------


@pytest.mark.parametrize(
    "Estimator, loss, n_classes",
    [
        (SGDRegressor, "squared_error", None),
        (SGDRegressor, "absolute_error", None),
        (SGDClassifier, "hinge", 2),
        (SGDClassifier, "log_loss", 3),
    ],
)
def test_csr_matches_dense(Estimator, loss, n_classes, data_for):
    kwargs = {} if n_classes is None else {"n_classes": n_classes}
    X, y = data_for(Estimator, n_samples=500, **kwargs)
    X = sparsify(X)
    dense = Estimator(loss=loss, random_state=0).fit(X, y)
    csr = Estimator(loss=loss, random_state=0).fit(sp.csr_matrix(X), y)
    # CSR input is preconditioned without centring: another path to the optimum, reached
    # by both to the default tol (the hinge loss's flat directions let the models differ
    # more than their objectives)
    assert abs(csr.objective_ - dense.objective_) <= 1e-3 * dense.objective_
    scale = np.abs(dense.coef_).max()
    np.testing.assert_allclose(csr.coef_, dense.coef_, atol=5e-2 * scale)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, atol=5e-2 * scale)
    # predict accepts CSR and agrees with dense input
    for estimator in (csr, dense):
        np.testing.assert_allclose(
            estimator.predict(sp.csr_matrix(X)), estimator.predict(X), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_other_dense_layouts_match_c_order(Estimator, data_for):
    """Fortran order and strided views go through the gathering path of the engine."""
    X, y = data_for(Estimator, n_samples=500)
    reference = Estimator(random_state=0).fit(X, y)
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    for layout in (np.asfortranarray(X), wide[:, ::2]):
        other = Estimator(random_state=0).fit(layout, y)
        np.testing.assert_allclose(other.coef_, reference.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(other.intercept_, reference.intercept_, rtol=1e-9, atol=1e-12)


# -- 5. determinism and no mutation ---------------------------------------------------


@pytest.mark.parametrize("loss", ["squared_error", "huber", "hinge", "log_loss"])
def test_same_random_state_is_bit_identical(loss, data_for):
    Estimator = SGDRegressor if loss in ("squared_error", "huber") else SGDClassifier
    X, y = data_for(Estimator, n_samples=400)
    estimator = Estimator(loss=loss, random_state=42)
    first = clone(estimator).fit(X, y)
    second = clone(estimator).fit(X, y)
    refit = estimator.fit(X, y).fit(X, y)
    for other in (second, refit):
        np.testing.assert_array_equal(other.coef_, first.coef_)
        np.testing.assert_array_equal(other.intercept_, first.intercept_)
        assert other.n_iter_ == first.n_iter_
    # a different seed is actually used (by SGD: the full-batch phase that follows it
    # reaches the same optimum from either start)
    sgd = clone(estimator).set_params(solver="sgd")
    assert not np.array_equal(
        clone(sgd).set_params(random_state=7).fit(X, y).coef_, sgd.fit(X, y).coef_
    )


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "Estimator, params",
    [
        (SGDRegressor, {}),
        (SGDRegressor, {"early_stopping": True}),
        (SGDClassifier, {"class_weight": "balanced"}),
        (SGDClassifier, {"early_stopping": True, "class_weight": {0: 2.0}}),
    ],
)
def test_inputs_are_not_mutated(Estimator, params, sparse, data_for):
    X, y = data_for(Estimator, n_samples=300)
    X = sparsify(X)
    weight = np.random.default_rng(0).uniform(0.5, 2, len(y))
    X_in = sp.csr_matrix(X) if sparse else X.copy()
    X_copy = X_in.copy()
    y_in, weight_in = y.copy(), weight.copy()
    estimator = Estimator(random_state=0, **params).fit(X_in, y_in, sample_weight=weight_in)
    estimator.predict(X_in)
    if params.get("class_weight") != "balanced":  # balanced is refused by partial_fit
        estimator.partial_fit(X_in, y_in, sample_weight=weight_in)
    np.testing.assert_array_equal(y_in, y)
    np.testing.assert_array_equal(weight_in, weight)
    if sparse:
        np.testing.assert_array_equal(X_in.data, X_copy.data)
        np.testing.assert_array_equal(X_in.indices, X_copy.indices)
        np.testing.assert_array_equal(X_in.indptr, X_copy.indptr)
    else:
        np.testing.assert_array_equal(X_in, X_copy)


# -- 6. classifier API ----------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_string_labels(n_classes, make_classification_data):
    X, y = make_classification_data(n_samples=600, n_classes=n_classes)
    names = np.array(["cat", "dog", "emu"])[:n_classes]
    labels = names[y]
    classifier = SGDClassifier(random_state=0).fit(X, labels)
    np.testing.assert_array_equal(classifier.classes_, names)
    prediction = classifier.predict(X)
    assert prediction.dtype == labels.dtype
    assert set(prediction) <= set(names)
    assert np.mean(prediction == labels) > 0.85
    # the same model as with integer labels
    integer = SGDClassifier(random_state=0).fit(X, y)
    np.testing.assert_allclose(classifier.coef_, integer.coef_)
    np.testing.assert_array_equal(names[integer.predict(X)], prediction)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_shapes_and_accuracy(n_classes, make_classification_data):
    X, y = make_classification_data(n_samples=600, n_classes=n_classes)
    classifier = SGDClassifier(random_state=0).fit(X, y)
    n_outputs = 1 if n_classes == 2 else n_classes
    assert classifier.coef_.shape == (n_outputs, X.shape[1])
    assert classifier.intercept_.shape == (n_outputs,)
    decision = classifier.decision_function(X)
    assert decision.shape == ((len(X),) if n_classes == 2 else (len(X), n_classes))
    expected = (decision > 0).astype(int) if n_classes == 2 else decision.argmax(axis=1)
    np.testing.assert_array_equal(classifier.predict(X), classifier.classes_[expected])
    assert classifier.score(X, y) > 0.85


@pytest.mark.parametrize("loss", ["log_loss", "focal", FocalLoss(gamma=1.0, alpha=0.25)], ids=str)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_proba(loss, n_classes, make_classification_data):
    X, y = make_classification_data(n_samples=600, n_classes=n_classes)
    classifier = SGDClassifier(loss=loss, random_state=0).fit(X, y)
    assert hasattr(classifier, "predict_proba")
    proba = classifier.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(classifier.classes_[proba.argmax(axis=1)], classifier.predict(X))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(classifier.predict_log_proba(X), np.log(proba))
    if n_classes == 2:  # the inverse link of the decision function
        np.testing.assert_allclose(
            proba[:, 1], 1 / (1 + np.exp(-classifier.decision_function(X))), rtol=1e-10
        )
    # well separated data: confident and mostly right
    assert np.mean(proba.max(axis=1)) > 0.6


def test_no_predict_proba_for_hinge(make_classification_data):
    X, y = make_classification_data(n_samples=200)
    assert not hasattr(SGDClassifier(loss="hinge"), "predict_proba")
    classifier = SGDClassifier(loss="hinge", random_state=0).fit(X, y)
    assert not hasattr(classifier, "predict_proba")
    assert not hasattr(classifier, "predict_log_proba")
    with pytest.raises(AttributeError):
        classifier.predict_proba(X)
    # a model trained with hinge has no probabilities until it is refitted with a
    # probabilistic loss (the link of the loss it was trained with decides)
    assert not hasattr(classifier.set_params(loss="log_loss"), "predict_proba")
    assert hasattr(classifier.fit(X, y), "predict_proba")


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
@pytest.mark.parametrize("class_weight", ["balanced", {1: 9.0}, {0: 1.0, 1: 9.0}], ids=str)
def test_class_weight_favours_the_upweighted_class(loss, class_weight, make_classification_data):
    X, y = make_classification_data(n_samples=2000, weights=[0.9], class_sep=0.8)
    plain = SGDClassifier(loss=loss, random_state=0).fit(X, y)
    weighted = SGDClassifier(loss=loss, class_weight=class_weight, random_state=0).fit(X, y)
    plain_recall = recall_score(y, plain.predict(X))
    weighted_recall = recall_score(y, weighted.predict(X))
    assert weighted_recall > plain_recall + 0.1
    assert np.mean(weighted.predict(X) == 1) > np.mean(plain.predict(X) == 1)


def test_class_weight_dict_equals_sample_weight(make_classification_data):
    X, y = make_classification_data(n_samples=500, weights=[0.8])
    by_class = SGDClassifier(loss="log_loss", class_weight={1: 4.0}, random_state=0).fit(X, y)
    by_sample = SGDClassifier(loss="log_loss", random_state=0).fit(
        X, y, sample_weight=np.where(y == 1, 4.0, 1.0)
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10)


def test_partial_fit_class_weight_dict_with_a_chunk_missing_a_class(make_classification_data):
    """A dict naming only the minority class (the usual spelling) must work on any chunk."""
    X, y = make_classification_data(n_samples=600, weights=[0.8])
    classifier = SGDClassifier(loss="log_loss", class_weight={1: 4.0}, random_state=0)
    order = np.argsort(y, kind="stable")  # first chunks have class 0 only
    for start in range(0, len(y), 100):
        rows = order[start : start + 100]
        classifier.partial_fit(X[rows], y[rows], classes=[0, 1])
    assert np.isfinite(classifier.coef_).all()


# -- 7. penalties ---------------------------------------------------------------------


# 20 standard normal features of which only the first 3 matter
SPARSE_COEF = np.r_[2.0, -3.0, 1.5, np.zeros(17)]


@pytest.mark.parametrize(
    "params",
    [
        {"penalty": "l1"},
        {"penalty": "elasticnet", "l1_ratio": 0.5},
        {"penalty": "l1", "average": False, "batch_size": 200},
        {"penalty": "elasticnet", "l1_ratio": 0.5, "average": False, "batch_size": 200},
    ],
    ids=[
        "l1-default",
        "elasticnet-default",
        "l1-large-batch-no-average",
        "elasticnet-large-batch-no-average",
    ],
)
def test_l1_penalties_give_exact_zeros(params, make_regression_data):
    """The lasso solution of this problem has all 17 irrelevant coefficients at zero
    (scikit-learn's ``SGDRegressor(penalty='l1', alpha=0.05)`` finds all 17)."""
    X, y = make_regression_data(1000, coef=SPARSE_COEF, intercept=0.5)
    regressor = SGDRegressor(alpha=0.05, random_state=0, **params).fit(X, y)
    assert np.all(regressor.coef_[:3] != 0)
    n_zeros = int(np.sum(regressor.coef_[3:] == 0))
    assert n_zeros >= 14, f"only {n_zeros} of 17 irrelevant coefficients are exactly 0"


def test_penalty_none_and_alpha_shrinkage(make_regression_data):
    X, y = make_regression_data(500, coef=SPARSE_COEF, intercept=0.5)
    free = SGDRegressor(penalty=None, random_state=0).fit(X, y)
    assert free.score(X, y) > 0.99
    # alpha has no effect without a penalty
    np.testing.assert_array_equal(
        SGDRegressor(penalty=None, alpha=10.0, random_state=0).fit(X, y).coef_, free.coef_
    )
    norms = [
        np.linalg.norm(SGDRegressor(alpha=alpha, random_state=0).fit(X, y).coef_)
        for alpha in (1e-4, 0.1, 1.0, 10.0)
    ]
    assert all(a > b for a, b in zip(norms, norms[1:], strict=False)), norms
    assert norms[-1] < 0.5 * norms[0]


# -- 8. schedules and averaging -------------------------------------------------------


@pytest.mark.parametrize("learning_rate", ["auto", "constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_learning_rate_fits(Estimator, learning_rate, data_for):
    X, y = data_for(Estimator, n_samples=500)
    estimator = Estimator(learning_rate=learning_rate, eta0=0.1, random_state=0).fit(X, y)
    if Estimator is SGDRegressor:
        assert estimator.score(X, y) > 0.9
    else:
        assert estimator.score(X, y) > 0.85


def test_eta0_is_used_by_constant_schedule(make_regression_data):
    X, y = make_regression_data(n_samples=500)
    tiny = SGDRegressor(
        learning_rate="constant", eta0=1e-5, max_iter=3, tol=None, random_state=0
    ).fit(X, y)
    good = SGDRegressor(
        learning_rate="constant", eta0=0.1, max_iter=3, tol=None, random_state=0
    ).fit(X, y)
    assert tiny.score(X, y) < 0.5 < 0.9 < good.score(X, y)


@pytest.mark.parametrize("average", [True, False, 10, "auto"], ids=str)
@pytest.mark.parametrize("learning_rate", ["auto", "invscaling"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_average_options(Estimator, learning_rate, average, data_for):
    X, y = data_for(Estimator, n_samples=400)
    estimator = Estimator(
        average=average, learning_rate=learning_rate, eta0=0.1, random_state=0
    ).fit(X, y)
    assert np.isfinite(estimator.coef_).all() and np.isfinite(estimator.intercept_).all()
    assert estimator.score(X, y) > 0.85


def test_average_changes_the_model(make_regression_data):
    X, y = make_regression_data(n_samples=400, noise=1.0)
    params = dict(learning_rate="constant", eta0=0.05, max_iter=5, tol=None, random_state=0)
    averaged = SGDRegressor(average=True, **params).fit(X, y)
    last = SGDRegressor(average=False, **params).fit(X, y)
    assert not np.allclose(averaged.coef_, last.coef_)


def test_average_numpy_false_means_no_averaging(make_regression_data):
    """``np.False_`` (e.g. from a grid built with numpy) must mean ``False``."""
    X, y = make_regression_data(n_samples=300, noise=1.0)
    off = SGDRegressor(average=False, random_state=0).fit(X, y)
    numpy_off = SGDRegressor(average=np.False_, random_state=0).fit(X, y)
    np.testing.assert_array_equal(numpy_off.coef_, off.coef_)


# -- 9. partial_fit and warm start ----------------------------------------------------


def test_partial_fit_regressor_over_chunks(make_regression_data):
    X, y = make_regression_data(n_samples=1000)
    regressor = SGDRegressor(random_state=0)
    n_iter, t = [], []
    for _ in range(2):
        for start in range(0, len(y), 200):
            regressor.partial_fit(X[start : start + 200], y[start : start + 200])
            n_iter.append(regressor.n_iter_)
            t.append(regressor.t_)
    assert regressor.score(X, y) > 0.9
    assert n_iter == [1] * 10  # as scikit-learn: one epoch per partial_fit call
    assert np.all(np.diff(t) == 200)
    assert len(regressor.loss_curve_) == 10


def test_partial_fit_classifier_over_chunks(make_classification_data):
    X, y = make_classification_data(n_samples=1000, n_classes=3)
    classifier = SGDClassifier(loss="log_loss", random_state=0)
    t = []
    for _ in range(2):
        for start in range(0, len(y), 200):
            classifier.partial_fit(
                X[start : start + 200], y[start : start + 200], classes=[0, 1, 2]
            )
            t.append(classifier.t_)
    assert classifier.score(X, y) > 0.85
    assert classifier.n_iter_ == 1  # as scikit-learn: one epoch per partial_fit call
    assert np.all(np.diff(t) > 0)
    np.testing.assert_array_equal(classifier.classes_, [0, 1, 2])


def test_partial_fit_classes_may_be_absent_from_first_chunk(make_classification_data):
    X, y = make_classification_data(n_samples=600, n_classes=3)
    classifier = SGDClassifier(loss="log_loss", random_state=0)
    classifier.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert classifier.coef_.shape == (3, X.shape[1])
    for _ in range(5):
        classifier.partial_fit(X, y)
    assert classifier.score(X, y) > 0.85


@pytest.mark.parametrize("chunk_size", [1, 2, 10])
def test_partial_fit_small_chunks(chunk_size, make_regression_data):
    """Online learning on standardised data, a few rows at a time."""
    X, y = make_regression_data(n_samples=1000, n_features=4)
    regressor = SGDRegressor(random_state=0)
    for start in range(0, len(y), chunk_size):
        regressor.partial_fit(X[start : start + chunk_size], y[start : start + chunk_size])
    assert np.isfinite(regressor.coef_).all()
    assert regressor.score(X, y) > 0.9


def test_partial_fit_stream_sorted_by_a_feature(make_regression_data):
    """Chunks that are not alike (a stream drifting along one feature) still converge
    on standardised data, or fail loudly -- never finite garbage."""
    X, y = make_regression_data(n_samples=2000, n_features=4)
    order = np.argsort(X[:, 0])
    X, y = X[order], y[order]
    regressor = SGDRegressor(random_state=0)
    for _ in range(2):
        for start in range(0, len(y), 100):
            regressor.partial_fit(X[start : start + 100], y[start : start + 100])
    assert regressor.score(X, y) > 0.9


def test_partial_fit_after_fit_continues(make_regression_data, make_classification_data):
    X, y = make_regression_data(n_samples=500)
    regressor = SGDRegressor(random_state=0).fit(X, y)
    coef, n_iter, t = regressor.coef_.copy(), regressor.n_iter_, regressor.t_
    regressor.partial_fit(X, y)
    assert regressor.n_iter_ == 1 and n_iter >= 1  # as scikit-learn: per call
    assert regressor.t_ == t + len(y)
    np.testing.assert_allclose(regressor.coef_, coef, rtol=0.02)
    assert regressor.score(X, y) > 0.99
    # partial_fit after fit on a classifier keeps the classes of fit
    Xc, yc = make_classification_data(n_samples=300)
    classifier = SGDClassifier(random_state=0).fit(Xc, yc)
    classifier.partial_fit(Xc[yc == 0], yc[yc == 0])
    np.testing.assert_array_equal(classifier.classes_, [0, 1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=500)
    loss = "squared_error" if Estimator is SGDRegressor else "log_loss"
    # the SGD epochs show where a fit starts (the full-batch phase ends at the optimum
    # from any start)
    cold = Estimator(loss=loss, random_state=0, solver="sgd").fit(X, y)
    warm = Estimator(loss=loss, warm_start=True, random_state=0, solver="sgd").fit(X, y)
    first_curve = list(warm.loss_curve_)
    warm.fit(X, y)
    assert warm.loss_curve_[0] < cold.loss_curve_[0]
    assert warm.loss_curve_[0] < first_curve[0]
    assert len(warm.loss_curve_) == warm.n_iter_  # a new curve for the new fit
    # without warm_start, a refit starts over and repeats the first fit exactly
    refit = clone(cold).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(refit.coef_, cold.coef_)
    assert refit.loss_curve_ == cold.loss_curve_


# -- 10. early stopping ---------------------------------------------------------------


@pytest.mark.parametrize(
    "Estimator, loss",
    [
        (SGDRegressor, "squared_error"),
        (SGDRegressor, "absolute_error"),
        (SGDClassifier, "hinge"),
        (SGDClassifier, "log_loss"),
    ],
)
def test_early_stopping_default_score(Estimator, loss, data_for):
    X, y = data_for(Estimator, n_samples=600)
    estimator = Estimator(loss=loss, early_stopping=True, random_state=0).fit(X, y)
    scores = estimator.validation_scores_
    assert len(scores) == estimator.n_iter_ == len(estimator.loss_curve_)
    assert estimator.n_iter_ < estimator.max_iter
    assert estimator.best_validation_score_ == max(scores)
    assert all(score <= 0 for score in scores)  # minus a mean non-negative loss
    if loss == "squared_error":  # minus the validation MSE: about the noise variance
        assert -estimator.best_validation_score_ < 0.05


@pytest.mark.parametrize(
    "Estimator, scoring, low, high",
    [
        (SGDRegressor, "r2", 0.9, 1.0),
        (SGDRegressor, "neg_mean_huber_loss", -0.05, 0.0),
        (SGDClassifier, "accuracy", 0.85, 1.0),
        (SGDClassifier, "neg_mean_hinge_loss", -1.0, 0.0),
    ],
)
def test_early_stopping_with_scoring(Estimator, scoring, low, high, data_for):
    X, y = data_for(Estimator, n_samples=600)
    estimator = Estimator(early_stopping=True, scoring=scoring, random_state=0).fit(X, y)
    scores = estimator.validation_scores_
    assert len(scores) == estimator.n_iter_
    assert estimator.best_validation_score_ == max(scores)
    assert low < estimator.best_validation_score_ <= high
    assert all(score <= high for score in scores)
    # the scorer does not leak into the fitted model: coef_ is the final model
    assert estimator.score(X, y) > 0.85


def test_early_stopping_unknown_scoring(make_regression_data):
    X, y = make_regression_data(n_samples=200)
    with pytest.raises(ValueError, match="bogus"):
        SGDRegressor(early_stopping=True, scoring="bogus").fit(X, y)


# -- 11. fitted attributes ------------------------------------------------------------


@pytest.mark.parametrize(
    "Estimator, loss",
    [(SGDRegressor, "squared_error"), (SGDRegressor, "huber"), (SGDClassifier, "log_loss")],
)
def test_loss_curve_and_n_features(Estimator, loss, data_for):
    X, y = data_for(Estimator, n_samples=500)
    estimator = Estimator(loss=loss, random_state=0, solver="sgd").fit(X, y)
    assert estimator.n_features_in_ == X.shape[1]
    assert len(estimator.loss_curve_) == estimator.n_iter_
    assert np.isfinite(estimator.loss_curve_).all()
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    assert estimator.t_ == estimator.n_iter_ * len(y) + 1
    assert not hasattr(estimator, "feature_names_in_")
    # with the full-batch phase: its iterations count in n_iter_, its objective ends
    # the curve, and it is lower than where SGD alone stopped
    default = Estimator(loss=loss, random_state=0).fit(X, y)
    epochs = default.n_iter_ - default.n_full_batch_iter_
    assert len(default.loss_curve_) == epochs + 1
    assert default.loss_curve_[-1] == default.objective_ <= estimator.objective_
    assert default.t_ == epochs * len(y) + 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_feature_names_from_dataframe(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=200)
    columns = [f"feature_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    estimator = Estimator(random_state=0).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(estimator.feature_names_in_, columns)
    raw = X @ estimator.coef_.T + estimator.intercept_
    if Estimator is SGDRegressor:
        np.testing.assert_allclose(estimator.predict(frame), raw.ravel(), rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(
            estimator.decision_function(frame), raw.ravel(), rtol=1e-12, atol=1e-12
        )
    with pytest.raises(ValueError, match="feature names"):
        estimator.predict(frame.rename(columns={"feature_0": "other"}))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_tol_none_runs_max_iter_epochs(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator = Estimator(tol=None, max_iter=7, random_state=0).fit(X, y)
    assert estimator.n_iter_ == 7
    assert len(estimator.loss_curve_) == 7


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_convergence_warning_when_max_iter_is_reached(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=300)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        estimator = Estimator(max_iter=2, random_state=0, solver="sgd").fit(X, y)
    assert estimator.n_iter_ == 2
    # the full-batch phase too: one Newton step does not reach the kink of the hinge
    # or the absolute loss
    loss = "absolute_error" if Estimator is SGDRegressor else "hinge"
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        Estimator(loss=loss, max_iter=1, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged = Estimator(random_state=0).fit(X, y)
    assert converged.n_iter_ < converged.max_iter


# -- 12. sorted data ------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
def test_data_sorted_by_class_trains_as_well(loss, make_classification_data):
    X, y = make_classification_data(n_samples=1000, class_sep=1.0)
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(y[order]) >= 0)
    shuffled = SGDClassifier(loss=loss, random_state=0).fit(X, y).score(X, y)
    by_class = SGDClassifier(loss=loss, random_state=0).fit(X[order], y[order]).score(X, y)
    in_order = (
        SGDClassifier(loss=loss, shuffle=False, random_state=0).fit(X[order], y[order]).score(X, y)
    )
    assert shuffled > 0.85
    assert by_class >= shuffled - 0.02
    assert in_order >= shuffled - 0.02


def test_regression_data_sorted_by_target(make_regression_data):
    X, y = make_regression_data(n_samples=1000)
    order = np.argsort(y)
    for shuffle in (True, False):
        regressor = SGDRegressor(shuffle=shuffle, random_state=0).fit(X[order], y[order])
        assert regressor.score(X, y) > 0.99


# -- 13. sample weights ---------------------------------------------------------------


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_integer_weights_are_like_repeated_rows(loss, make_regression_data):
    rng = np.random.default_rng(3)
    X, y = make_regression_data(n_samples=400, noise=0.3, seed=3)
    weight = rng.integers(0, 4, size=len(y))
    y = np.where(weight == 0, y + 5.0, y)  # rows of weight 0 are corrupted
    weighted = SGDRegressor(loss=loss, random_state=0).fit(X, y, sample_weight=weight)
    repeated = SGDRegressor(loss=loss, random_state=0).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    unweighted = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=0.05)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=0.05)
    clean = weight > 0
    assert abs(weighted.score(X[clean], y[clean]) - repeated.score(X[clean], y[clean])) < 0.01
    # the weights matter: the unweighted model is pulled by the corrupted rows
    assert abs(unweighted.intercept_[0] - weighted.intercept_[0]) > 0.1


def test_integer_weights_classifier(make_classification_data):
    X, y = make_classification_data(n_samples=400, class_sep=0.8)
    weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    weighted = SGDClassifier(loss="log_loss", random_state=0).fit(X, y, sample_weight=weight)
    repeated = SGDClassifier(loss="log_loss", random_state=0).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    unweighted = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)

    def weighted_log_loss(model):
        return log_loss(y, model.predict_proba(X), sample_weight=weight)

    def largest_probability_gap(model):
        return np.abs(model.predict_proba(X) - repeated.predict_proba(X)).max()

    assert abs(weighted_log_loss(weighted) - weighted_log_loss(repeated)) < 0.002
    assert largest_probability_gap(weighted) < 0.1
    assert np.mean(weighted.predict(X) == repeated.predict(X)) > 0.97
    # the weights matter: ignoring them gives a visibly different model
    assert largest_probability_gap(unweighted) > 0.1
    assert weighted_log_loss(unweighted) > weighted_log_loss(weighted)


def test_tiny_weight_on_half_is_like_fitting_the_other_half():
    rng = np.random.default_rng(0)
    X_a, X_b = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) + 1
    y_a = X_a @ [1.0, 2.0, 3.0, 4.0] + 1
    y_b = X_b @ [-4.0, 0.0, 2.0, 1.0] - 3
    X, y = np.vstack([X_a, X_b]), np.r_[y_a, y_b]
    weight = np.r_[np.ones(300), np.full(300, 1e-6)]
    weighted = SGDRegressor(random_state=0).fit(X, y, sample_weight=weight)
    alone = SGDRegressor(random_state=0).fit(X_a, y_a)
    np.testing.assert_allclose(weighted.coef_, alone.coef_, atol=0.05)
    np.testing.assert_allclose(weighted.intercept_, alone.intercept_, atol=0.05)
    assert r2_score(y_a, weighted.predict(X_a)) > 0.99
    # and weights are scale-free: multiplying them all by 1000 changes nothing
    scaled = SGDRegressor(random_state=0).fit(X, y, sample_weight=1000 * weight)
    np.testing.assert_allclose(scaled.coef_, weighted.coef_, rtol=1e-6, atol=1e-9)


def test_unit_weights_equal_no_weights(make_regression_data):
    X, y = make_regression_data(n_samples=300)
    plain = SGDRegressor(random_state=0).fit(X, y)
    ones = SGDRegressor(random_state=0).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.coef_, plain.coef_, rtol=1e-12)


# -- 14. focal loss on imbalanced data ------------------------------------------------


def test_focal_loss_on_imbalanced_classes(make_classification_data):
    X, y = make_classification_data(n_samples=2100, weights=[20 / 21])
    assert 0.03 < y.mean() < 0.07
    classifier = SGDClassifier(loss=FocalLoss(gamma=2.0, alpha=0.75), random_state=0)
    classifier.fit(X, y)
    proba = classifier.predict_proba(X)
    assert np.isfinite(classifier.coef_).all() and np.isfinite(classifier.intercept_).all()
    assert np.isfinite(classifier.decision_function(X)).all()
    assert np.isfinite(proba).all() and np.isfinite(classifier.loss_curve_).all()
    assert roc_auc_score(y, proba[:, 1]) > 0.9
    assert recall_score(y, classifier.predict(X)) > 0.2


def test_verbose_prints_one_line_per_epoch_with_objective_step_and_time(capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=300)
    model = SGDRegressor(verbose=1, max_iter=4, tol=None, early_stopping=True, random_state=0)
    model.fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("-- Epoch")]
    assert len(lines) == model.n_iter_ == 4
    for epoch, (line, objective) in enumerate(zip(lines, model.loss_curve_, strict=True), start=1):
        assert line.startswith(f"-- Epoch {epoch}: objective {objective:.6g}")
        assert "validation score" in line and "step size" in line and "elapsed" in line


def test_fit_on_a_memmap_equals_fit_in_memory(tmp_path):
    """Batches are views, so a memmap is read batch by batch and gives the same model."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5000, 6)), rng.normal(size=5000)
    mapped = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X.shape)
    mapped[:] = X
    mapped.flush()
    mapped = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="r", shape=X.shape)
    from_disk = SGDRegressor(random_state=0).fit(mapped, y)
    in_memory = SGDRegressor(random_state=0).fit(X, y)
    np.testing.assert_array_equal(from_disk.coef_, in_memory.coef_)
    np.testing.assert_array_equal(from_disk.intercept_, in_memory.intercept_)
