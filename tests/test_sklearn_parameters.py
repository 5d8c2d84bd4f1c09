"""scikit-learn's SGD parameters and methods, with scikit-learn's meaning (issue 13, item 1).

A script written for ``sklearn.linear_model.SGDClassifier`` / ``SGDRegressor`` keeps
working with sklosses' classes: the same parameters and fit signatures, ``coef_init`` and
``intercept_init``, ``learning_rate="optimal"``, ``epsilon``, ``n_jobs``, ``l1_ratio=None``,
regression losses in the classifier, ``sparsify``/``densify``, and scikit-learn's errors
and warnings. Where scikit-learn's own estimators can say what is expected (signatures,
messages), the tests ask them rather than copying their text.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from scipy.special import expit
from sklearn import linear_model as sklearn_linear_model
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import hinge_loss
from sklearn.model_selection import GridSearchCV

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import DivergenceError
from sklosses._engine._config import Schedule
from sklosses._engine._step_size import optimal_first_step
from sklosses.losses import LOSSES, HingeLoss, HuberLoss, Loss, get_loss

ESTIMATORS = [SGDClassifier, SGDRegressor]
SKLEARN = {
    SGDClassifier: sklearn_linear_model.SGDClassifier,
    SGDRegressor: sklearn_linear_model.SGDRegressor,
}
# SGD alone, with steps too short to move: the model is where the fit started
NO_STEP = dict(learning_rate="constant", eta0=1e-12, max_iter=1, tol=None, solver="sgd")


@pytest.fixture
def data_for(make_regression_data, make_classification_data):
    def data_for(Estimator, **kwargs):
        if Estimator is SGDRegressor:
            return make_regression_data(**kwargs)
        return make_classification_data(**kwargs)

    return data_for


# -- the public surface -------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_sklearn_parameter_and_method_exists(Estimator):
    reference = SKLEARN[Estimator]
    assert set(reference().get_params()) <= set(Estimator().get_params())
    public = {name for name in dir(reference) if not name.startswith("_")}
    assert public <= set(dir(Estimator))
    for method in ("fit", "partial_fit"):
        ours = inspect.signature(getattr(Estimator, method)).parameters
        theirs = inspect.signature(getattr(reference, method)).parameters
        assert list(ours) == list(theirs), method  # same names, same order


# -- coef_init and intercept_init -----------------------------------------------------
def _fitted(Estimator, X, y, **params):
    return Estimator(random_state=0, **params).fit(X, y)


@pytest.mark.parametrize(
    "Estimator, n_classes, loss",
    [
        (SGDRegressor, None, "squared_error"),
        (SGDClassifier, 2, "log_loss"),
        (SGDClassifier, 3, "hinge"),
        (SGDClassifier, 2, "multinomial_log_loss"),  # two outputs behind one coef_ row
    ],
)
def test_fit_starts_exactly_at_coef_init(Estimator, n_classes, loss, data_for):
    kwargs = {} if n_classes is None else {"n_classes": n_classes}
    X, y = data_for(Estimator, n_samples=200, **kwargs)
    start = _fitted(Estimator, X, y, loss=loss)
    model = Estimator(loss=loss, random_state=1, average=False, **NO_STEP)
    model.fit(X, y, coef_init=start.coef_, intercept_init=start.intercept_)
    np.testing.assert_allclose(model.coef_, start.coef_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(model.intercept_, start.intercept_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(model.decision_function(X) if n_classes else model.predict(X),
                               start.decision_function(X) if n_classes else start.predict(X),
                               rtol=1e-9, atol=1e-9)  # fmt: skip


def test_the_first_objective_is_that_of_coef_init(make_regression_data):
    """The epoch's running objective, with steps too short to move, is the objective of the
    start: mean squared error plus the L2 penalty, computed here from the data."""
    X, y = make_regression_data(n_samples=300)
    coef, intercept = np.array([0.5, -1.0, 2.0, 0.0, 1.0]), 0.7
    alpha = 0.01
    model = SGDRegressor(alpha=alpha, average=False, random_state=0, **NO_STEP)
    model.fit(X, y, coef_init=coef, intercept_init=intercept)
    expected = np.mean((y - X @ coef - intercept) ** 2) + alpha / 2 * coef @ coef
    assert model.loss_curve_[0] == pytest.approx(expected, rel=1e-9)


def test_a_fit_from_its_optimum_needs_no_iteration(make_regression_data):
    """``coef_init`` is in the units of ``X``: the engine, which works on implicitly
    standardised columns, starts from the same model (columns of scales 1e-3 to 1e3, offset
    by 100, make a mistake there show)."""
    X, y = make_regression_data(n_samples=300)
    X = X * np.array([1e-3, 1.0, 1e3, 10.0, 0.1]) + 100.0
    optimum = SGDRegressor(random_state=0).fit(X, y)
    assert optimum.n_full_batch_iter_ > 0  # from the best constant, the phase has work
    again = SGDRegressor(random_state=0).fit(
        X, y, coef_init=optimum.coef_, intercept_init=optimum.intercept_
    )
    assert again.n_full_batch_iter_ == 0
    np.testing.assert_allclose(again.coef_, optimum.coef_)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_coef_init_is_scikit_learns_warm_start(Estimator, data_for):
    """scikit-learn defines ``warm_start`` as ``coef_init=coef_``: both start the same run."""
    X, y = data_for(Estimator, n_samples=120)
    params = dict(learning_rate="constant", eta0=0.01, shuffle=False, max_iter=5, tol=None)
    first = Estimator(alpha=0.01, **params).fit(X, y)
    explicit = Estimator(alpha=0.001, **params)
    explicit.fit(X, y, coef_init=first.coef_.copy(), intercept_init=first.intercept_.copy())
    implicit = Estimator(alpha=0.01, warm_start=True, **params).fit(X, y)
    implicit.set_params(alpha=0.001).fit(X, y)
    np.testing.assert_allclose(implicit.coef_, explicit.coef_)
    assert implicit.t_ == explicit.t_
    assert not np.allclose(explicit.coef_, first.coef_)  # the second fit did move


def test_coef_init_replaces_the_warm_start_model(make_classification_data):
    X, y = make_classification_data(n_samples=120)
    params = dict(learning_rate="constant", eta0=0.01, max_iter=3, tol=None, random_state=0)
    zeros = np.zeros(X.shape[1])
    fresh = SGDClassifier(**params).fit(X, y, coef_init=zeros)
    warm = SGDClassifier(warm_start=True, **params).fit(X, y)
    warm.fit(X, y, coef_init=zeros)
    np.testing.assert_allclose(warm.coef_, fresh.coef_)


@pytest.mark.parametrize(
    "n_classes, coef_init, intercept_init",
    [
        (2, lambda p: np.zeros(p), lambda: 0.0),
        (2, lambda p: np.zeros((1, p)), lambda: np.zeros(1)),
        (3, lambda p: np.zeros((3, p)), lambda: np.zeros(3)),
        (3, lambda p: None, lambda: np.zeros(3)),
        (3, lambda p: np.zeros((3, p)), lambda: None),
    ],
)
def test_the_shapes_scikit_learn_accepts(
    n_classes, coef_init, intercept_init, make_classification_data
):
    X, y = make_classification_data(n_samples=90, n_classes=n_classes)
    model = SGDClassifier(random_state=0).fit(
        X, y, coef_init=coef_init(X.shape[1]), intercept_init=intercept_init()
    )
    rows = 1 if n_classes == 2 else n_classes
    assert model.coef_.shape == (rows, X.shape[1]) and model.intercept_.shape == (rows,)
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize(
    "Estimator, n_classes, init, message",
    [
        (SGDClassifier, 2, {"coef_init": np.zeros(3)}, "Provided coef_init does not match"),
        (SGDClassifier, 2, {"intercept_init": np.zeros(3)}, "Provided intercept_init does not"),
        (SGDClassifier, 3, {"coef_init": np.zeros((2, 6))}, "Provided coef_init does not match"),
        (SGDClassifier, 3, {"intercept_init": np.zeros(1)}, "Provided intercept_init does not"),
        (SGDRegressor, None, {"coef_init": np.zeros((2, 5))}, "Provided coef_init does not match"),
        (SGDRegressor, None, {"intercept_init": np.zeros(2)}, "Provided intercept_init does not"),
        (SGDRegressor, None, {"coef_init": np.full(5, np.nan)}, "coef_init contains NaN"),
    ],
)
def test_shapes_that_do_not_match_are_refused(Estimator, n_classes, init, message, data_for):
    kwargs = {} if n_classes is None else {"n_classes": n_classes}
    X, y = data_for(Estimator, n_samples=90, **kwargs)
    with pytest.raises(ValueError, match=message) as error:
        Estimator().fit(X, y, **init)
    if "shape" in str(error.value):  # says what it expected
        assert str(X.shape[1]) in str(error.value)
    if "does not match" in message and (Estimator is SGDRegressor or n_classes == 2):
        # scikit-learn's words for these (for more classes it names ``coef_``)
        with pytest.raises(ValueError) as theirs:
            SKLEARN[Estimator]().fit(X, y, **init)
        assert str(error.value).startswith(str(theirs.value).split(".")[0])


# -- learning_rate="optimal" ---------------------------------------------------------
def test_the_optimal_schedule_is_scikit_learns():
    """``1 / (alpha (t0 + t - 1))`` with ``t0 = 1 / (alpha eta_1)``: the first step at
    ``t = 1``, then the harmonic decay."""

    class State:
        eta, alpha, t = 7.0, 0.01, 1.0

    schedule, state = Schedule("optimal"), State()
    t0 = 1 / (state.alpha * state.eta)
    for t in (1.0, 2.0, 17.0, 1e6):
        state.t = t
        assert schedule.step_size(state, constant_step=True) == pytest.approx(
            1 / (state.alpha * (t0 + t - 1)), rel=1e-12
        )


@pytest.mark.parametrize("alpha", [1e-4, 0.01, 1.0])
def test_the_first_optimal_step_follows_bottou(alpha):
    """``typw / max(1, d)``, ``typw = alpha**-0.25``, ``d`` the derivative of the loss at
    the target 1 and the raw prediction ``-typw``: ``typw`` for the built-in losses (whose
    derivative there is negative), shortened for a loss whose derivative exceeds 1."""
    typw = alpha**-0.25
    for name in ("hinge", "log_loss", "squared_error", "huber"):
        assert optimal_first_step(get_loss(name), alpha, 1, 1) == pytest.approx(typw)

    class Steep(Loss):
        def loss(self, y_true, raw_prediction):
            return 5.0 * raw_prediction

        def gradient(self, y_true, raw_prediction):
            return np.full_like(raw_prediction, 5.0)

    assert optimal_first_step(Steep(), alpha, 1, 1) == pytest.approx(typw / 5)


def test_optimal_trains_the_classifier(make_classification_data):
    X, y = make_classification_data(n_samples=300, n_classes=3)
    for loss in ("hinge", "log_loss", "modified_huber"):
        model = SGDClassifier(loss=loss, learning_rate="optimal", random_state=0).fit(X, y)
        assert model.score(X, y) > 0.9, loss


@pytest.mark.parametrize("Estimator, loss", [(SGDClassifier, "hinge"), (SGDRegressor, "huber")])
def test_partial_fit_continues_the_optimal_schedule(Estimator, loss, data_for):
    """Two ``partial_fit`` epochs are one ``fit`` of two epochs: ``t`` goes on counting."""
    X, y = data_for(Estimator, n_samples=150)
    params = dict(loss=loss, learning_rate="optimal", alpha=0.01, shuffle=False, random_state=0)
    fitted = Estimator(max_iter=2, tol=None, **params).fit(X, y)
    streamed = Estimator(**params)
    for _ in range(2):
        if Estimator is SGDClassifier:
            streamed.partial_fit(X, y, classes=np.unique(y))
        else:
            streamed.partial_fit(X, y)
    assert streamed.t_ == fitted.t_ == 2 * len(X) + 1
    np.testing.assert_allclose(streamed.coef_, fitted.coef_)


def test_optimal_needs_a_positive_alpha(make_classification_data):
    X, y = make_classification_data(n_samples=60)
    with pytest.raises(ValueError) as theirs:
        sklearn_linear_model.SGDClassifier(learning_rate="optimal", alpha=0).fit(X, y)
    with pytest.raises(ValueError, match=str(theirs.value).split(".")[0]):
        SGDClassifier(learning_rate="optimal", alpha=0).fit(X, y)


def test_optimal_blowing_up_the_squared_loss_goes_on_with_a_shorter_step(make_regression_data):
    """scikit-learn returns coefficients of ~1e12 here; sklosses shortens the step (a larger
    ``t0``), says so and what to change, and returns a model better than the constant."""
    X, y = make_regression_data(n_samples=200)
    with pytest.warns(ConvergenceWarning) as record:
        model = SGDRegressor(learning_rate="optimal", random_state=0).fit(X, y)
    message = " ".join(str(warning.message) for warning in record)
    assert "learning_rate='optimal'" in message and "learning_rate='auto'" in message
    assert "eta0" not in message
    assert model._state.eta < optimal_first_step(get_loss("squared_error"), 1e-4, 1, 1)
    # the best constant's objective is the variance of y (no penalty on a constant)
    assert model.objective_ < np.var(y)


def test_optimal_ending_worse_than_the_constant_is_still_an_error():
    """Two epochs of the shortened schedule on these rows end above the constant: ``fit``
    raises rather than return that model."""
    X = np.array([[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1]], dtype=float)
    y = np.array([1, 1, 1, 2, 2, 2], dtype=float)
    model = SGDRegressor(alpha=0.01, max_iter=2, tol=None, learning_rate="optimal", shuffle=False)
    with pytest.warns(ConvergenceWarning, match="optimal"), pytest.raises(DivergenceError):
        model.fit(X, y)


# -- l1_ratio=None -------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("penalty", ["l1", "l2", None])
def test_l1_ratio_none_outside_elasticnet(Estimator, penalty, data_for):
    X, y = data_for(Estimator, n_samples=100)
    unused = Estimator(penalty=penalty, l1_ratio=None, random_state=0).fit(X, y)
    default = Estimator(penalty=penalty, random_state=0).fit(X, y)
    np.testing.assert_allclose(unused.coef_, default.coef_)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_l1_ratio_none_with_elasticnet_is_refused(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=60)
    with pytest.raises(ValueError) as theirs:
        SKLEARN[Estimator](penalty="elasticnet", l1_ratio=None).fit(X, y)
    with pytest.raises(ValueError, match=str(theirs.value)):
        Estimator(penalty="elasticnet", l1_ratio=None).fit(X, y)


# -- regression losses in the classifier -----------------------------------------------
def _regression_losses_for_signs():
    """The registered regression losses that take targets -1 and +1 (not Poisson)."""
    names = []
    for name in sorted(LOSSES):
        loss = get_loss(name)
        if loss.task != "regression":
            continue
        try:
            loss.check_target(np.array([[-1.0], [1.0]]))
        except ValueError:
            continue
        names.append(name)
    return names


@pytest.mark.parametrize("loss", _regression_losses_for_signs())
@pytest.mark.parametrize("n_classes", [2, 3])
def test_regression_losses_classify(loss, n_classes, make_classification_data):
    X, y = make_classification_data(n_samples=300, n_classes=n_classes)
    model = SGDClassifier(loss=loss, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.85
    for method in ("predict_proba", "predict_log_proba"):
        assert not hasattr(model, method)
        with pytest.raises(AttributeError) as error:
            getattr(model, method)
        # scikit-learn's words, chained by available_if
        assert f"probability estimates are not available for loss={loss!r}" in str(
            error.value.__cause__
        )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_classes_are_targets_minus_one_and_one(n_classes, make_classification_data):
    """The squared loss without a penalty fits least squares to the +-1 targets (one column
    per class one-vs-rest, one column for two classes), as scikit-learn's encoding."""
    X, y = make_classification_data(n_samples=300, n_classes=n_classes)
    model = SGDClassifier(loss="squared_error", penalty=None, random_state=0).fit(X, y)
    targets = 2 * np.eye(n_classes)[y] - 1
    if n_classes == 2:
        targets = targets[:, 1:]
    design = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.lstsq(design, targets, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, exact[:-1].T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, exact[-1], rtol=1e-4, atol=1e-6)


