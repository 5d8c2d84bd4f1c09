"""Hardening (issue 8): persistence, thread safety, numerical edge cases, property-based
checks over every registered loss, and the bad inputs not covered elsewhere.

Already covered and not repeated here: NaN/inf input, bad sample weights, bad parameters,
divergence, determinism and non-mutation (``test_linear_model.py``); finite differences,
smoothness on grids, convexity and fixed-grid extreme values (``test_losses.py``); soft
labels that do not sum to 1 (``test_multiclass.py``).
"""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score, recall_score

import sklosses
from sklosses import SGDClassifier, SGDRanker, SGDRegressor, TripletMetricLearner
from sklosses.intervals import MultiQuantileRegressor
from sklosses.losses import (
    LOSSES,
    DiceLoss,
    ExpectileLoss,
    FocalLoss,
    HuberLoss,
    QuantileLoss,
    SoftmaxFocalLoss,
)

ALL_ESTIMATORS = [SGDRegressor, SGDClassifier, MultiQuantileRegressor]


# This module's data (the factories of conftest.py): regression on four features with these
# coefficients, classification on five features of which three are informative.
REGRESSION_COEF = np.linspace(-2, 2, 4)
CLASSIFICATION_FEATURES = dict(n_features=5, n_informative=3)


@pytest.fixture(scope="module")
def data_for(make_regression_data, make_classification_data):
    """``data_for(Estimator, n_samples=300)``: this module's data for ``Estimator``."""

    def data_for(Estimator, n_samples=300):
        if Estimator is SGDClassifier:
            return make_classification_data(n_samples, **CLASSIFICATION_FEATURES)
        return make_regression_data(n_samples, coef=REGRESSION_COEF)

    return data_for