# -- epsilon ---------------------------------------------------------------------------
EPSILON_LOSSES = sorted(
    name for name, cls in LOSSES.items() if cls.sklearn_epsilon_parameter is not None
)


def test_the_epsilon_losses_name_a_parameter_they_have():
    assert {"huber", "epsilon_insensitive", "squared_epsilon_insensitive"} <= set(EPSILON_LOSSES)
    for name in EPSILON_LOSSES:
        loss = get_loss(name)
        assert loss.sklearn_epsilon_parameter in loss.get_params()


@pytest.mark.parametrize("loss", EPSILON_LOSSES)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_epsilon_builds_the_named_loss(Estimator, loss, data_for):
    X, y = data_for(Estimator, n_samples=150)
    epsilon = 0.37
    model = Estimator(loss=loss, epsilon=epsilon, random_state=0).fit(X, y)
    instance = get_loss(loss).set_params(**{get_loss(loss).sklearn_epsilon_parameter: epsilon})
    same = Estimator(loss=instance, random_state=0).fit(X, y)
    default = Estimator(loss=loss, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.coef_, same.coef_)
    assert not np.allclose(model.coef_, default.coef_)  # epsilon made a difference
    assert model.get_params()["loss"] == loss and model.epsilon == epsilon  # not mutated
    np.testing.assert_allclose(clone(model).fit(X, y).coef_, model.coef_)