def in_domain(loss, value):
    """Whether the target ``value`` is accepted by ``loss.check_target``."""
    try:
        loss.check_target(np.array([value]))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def fitted_for_loss(make_regression_data, make_classification_data):
    """``fitted_for_loss(name, seed=0, n_classes=3, dtype=np.float64)``: a quickly fitted
    estimator for the registered loss ``name``."""

    def fitted_for_loss(name, seed=0, n_classes=3, dtype=np.float64):
        loss = LOSSES[name]()
        if loss.task == "regression":
            X, y = make_regression_data(200, coef=REGRESSION_COEF, seed=seed)
            if not in_domain(loss, -1.0):
                y = np.abs(y)
            return SGDRegressor(loss=name, max_iter=20, random_state=seed).fit(X.astype(dtype), y)
        if loss.task == "ranking":
            X, y = make_regression_data(200, coef=REGRESSION_COEF, seed=seed)
            relevance = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75]))
            ranker = SGDRanker(loss=name, max_iter=20, random_state=seed)
            return ranker.fit(X.astype(dtype), relevance, qid=np.arange(200) // 10)
        X, y = make_classification_data(200, n_classes, seed=seed, **CLASSIFICATION_FEATURES)
        if loss.task == "metric":
            learner = TripletMetricLearner(loss=name, max_iter=20, random_state=seed)
            return learner.fit(X.astype(dtype), y)
        return SGDClassifier(loss=name, max_iter=20, random_state=seed).fit(X.astype(dtype), y)

    return fitted_for_loss


def outputs(model, X):
    """Everything a fitted model predicts on ``X``."""
    if isinstance(model, TripletMetricLearner):
        return {"transform": model.transform(X)}
    result = {"predict": model.predict(X)}
    if isinstance(model, SGDClassifier):
        result["decision_function"] = model.decision_function(X)
        if hasattr(model, "predict_proba"):
            result["predict_proba"] = model.predict_proba(X)
    return result


def assert_same_outputs(model, restored, X):
    expected, got = outputs(model, X), outputs(restored, X)
    assert expected.keys() == got.keys()
    for key in expected:
        assert_array_equal(got[key], expected[key], err_msg=key)
    if isinstance(model, TripletMetricLearner):
        assert_array_equal(restored.components_, model.components_)
        return
    assert_array_equal(restored.coef_, model.coef_)
    assert_array_equal(restored.intercept_, model.intercept_)


@pytest.fixture(autouse=True)
def _no_convergence_noise():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # ConvergenceWarning included
        yield


# -- 1. persistence -----------------------------------------------------------------------

PERSISTENCE_CASES = [
    ("squared_error", lambda: SGDRegressor(random_state=0), 2),
    ("quantile_0.9", lambda: SGDRegressor(loss=QuantileLoss(0.9), random_state=0), 2),
    ("huber_float32", lambda: SGDRegressor(loss="huber", random_state=0), 2),
    (
        "focal_binary",
        lambda: SGDClassifier(loss=FocalLoss(gamma=2.0, alpha=0.25), random_state=0),
        2,
    ),
    ("focal_ovr", lambda: SGDClassifier(loss="focal", random_state=0), 3),
    ("hinge_ovr", lambda: SGDClassifier(random_state=0), 3),
    ("multinomial", lambda: SGDClassifier(loss="multinomial_log_loss", random_state=0), 3),
    (
        "softmax_focal_l1",
        lambda: SGDClassifier(
            loss=SoftmaxFocalLoss(alpha=[0.2, 0.3, 0.5]), penalty="l1", random_state=0
        ),
        3,
    ),
    (
        "multi_quantile",
        lambda: MultiQuantileRegressor(quantiles=(0.1, 0.5, 0.9), random_state=0),
        2,
    ),
]


@pytest.fixture(scope="module")
def fit_case(make_regression_data, make_classification_data):
    """``fit_case(make, n_classes, name) -> (model, X, y)``: the model of a persistence case
    fitted on 300 rows of this module's data."""

    def fit_case(make, n_classes, name):
        model = make()
        if isinstance(model, SGDClassifier):
            X, y = make_classification_data(300, n_classes, **CLASSIFICATION_FEATURES)
        else:
            X, y = make_regression_data(300, coef=REGRESSION_COEF)
        if name.endswith("float32"):
            X = X.astype(np.float32)
        return model.fit(X, y), X, y

    return fit_case


def pickle_round_trip(model):
    return pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def joblib_round_trip(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


@pytest.mark.parametrize(
    "round_trip", [pickle_round_trip, joblib_round_trip], ids=["pickle", "joblib"]
)
@pytest.mark.parametrize(
    "name, make, n_classes", PERSISTENCE_CASES, ids=[case[0] for case in PERSISTENCE_CASES]
)
def test_pickle_and_joblib_round_trips_predict_identically(
    name, make, n_classes, round_trip, fit_case
):
    model, X, y = fit_case(make, n_classes, name)
    restored = round_trip(model)
    assert_same_outputs(model, restored, X)
    assert restored.score(X, y) == model.score(X, y)


@pytest.mark.parametrize(
    "name, make, n_classes", PERSISTENCE_CASES, ids=[case[0] for case in PERSISTENCE_CASES]
)
def test_restored_model_continues_training_identically(name, make, n_classes, fit_case):
    """The engine state is pickled too: ``partial_fit`` after a round trip takes the
    same steps as on the original (same random_state, so same batches)."""
    model, X, y = fit_case(make, n_classes, name)
    restored = pickle_round_trip(model)
    for estimator in (model, restored):
        if isinstance(estimator, SGDClassifier):
            estimator.partial_fit(X[:100], y[:100], classes=np.unique(y))
        else:
            estimator.partial_fit(X[:100], y[:100])
    assert_same_outputs(model, restored, X)


def test_trusted_types_is_a_list_of_qualified_names():
    assert isinstance(sklosses.TRUSTED_TYPES, list)
    assert all(
        isinstance(name, str) and name.startswith("sklosses.") for name in sklosses.TRUSTED_TYPES
    )
    assert len(set(sklosses.TRUSTED_TYPES)) == len(sklosses.TRUSTED_TYPES)
    assert "TRUSTED_TYPES" in sklosses.__all__


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_skops_round_trip_every_registered_loss(
    name, dtype, make_regression_data, make_classification_data, fitted_for_loss
):
    sio = pytest.importorskip("skops.io")
    model = fitted_for_loss(name, dtype=dtype)
    data = sio.dumps(model)
    untrusted = set(sio.get_untrusted_types(data=data))
    assert untrusted <= set(sklosses.TRUSTED_TYPES), untrusted - set(sklosses.TRUSTED_TYPES)
    restored = sio.loads(data, trusted=sklosses.TRUSTED_TYPES)
    X = make_regression_data(50, coef=REGRESSION_COEF, seed=1)[0].astype(dtype)
    if isinstance(model, SGDClassifier | TripletMetricLearner):
        X = make_classification_data(50, 3, seed=1, **CLASSIFICATION_FEATURES)[0].astype(dtype)
    assert_same_outputs(model, restored, X)


@pytest.mark.parametrize(
    "name, make, n_classes", PERSISTENCE_CASES, ids=[case[0] for case in PERSISTENCE_CASES]
)
def test_skops_round_trip_parametrised_losses_and_intervals(name, make, n_classes, fit_case):
    sio = pytest.importorskip("skops.io")
    model, X, _ = fit_case(make, n_classes, name)
    restored = sio.loads(sio.dumps(model), trusted=sklosses.TRUSTED_TYPES)
    assert_same_outputs(model, restored, X)


def test_skops_refuses_to_load_without_trust(make_regression_data):
    """The list is needed: skops does not load sklosses types by default."""
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    X, y = make_regression_data(300, coef=REGRESSION_COEF)
    data = sio.dumps(SGDRegressor(max_iter=5, random_state=0).fit(X, y))
    with pytest.raises(UntrustedTypesFoundException):
        sio.loads(data)


# -- 2. thread safety -----------------------------------------------------------------------


def test_concurrent_fits_in_threads_equal_serial_fits(
    make_regression_data, make_classification_data
):
    Xr, yr = make_regression_data(400, coef=REGRESSION_COEF)
    Xc, yc = make_classification_data(400, 3, **CLASSIFICATION_FEATURES)
    jobs = [
        (SGDRegressor(random_state=1), Xr, yr),
        (SGDRegressor(loss="huber", learning_rate="invscaling", random_state=2), Xr, yr),
        (SGDClassifier(loss="log_loss", random_state=3), Xc, yc),
        (SGDClassifier(loss="multinomial_log_loss", penalty="elasticnet", random_state=4), Xc, yc),
        (SGDClassifier(loss=FocalLoss(), random_state=5), Xc, yc),
        (MultiQuantileRegressor(random_state=6), Xr, yr),
    ] * 2  # the same configurations twice, so identical fits also run side by side
    serial = [clone(model).fit(X, y) for model, X, y in jobs]
    threaded = joblib.Parallel(n_jobs=2, backend="threading")(
        joblib.delayed(clone(model).fit)(X, y) for model, X, y in jobs
    )
    # equal up to BLAS rounding: OpenBLAS (0.3.31) ignores a thread count set from a worker
    # thread once the main thread has set one, so a fit in a worker may sum its products
    # in another order than the same fit in the main thread (one_blas_thread)
    for expected, got in zip(serial, threaded, strict=True):
        assert_allclose(got.coef_, expected.coef_, rtol=1e-9, atol=1e-12)
        assert_allclose(got.intercept_, expected.intercept_, rtol=1e-9, atol=1e-12)
        assert got.n_iter_ == expected.n_iter_


# -- 3. numerical edge cases ----------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
@pytest.mark.parametrize("constant", [0.0, 5.0, 1e6])
def test_constant_features(Estimator, constant, data_for):
    X, y = data_for(Estimator)
    X = np.column_stack([X[:, :2], np.full(len(y), constant), X[:, 2:]])
    model = Estimator(random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    prediction = model.predict(X)
    assert np.isfinite(prediction).all()
    if Estimator is SGDClassifier:
        assert accuracy_score(y, prediction) > 0.9
    elif Estimator is SGDRegressor:
        assert r2_score(y, prediction) > 0.99
    else:
        assert r2_score(y, prediction[:, 1]) > 0.99


@pytest.mark.parametrize("Estimator", [SGDRegressor, SGDClassifier])
def test_all_rows_identical(Estimator):
    """Every column constant: the model is the best constant."""
    X = np.tile([[1.0, -2.0, 3.0]], (50, 1))
    y = np.r_[np.zeros(20), np.ones(30)]
    model = Estimator(random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    prediction = model.predict(X)
    if Estimator is SGDClassifier:
        assert_array_equal(prediction, np.ones(50))  # the majority class
    else:
        np.testing.assert_allclose(prediction, 0.6, atol=0.05)


@pytest.mark.parametrize(
    "loss", ["log_loss", "hinge", "focal", "modified_huber", "exponential", "multinomial_log_loss"]
)
def test_perfectly_separable_classes_stay_finite_under_l2(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 3.0, -3.0)  # a wide margin
    model = SGDClassifier(loss=loss, penalty="l2", alpha=1e-4, max_iter=200, random_state=0).fit(
        X, y
    )
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    # L2 bounds the weights: ||w||^2 alpha / 2 <= loss at w = 0, about 1
    assert np.linalg.norm(model.coef_) < np.sqrt(2 * 2 / 1e-4)
    assert accuracy_score(y, model.predict(X)) == 1.0
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        assert np.isfinite(proba).all()
        assert np.all(proba[np.arange(len(y)), y] > 0.5)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_duplicated_rows_give_the_same_model(loss, make_regression_data):
    """Duplicating every row leaves the objective (a weighted mean) unchanged."""
    X, y = make_regression_data(300, coef=REGRESSION_COEF, noise=0.5)
    once = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    twice = SGDRegressor(loss=loss, random_state=0).fit(np.repeat(X, 2, axis=0), np.repeat(y, 2))
    assert np.isfinite(twice.coef_).all()
    np.testing.assert_allclose(twice.coef_, once.coef_, atol=0.05)
    np.testing.assert_allclose(twice.intercept_, once.intercept_, atol=0.05)


def test_duplicated_rows_classifier(make_classification_data):
    X, y = make_classification_data(200, **CLASSIFICATION_FEATURES)
    X = np.vstack([X, X[:20].repeat(10, axis=0)])
    y = np.r_[y, y[:20].repeat(10)]
    model = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all()
    assert accuracy_score(y, model.predict(X)) > 0.9


def imbalanced_data(n_minority=5, ratio=1000, seed=0):
    """``n_minority`` positives among ``ratio`` times more negatives, the positives
    shifted by 3 standard deviations along the first feature."""
    rng = np.random.default_rng(seed)
    n_majority = n_minority * ratio
    X = rng.normal(size=(n_majority + n_minority, 3))
    y = np.r_[np.zeros(n_majority, dtype=int), np.ones(n_minority, dtype=int)]
    X[y == 1, 0] += 4.0
    return X, y


@pytest.mark.parametrize(
    "model",
    [
        SGDClassifier(loss=FocalLoss(gamma=2.0), random_state=0),
        SGDClassifier(loss=FocalLoss(gamma=2.0, alpha=0.999), random_state=0),
        SGDClassifier(loss="log_loss", class_weight="balanced", random_state=0),
        SGDClassifier(loss="hinge", class_weight="balanced", random_state=0),
        SGDClassifier(loss="focal", class_weight="balanced", random_state=0),
    ],
    ids=["focal", "focal_alpha", "log_balanced", "hinge_balanced", "focal_balanced"],
)
def test_extreme_imbalance_1_to_1000(model):
    X, y = imbalanced_data()
    model.fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert np.isfinite(model.decision_function(X)).all()
    assert np.isfinite(model.loss_curve_).all()
    if hasattr(model, "predict_proba"):
        assert np.isfinite(model.predict_proba(X)).all()
    assert recall_score(y, model.predict(X)) > 0


REGRESSION_LOSSES_FOR_SCALE = [
    "squared_error",
    "huber",
    "absolute_error",
    "quantile",
    "log_cosh",
    "expectile",
]


@pytest.mark.parametrize("loss", REGRESSION_LOSSES_FOR_SCALE)
def test_targets_with_huge_offset(loss):
    """Mean 1e6, standard deviation about 1: default settings still fit the signal."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    y = 1e6 + X @ [0.5, -0.5, 0.5] + 0.1 * rng.normal(size=1000)
    model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all()
    assert r2_score(y, model.predict(X)) > 0.9


@pytest.mark.parametrize("loss", REGRESSION_LOSSES_FOR_SCALE)
def test_tiny_targets(loss):
    """Targets of scale 1e-6: default settings still fit them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    y = 1e-6 * (X @ [0.5, -0.5, 0.5] + 0.1 * rng.normal(size=1000))
    model = SGDRegressor(loss=loss, random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all()
    assert r2_score(y, model.predict(X)) > 0.9


# -- 4. property-based ----------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)

ELEMENTWISE_LOSSES = [cls() for cls in LOSSES.values() if cls.scope == "element"] + [
    QuantileLoss(0.9),
    HuberLoss(0.3),
    FocalLoss(gamma=0.5, alpha=0.25),
    ExpectileLoss(0.9),
]
SMOOTH_ELEMENTWISE_LOSSES = [loss for loss in ELEMENTWISE_LOSSES if loss.smoothness is not None]
MULTICLASS_LOSSES = [cls() for cls in LOSSES.values() if cls.task == "multiclass"] + [
    SoftmaxFocalLoss(gamma=0.5),
    SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]),
]
# batch-level losses: one statistic of all the samples given, with weights in its sums
# batch-level statistics whose integer weights act as repeated rows (ranking losses weigh
# pairs and queries instead: tests/test_losses.py and tests/test_ranking_metrics.py)
RANKING_LOSSES = [cls() for cls in LOSSES.values() if cls.needs_groups]
# metric losses: one statistic of the embeddings of a batch, over mined triplets
METRIC_LOSSES = [cls() for cls in LOSSES.values() if cls.task == "metric"]
BATCH_LOSSES = [
    cls()
    for cls in LOSSES.values()
    if cls.scope == "batch" and not cls.needs_groups and cls.task != "metric"
] + [
    DiceLoss(smooth=0.1),
    DiceLoss(smooth=1e-6),
]

wide_raw = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
raw_values = st.floats(min_value=-60, max_value=60, allow_nan=False) | wide_raw


def targets_for(loss, size):
    """A strategy of ``size`` targets in the loss's domain (by its task and check_target)."""
    if loss.task == "binary":
        element = st.sampled_from([0.0, 1.0])
    else:
        element = wide_raw | st.floats(min_value=-10, max_value=10)
    element = element.filter(lambda value: in_domain(loss, value))
    return st.lists(element, min_size=size, max_size=size)


def test_every_registered_loss_is_in_a_property_test():
    losses = ELEMENTWISE_LOSSES + MULTICLASS_LOSSES + BATCH_LOSSES + RANKING_LOSSES
    losses += METRIC_LOSSES
    covered = {type(loss) for loss in losses}
    assert covered == set(LOSSES.values())


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(ELEMENTWISE_LOSSES),
    dtype=st.sampled_from([np.float64, np.float32]),
    raw=st.lists(wide_raw, min_size=1, max_size=20),
    data=st.data(),
)
def test_values_and_gradients_finite_without_warnings(loss, dtype, raw, data):
    y_true = np.array(data.draw(targets_for(loss, len(raw))), dtype=dtype)
    raw = np.array(raw, dtype=dtype)
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        values = loss.loss(y_true, raw)
        gradient = loss.gradient(y_true, raw)
    assert values.dtype == dtype and gradient.dtype == dtype
    assert np.isfinite(values).all(), (y_true, raw, values)
    assert np.isfinite(gradient).all(), (y_true, raw, gradient)


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(SMOOTH_ELEMENTWISE_LOSSES),
    pairs=st.lists(st.tuples(raw_values, raw_values), min_size=1, max_size=20),
    data=st.data(),
)
def test_smoothness_bounds_gradient_variation_on_drawn_pairs(loss, pairs, data):
    a, b = np.array(pairs).T
    y_true = np.array(data.draw(targets_for(loss, len(a))))
    gap = np.abs(loss.gradient(y_true, a) - loss.gradient(y_true, b))
    scale = 1 + np.abs(a) + np.abs(b) + np.abs(y_true)
    bound = loss.smoothness * np.abs(a - b) * (1 + 1e-9) + 1e-12 * scale
    assert np.all(gap <= bound), (y_true, a, b, gap, bound)


def multiclass_targets(n_rows, n_classes, soft):
    if soft:
        row = st.lists(
            st.floats(min_value=0.01, max_value=1), min_size=n_classes, max_size=n_classes
        )
        return st.lists(row, min_size=n_rows, max_size=n_rows).map(
            lambda rows: np.array(rows) / np.array(rows).sum(axis=1, keepdims=True)
        )
    return st.lists(st.integers(0, n_classes - 1), min_size=n_rows, max_size=n_rows).map(
        lambda codes: np.eye(n_classes)[codes]
    )


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(MULTICLASS_LOSSES),
    soft=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
    n_rows=st.integers(1, 10),
    data=st.data(),
)
def test_multiclass_gradient_rows_sum_to_zero(loss, soft, dtype, n_rows, data):
    """Softmax losses: the gradient is orthogonal to (1, ..., 1) (adding a constant to
    every class score changes nothing), for one-hot and probability rows alike."""
    n_classes = 3
    y_true = data.draw(multiclass_targets(n_rows, n_classes, soft)).astype(dtype)
    raw = np.array(
        data.draw(
            st.lists(
                st.lists(raw_values, min_size=n_classes, max_size=n_classes),
                min_size=n_rows,
                max_size=n_rows,
            )
        ),
        dtype=dtype,
    )
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        gradient = loss.gradient(y_true, raw)
        values = loss.loss(y_true, raw)
    assert np.isfinite(gradient).all() and np.isfinite(values).all()
    # rounding: ``raw - logsumexp(raw)`` is exact to about eps * |raw| (one ulp of raw)
    atol = 4 * np.finfo(dtype).eps * (1 + np.abs(raw).max(axis=1)) * (1 + loss.smoothness)
    assert np.all(np.abs(gradient.sum(axis=1)) <= atol), (y_true, raw, gradient)


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(MULTICLASS_LOSSES),
    pairs=st.lists(st.tuples(*[raw_values] * 6), min_size=1, max_size=10),
    data=st.data(),
)
def test_multiclass_smoothness_bounds_gradient_variation(loss, pairs, data):
    a, b = np.array(pairs)[:, :3], np.array(pairs)[:, 3:]
    y_true = data.draw(multiclass_targets(len(a), 3, soft=data.draw(st.booleans())))
    gap = np.linalg.norm(loss.gradient(y_true, a) - loss.gradient(y_true, b), axis=1)
    bound = loss.smoothness * np.linalg.norm(a - b, axis=1) * (1 + 1e-9) + 1e-12
    assert np.all(gap <= bound), (y_true, a, b, gap, bound)


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(BATCH_LOSSES + RANKING_LOSSES),
    dtype=st.sampled_from([np.float64, np.float32]),
    raw=st.lists(raw_values, min_size=1, max_size=20),
    n_outputs=st.integers(1, 3),
    data=st.data(),
)
def test_batch_level_values_and_gradients_finite_without_warnings(
    loss, dtype, raw, n_outputs, data
):
    """One finite value per output column, and finite gradients of that value, for any
    raw predictions."""
    raw = np.array(raw * n_outputs, dtype=dtype).reshape(n_outputs, -1).T
    y_true = np.array(data.draw(targets_for(loss, raw.size)), dtype=dtype).reshape(raw.shape)
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        values = loss.batch_loss(y_true, raw)
        gradient = loss.batch_gradient(y_true, raw)
    assert values.shape == (n_outputs,) and gradient.shape == raw.shape
    assert values.dtype == gradient.dtype == dtype
    assert np.isfinite(values).all() and np.isfinite(gradient).all(), (y_true, raw)


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(BATCH_LOSSES),
    raw=st.lists(raw_values, min_size=1, max_size=12),
    data=st.data(),
)
def test_batch_level_integer_weights_equal_repeated_samples(loss, raw, data):
    """The weights of a batch-level loss act as repetitions: its value is that of the
    repeated batch, and each sample's gradient, per unit of its weight, that of one of
    its copies."""
    raw = np.array(raw).reshape(-1, 1)
    y_true = np.array(data.draw(targets_for(loss, len(raw)))).reshape(-1, 1)
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(raw), max_size=len(raw))))
    assume(counts.sum() > 0)
    repeat = np.repeat(np.arange(len(raw)), counts)
    kept = counts > 0
    np.testing.assert_allclose(
        loss.batch_loss(y_true, raw, sample_weight=counts),
        loss.batch_loss(y_true[repeat], raw[repeat]),
        rtol=1e-12,
        atol=1e-15,
    )
    first = np.searchsorted(repeat, np.flatnonzero(kept))  # a copy of each kept sample
    np.testing.assert_allclose(
        loss.batch_gradient(y_true, raw, sample_weight=counts)[kept] / counts[kept, None],
        loss.batch_gradient(y_true[repeat], raw[repeat])[first],
        rtol=1e-10,
        atol=1e-12,
    )