def test_epsilon_is_ignored_by_a_loss_without_one(make_regression_data):
    X, y = make_regression_data(n_samples=150)
    with_epsilon = SGDRegressor(loss="squared_error", epsilon=0.5, random_state=0).fit(X, y)
    without = SGDRegressor(loss="squared_error", random_state=0).fit(X, y)
    np.testing.assert_array_equal(with_epsilon.coef_, without.coef_)


def test_epsilon_with_a_loss_object_says_where_the_parameter_lives(make_regression_data):
    X, y = make_regression_data(n_samples=60)
    with pytest.raises(ValueError, match=r"HuberLoss\(delta=0\.2\)") as error:
        SGDRegressor(loss=HuberLoss(delta=1.0), epsilon=0.2).fit(X, y)
    assert "epsilon=None" in str(error.value)


def test_grid_search_over_epsilon(make_regression_data):
    X, y = make_regression_data(n_samples=300, noise=1.0, noise_df=2)
    search = GridSearchCV(
        SGDRegressor(loss="huber", random_state=0), {"epsilon": [0.05, 0.5, 5.0]}, cv=3
    ).fit(X, y)
    assert search.best_params_["epsilon"] in (0.05, 0.5, 5.0)
    assert len(set(np.round(search.cv_results_["mean_test_score"], 12))) == 3


# -- n_jobs -----------------------------------------------------------------------------
def test_n_jobs_is_accepted_and_changes_nothing(make_classification_data):
    X, y = make_classification_data(n_samples=200, n_classes=3)
    serial = SGDClassifier(random_state=0).fit(X, y)
    for n_jobs in (1, 2, -1):
        model = SGDClassifier(n_jobs=n_jobs, random_state=0).fit(X, y)
        assert model.get_params()["n_jobs"] == n_jobs
        np.testing.assert_array_equal(model.coef_, serial.coef_)


# -- sparsify and densify ----------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("sparse_input", [False, True])
def test_sparsify_and_densify(Estimator, sparse_input, data_for):
    # four informative features of twenty: the L1 penalty zeroes most coefficients
    informative = {"coef": np.r_[np.ones(4), np.zeros(16)]}
    if Estimator is SGDClassifier:
        informative = {"n_features": 20, "n_informative": 4}
    X, y = data_for(Estimator, n_samples=200, **informative)
    if sparse_input:
        X = sp.csr_matrix(X)
    model = Estimator(penalty="l1", alpha=0.05, random_state=0).fit(X, y)
    dense_coef, dense_prediction = model.coef_.copy(), model.predict(X)
    assert model.sparsify() is model and sp.issparse(model.coef_)
    assert model.coef_.nnz == np.count_nonzero(dense_coef) < dense_coef.size
    np.testing.assert_allclose(model.predict(X), dense_prediction)
    if Estimator is SGDClassifier:
        np.testing.assert_allclose(model.decision_function(X), model.densify().decision_function(X))
        model.sparsify()
    restored = pickle.loads(pickle.dumps(model))
    assert sp.issparse(restored.coef_)
    np.testing.assert_allclose(restored.predict(X), dense_prediction)
    assert model.densify() is model and isinstance(model.coef_, np.ndarray)
    np.testing.assert_array_equal(model.coef_, dense_coef)
    assert model.sparsify().fit(X, y).coef_.shape == dense_coef.shape  # fit makes it dense
    assert isinstance(model.coef_, np.ndarray)