# -- 5. bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_string_column_in_X_is_refused(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=50)
    X = X.astype(object)
    X[:, 1] = "a"
    with pytest.raises(ValueError, match=r"(?i)string|float|numeric"):
        Estimator().fit(X, y)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_string_column_in_dataframe_is_refused(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=50)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    with pytest.raises(ValueError, match=r"(?i)string|float|numeric"):
        Estimator().fit(frame, y)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_string_column_at_predict_is_refused(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=50)
    model = Estimator(max_iter=5).fit(X, y)
    X_bad = X.astype(object)
    X_bad[0, 0] = "oops"
    with pytest.raises(ValueError, match=r"(?i)string|float|numeric"):
        model.predict(X_bad)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_numeric_object_array_is_accepted_like_floats(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=100)
    expected = Estimator(random_state=0).fit(X, y)
    got = Estimator(random_state=0).fit(X.astype(object), y)
    assert_array_equal(got.coef_, expected.coef_)


@pytest.mark.parametrize("Estimator", [SGDRegressor, MultiQuantileRegressor])
@pytest.mark.parametrize("y_kind", ["words", "words_object"])
def test_non_numeric_y_is_refused_by_regressors(Estimator, y_kind, make_regression_data):
    X, _ = make_regression_data(50, coef=REGRESSION_COEF)
    y = np.where(X[:, 0] > 0, "high", "low")
    if y_kind == "words_object":
        y = y.astype(object)
    with pytest.raises(ValueError, match=r"(?i)string|float|numeric"):
        Estimator().fit(X, y)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