def test_sparsify_follows_sklearns_sparse_interface(make_classification_data):
    if "sparse_interface" not in sklearn.get_config():
        pytest.skip("this scikit-learn has no sparse_interface setting")
    X, y = make_classification_data(n_samples=60)
    model = SGDClassifier(random_state=0).fit(X, y)
    with sklearn.config_context(sparse_interface="sparray"):
        assert isinstance(model.sparsify().coef_, sp.sparray)
    assert isinstance(model.densify().sparsify().coef_, sp.spmatrix)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["sparsify", "densify"])
def test_sparsify_needs_a_fitted_model(Estimator, method):
    with pytest.raises(NotFittedError, match="must be fitted before"):
        getattr(Estimator(), method)()


# -- scikit-learn's errors and warnings ---------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_refuses_early_stopping(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=60)
    with pytest.raises(ValueError) as theirs:
        SKLEARN[Estimator](early_stopping=True).partial_fit(X, y)
    # before anything else, as scikit-learn: the classifier's first call has no classes
    with pytest.raises(ValueError, match=str(theirs.value)):
        Estimator(early_stopping=True).partial_fit(X, y)
    model = Estimator(early_stopping=True, random_state=0).fit(X, y)
    model.partial_fit(X, y)  # a model fitted with early stopping may go on, as scikit-learn's


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_negative_power_t_warns_as_scikit_learn(Estimator, data_for):
    X, y = data_for(Estimator, n_samples=60)
    with pytest.warns(FutureWarning) as theirs:
        SKLEARN[Estimator](power_t=-1.0).fit(X, y)
    with pytest.warns(FutureWarning) as ours:
        model = Estimator(power_t=-1.0, random_state=0).fit(X, y)
    assert str(ours[0].message) == str(theirs[0].message)
    assert model.score(X, y) > 0.8  # and it keeps working
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        Estimator(power_t=0.5, random_state=0).fit(X, y)


def test_an_overflow_is_a_value_error_saying_to_scale(make_classification_data):
    X, y = make_classification_data(n_samples=100)
    X[:, :2] *= 1e300
    with pytest.raises(ValueError, match="Scale the features"):
        SGDClassifier(loss="squared_hinge", learning_rate="constant", random_state=0).fit(X, y)


# -- loss="perceptron" -----------------------------------------------------------------
def test_perceptron_is_the_hinge_at_threshold_zero():
    """scikit-learn's perceptron is its hinge with the threshold 0: ``max(0, -t raw)``,
    the hinge loss of ``raw + t`` (``sklearn.metrics.hinge_loss``), with the gradient
    ``-t`` on the boundary too, as scikit-learn's, so that a step from zero moves."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(50, 1)).astype(float)
    raw = rng.normal(size=(50, 1))
    sign = 2 * y - 1
    loss = get_loss("perceptron")
    assert loss.loss(y, raw).mean() == pytest.approx(hinge_loss(sign.ravel(), (raw + sign).ravel()))
    np.testing.assert_array_equal(loss.gradient(y, np.zeros_like(raw)), -sign)


@pytest.mark.parametrize("penalty", ["l2", "l1", None])
def test_perceptron_fit_returns_its_minimiser_the_zero_model(penalty, make_classification_data):
    """The zero model has loss 0, the minimum of the objective: fit returns it, and warns
    that this model predicts one class, naming the alternatives."""
    X, y = make_classification_data(n_samples=300, n_classes=3)
    with pytest.warns(UserWarning, match="predicts one class.*loss='hinge'.*'constant'"):
        model = SGDClassifier(loss="perceptron", penalty=penalty, random_state=0).fit(X, y)
    assert not model.coef_.any() and not model.intercept_.any()
    assert model.objective_ == 0


def test_perceptron_with_scikit_learns_schedule_is_its_perceptron(make_classification_data):
    """With scikit-learn's ``Perceptron`` settings (constant step 1, no penalty), fit
    returns the end point of the SGD steps, which separates the classes as well as
    scikit-learn's does, though the zero model has the lower objective; no warning."""
    X, y = make_classification_data(n_samples=300)
    settings = {"learning_rate": "constant", "eta0": 1.0, "penalty": None, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = SGDClassifier(loss="perceptron", **settings).fit(X, y)
    theirs = sklearn_linear_model.Perceptron(random_state=0).fit(X, y)
    assert ours.coef_.any()
    assert ours.score(X, y) >= theirs.score(X, y) - 0.02


# -- predict_proba where the loss has probabilities --------------------------------------
@pytest.mark.parametrize("loss", list(sklearn_linear_model.SGDClassifier.loss_functions))
def test_predict_proba_is_there_exactly_where_scikit_learns_is(loss):
    ours, theirs = SGDClassifier(loss=loss), sklearn_linear_model.SGDClassifier(loss=loss)
    for method in ("predict_proba", "predict_log_proba"):
        assert hasattr(ours, method) == hasattr(theirs, method)
        if hasattr(theirs, method):
            continue
        with pytest.raises(AttributeError) as our_error:
            getattr(ours, method)
        with pytest.raises(AttributeError) as their_error:
            getattr(theirs, method)
        assert str(our_error.value) == str(their_error.value)  # "... has no attribute ..."
        assert isinstance(our_error.value.__cause__, AttributeError)
        assert str(our_error.value.__cause__) == str(their_error.value.__cause__)


def test_predict_proba_follows_the_inverse_link_not_the_name(make_classification_data):
    """The hinge with a probability estimate has ``predict_proba``: the loss's declared
    ``inverse_link`` decides, not its name or class."""

    class LinkedHinge(HingeLoss):
        inverse_link = staticmethod(expit)

    X, y = make_classification_data(n_samples=200)
    assert not hasattr(SGDClassifier(loss=HingeLoss()), "predict_proba")
    model = SGDClassifier(loss=LinkedHinge(), random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], expit(model.decision_function(X)))


# -- loss_functions ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_loss_functions_has_scikit_learns_names(Estimator):
    """Read from the class, as scikit-learn's tests do: every name of scikit-learn's table,
    each with its registered class and the value of the parameter epsilon sets, if any."""
    table = Estimator.loss_functions
    assert list(table) == list(SKLEARN[Estimator].loss_functions)
    for name, (loss_class, *args) in table.items():
        assert loss_class is LOSSES[name]
        parameter = get_loss(name).sklearn_epsilon_parameter
        expected = [] if parameter is None else [get_loss(name).get_params()[parameter]]
        assert args == expected  # the loss's default: epsilon=None on the class


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_loss_functions_follow_epsilon(Estimator):
    model = Estimator(epsilon=0.9).set_params(epsilon=0.37)
    names = [name for name in EPSILON_LOSSES if name in model.loss_functions]
    assert names
    for name in names:
        loss_class, *args = model.loss_functions[name]
        assert args == [0.37]
        # loss_class(*args) is the loss the name trains with this epsilon
        parameter = get_loss(name).sklearn_epsilon_parameter
        trained = get_loss(name).set_params(**{parameter: 0.37})
        assert loss_class(*args).get_params() == trained.get_params()