@pytest.mark.parametrize("shape", [(0, 3), (10, 0)], ids=["no_rows", "no_columns"])
def test_empty_X_is_refused(Estimator, shape):
    y = np.zeros(shape[0]) if Estimator is not SGDClassifier else np.arange(shape[0]) % 2
    with pytest.raises(ValueError, match=r"(?i)0 sample|0 feature|empty"):
        Estimator().fit(np.zeros(shape), y)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_empty_X_at_predict_is_refused(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=50)
    model = Estimator(max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match=r"(?i)0 sample|empty"):
        model.predict(np.zeros((0, X.shape[1])))


@pytest.mark.parametrize("Estimator", [SGDRegressor, MultiQuantileRegressor])
def test_one_sample_regression(Estimator):
    """One sample: a finite model that predicts its target (the best constant)."""
    X, y = np.array([[1.0, 2.0, -1.0]]), np.array([3.0])
    model = Estimator(random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    np.testing.assert_allclose(model.predict(X).ravel(), 3.0, atol=1e-6)


def test_one_sample_classifier_names_the_single_class():
    with pytest.raises(ValueError, match="at least 2 classes"):
        SGDClassifier().fit(np.array([[1.0, 2.0]]), np.array(["only"]))


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "multinomial_log_loss"])
def test_one_sample_per_class(loss):
    X, y = np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([0, 1])
    model = SGDClassifier(loss=loss, random_state=0).fit(X, y)
    assert np.isfinite(model.coef_).all()
    assert_array_equal(model.predict(X), y)


def test_negative_counts_for_poisson_are_refused_at_fit(make_regression_data):
    X, y = make_regression_data(50, coef=REGRESSION_COEF)
    with pytest.raises(ValueError, match="non-negative"):
        SGDRegressor(loss="poisson").fit(X, y - y.max() - 1)


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_mismatched_lengths_name_the_sizes(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=50)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples.*50.*49|49.*50"):
        Estimator().fit(X, y[:-1])


@PROPERTY_SETTINGS
@given(
    loss=st.sampled_from(METRIC_LOSSES),
    raw=st.lists(raw_values, min_size=2, max_size=24),
    labels=st.lists(st.integers(0, 2), min_size=12, max_size=12),
)
def test_metric_losses_finite_without_warnings(loss, raw, labels):
    """One finite value for all the embedding's columns, and a finite gradient, for any
    embeddings and labels."""
    raw = np.resize(np.array(raw), 24).reshape(12, 2)
    y_true = np.array(labels, dtype=float).reshape(-1, 1)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        values = loss.batch_loss(y_true, raw)
        gradient = loss.batch_gradient(y_true, raw)
    assert values.shape == (1,) and gradient.shape == raw.shape
    assert np.isfinite(values).all() and np.isfinite(gradient).all()
