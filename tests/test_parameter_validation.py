"""Declared parameter constraints: every parameter of every estimator and loss has one,
a bad value is refused at ``fit`` in scikit-learn's words, and a model is continued
(``warm_start``, ``partial_fit``) only on data and parameters of its own shape."""

import inspect

import numpy as np
import pytest
from sklearn import config_context

from sklosses import SGDClassifier, SGDRegressor, TripletMetricLearner
from sklosses._constraints import InvalidParameterError
from sklosses.intervals import MultiQuantileRegressor
from sklosses.linear_model._base import BaseSGD
from sklosses.losses import (
    LOSSES,
    DiceLoss,
    FocalLoss,
    HingeLoss,
    MultiQuantileLoss,
    SoftmaxFocalLoss,
)
from sklosses.metrics import mean_loss

# a few epochs are enough to test what is accepted and what is continued
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


ESTIMATORS = sorted(
    {cls for cls in _subclasses(BaseSGD) if cls.__module__.startswith("sklosses")},
    key=lambda cls: cls.__name__,
)
LOSS_CLASSES = sorted({*LOSSES.values(), MultiQuantileLoss}, key=lambda cls: cls.__name__)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
Y_REGRESSION = X @ [1.0, 2.0, 3.0] + RNG.normal(size=60)
Y_BINARY = (Y_REGRESSION > 0).astype(int)
Y_THREE = np.digitize(Y_REGRESSION, [-1.5, 1.5])
TARGETS = {  # by the first task an estimator trains
    "regression": Y_REGRESSION,
    "binary": Y_BINARY,
    "ranking": Y_THREE,
    "metric": Y_THREE,
}


def _name(cls):
    return cls.__name__


def _train(estimator, method="fit", X=X, y=None):
    """Call ``fit`` or ``partial_fit`` on data of the estimator's task."""
    y = TARGETS[estimator._loss_tasks[0]] if y is None else y
    call = getattr(estimator, method)
    if "classes" in inspect.signature(call).parameters:
        return call(X, y, classes=np.unique(y))
    return call(X, y)


def _message(name, caller):
    return rf"^The '{name}' parameter of {caller} must be .+\. Got .+ instead\.$"


class BadType:
    """No constraint accepts an instance of a class nobody knows."""


# -- every parameter has a constraint ---------------------------------------------------
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
def test_every_estimator_parameter_has_a_constraint(estimator_class):
    parameters = estimator_class().get_params(deep=False)
    assert set(parameters) - set(estimator_class._parameter_constraints) == set()


@pytest.mark.parametrize("loss_class", LOSS_CLASSES, ids=_name)
def test_every_loss_parameter_has_a_constraint(loss_class):
    parameters = inspect.signature(loss_class).parameters
    assert set(parameters) - set(loss_class._parameter_constraints) == set()


def test_the_estimators_and_losses_are_all_here():
    """The lists above are found, not written: a new estimator or loss joins them."""
    assert {SGDRegressor, SGDClassifier, MultiQuantileRegressor, TripletMetricLearner} <= set(
        ESTIMATORS
    )
    assert {FocalLoss, DiceLoss, SoftmaxFocalLoss, MultiQuantileLoss} <= set(LOSS_CLASSES)


# -- a value of no accepted type, for every parameter ----------------------------------
ESTIMATOR_PARAMETERS = [(cls, name) for cls in ESTIMATORS for name in cls().get_params(deep=False)]


@pytest.mark.parametrize(
    "estimator_class, name",
    ESTIMATOR_PARAMETERS,
    ids=[f"{cls.__name__}-{name}" for cls, name in ESTIMATOR_PARAMETERS],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_value_of_a_bad_type_is_refused_by_fit_and_partial_fit(estimator_class, name, method):
    estimator = estimator_class(**{name: BadType()})
    with pytest.raises(InvalidParameterError, match=_message(name, estimator_class.__name__)):
        _train(estimator, method)


LOSS_PARAMETERS = [
    (cls, name) for cls in LOSS_CLASSES for name in inspect.signature(cls).parameters
]


@pytest.mark.parametrize(
    "loss_class, name",
    LOSS_PARAMETERS,
    ids=[f"{cls.__name__}-{name}" for cls, name in LOSS_PARAMETERS],
)
def test_a_loss_parameter_of_a_bad_type_is_refused_where_the_loss_is_used(loss_class, name):
    loss = loss_class(**{name: BadType()})  # the constructor only stores, as in scikit-learn
    with pytest.raises(InvalidParameterError, match=_message(name, loss_class.__name__)):
        loss.validate()


# -- a value of an accepted type outside the accepted values ---------------------------
BAD_VALUES = {
    "loss": ["no_such_loss", HingeLoss],  # an unknown name; a class, not an instance
    "penalty": ["l3"],
    "alpha": [-1.0, np.nan, np.inf, "manual"],
    "l1_ratio": [np.nan, 1.5, -0.5],
    "fit_intercept": ["no", 1],
    "max_iter": [0, 10.0],
    "tol": [-1, np.nan, np.inf],
    "shuffle": ["no"],
    "verbose": [-1, 0.5],
    "epsilon": [-0.1, np.nan, np.inf],
    "n_jobs": [1.5],
    "random_state": [-1, 2**32, 0.5],
    "learning_rate": ["fast"],
    "eta0": [0, -1.0, np.nan],
    "power_t": [np.nan, np.inf],
    "early_stopping": ["no"],
    "validation_fraction": [0, 1, np.nan],
    "n_iter_no_change": [0, 2.5],
    "warm_start": ["no"],
    "average": [-1, 0, 2.5, "sometimes"],  # 0: scikit-learn's "int > 0 or a bool"
    "batch_size": [0, 32.0, "large"],
    "scoring": [3, {"r2": "r2"}],
    "solver": ["lbfgs"],
    "class_weight": ["auto", [1.0, 2.0]],
    "quantiles": [0.5, [], [0.5, 1.5], [[0.1, 0.9]], ["low"]],
    "n_components": [0, 1.5],
}

BAD_CASES = [
    (cls, name, value) for cls, name in ESTIMATOR_PARAMETERS for value in BAD_VALUES.get(name, [])
]


def test_every_estimator_parameter_has_bad_values_here():
    assert {name for _, name in ESTIMATOR_PARAMETERS} - set(BAD_VALUES) == set()


@pytest.mark.parametrize(
    "estimator_class, name, value",
    BAD_CASES,
    ids=[f"{cls.__name__}-{name}-{value!r}" for cls, name, value in BAD_CASES],
)
def test_a_bad_value_is_refused_naming_the_parameter(estimator_class, name, value):
    with pytest.raises(InvalidParameterError, match=_message(name, estimator_class.__name__)):
        _train(estimator_class(**{name: value}))


def test_the_error_is_scikit_learns_wording_and_both_value_and_type_error():
    with pytest.raises(InvalidParameterError) as error:
        SGDRegressor(alpha=np.nan).fit(X, Y_REGRESSION)
    assert str(error.value) == (
        "The 'alpha' parameter of SGDRegressor must be a float in the range [0.0, inf) "
        "or a str among {'auto'}. Got nan instead."
    )
    assert isinstance(error.value, ValueError) and isinstance(error.value, TypeError)


@pytest.mark.parametrize(
    "params",
    [
        {"penalty": None, "l1_ratio": None},
        {"penalty": "l1", "l1_ratio": None},
        {"alpha": 0, "tol": 0, "verbose": True, "random_state": np.random.RandomState(0)},
        {"average": 10, "batch_size": 16, "fit_intercept": np.bool_(False)},
        {"random_state": 2**32 - 1, "n_iter_no_change": np.int64(5), "eta0": np.float32(0.1)},
    ],
)
def test_values_at_the_edges_are_accepted(params):
    assert _train(SGDRegressor(**params, solver="sgd", max_iter=3)).coef_.shape == (3,)


def test_elasticnet_needs_an_l1_ratio():
    """scikit-learn's rule and message: None is accepted unless the penalty uses it."""
    with pytest.raises(ValueError, match=r"^l1_ratio must be set when penalty is 'elasticnet'$"):
        SGDRegressor(penalty="elasticnet", l1_ratio=None).fit(X, Y_REGRESSION)


def test_not_increasing_quantiles_are_refused():
    with pytest.raises(InvalidParameterError, match="'quantiles' parameter .* increasing"):
        MultiQuantileRegressor(quantiles=(0.9, 0.1)).fit(X, Y_REGRESSION)


def test_scikit_learns_switch_skips_the_table():
    """``set_config(skip_parameter_validation=True)`` is scikit-learn's public way to skip
    the checks (a bad value then reaches training, at the user's risk)."""
    with config_context(skip_parameter_validation=True):
        SGDRegressor(verbose=-1).fit(X, Y_REGRESSION)
    with pytest.raises(InvalidParameterError, match="'verbose'"):
        SGDRegressor(verbose=-1).fit(X, Y_REGRESSION)


# -- loss parameters, checked where the loss is used ------------------------------------
@pytest.mark.parametrize(
    "loss, name, y",
    [
        (FocalLoss(gamma=np.inf), "gamma", Y_BINARY),
        (FocalLoss(alpha=np.nan), "alpha", Y_BINARY),
        (DiceLoss(smooth=np.inf), "smooth", Y_BINARY),
        (DiceLoss(smooth=0), "smooth", Y_BINARY),
        (SoftmaxFocalLoss(alpha=[0.5, 1.5, 0.5]), "alpha", Y_THREE),
    ],
    ids=repr,
)
def test_a_bad_loss_parameter_is_refused_by_fit_and_by_the_metrics(loss, name, y):
    """Not a DivergenceError after training on it: the loss's own table, at fit and in
    the metrics, names the parameter."""
    message = _message(name, type(loss).__name__)
    with pytest.raises(InvalidParameterError, match=message):
        SGDClassifier(loss=loss).fit(X, y)
    raw = np.zeros((60, 3)) if y is Y_THREE else np.zeros(60)
    with pytest.raises(InvalidParameterError, match=message):
        mean_loss(loss, y, raw)


def test_softmax_focal_alpha_needs_one_weight_per_class():
    """Checked at fit, when the classes are known: not a broadcasting error."""
    with pytest.raises(ValueError, match=r"'alpha' parameter of SoftmaxFocalLoss has 2 .* 3 cl"):
        SGDClassifier(loss=SoftmaxFocalLoss(alpha=[0.5, 0.5])).fit(X, Y_THREE)
    model = SGDClassifier(loss=SoftmaxFocalLoss(alpha=[0.5, 0.5, 1.0])).fit(X, Y_THREE)
    assert model.coef_.shape == (3, 3)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_a_bad_class_weight_is_refused_as_a_bad_sample_weight(bad):
    """A class weight multiplies its samples' weights: the same checks, the same words."""
    with pytest.raises(ValueError) as by_sample:
        SGDClassifier().fit(X, Y_BINARY, sample_weight=np.where(Y_BINARY == 0, bad, 1.0))
    with pytest.raises(ValueError) as by_class:
        SGDClassifier(class_weight={0: bad, 1: 1.0}).fit(X, Y_BINARY)
    assert "sample_weight" in str(by_sample.value)
    assert str(by_class.value) == str(by_sample.value).replace("sample_weight", "class_weight")


# -- continuing a model: the same features, the same outputs ---------------------------
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_continuing_on_other_features_is_scikit_learns_error(estimator_class, how):
    estimator = _train(estimator_class(warm_start=how == "warm_start", max_iter=5))
    message = f"X has 2 features, but {estimator_class.__name__} is expecting 3 features"
    with pytest.raises(ValueError, match=message):
        _train(estimator, "partial_fit" if how == "partial_fit" else "fit", X=X[:, :2])


def test_partial_fit_with_other_classes_is_scikit_learns_error():
    model = SGDClassifier().partial_fit(X, Y_BINARY, classes=[0, 1])
    with pytest.raises(ValueError, match=r"^`classes=\[0, 1, 2\]` is not the same as on last"):
        model.partial_fit(X, Y_THREE, classes=[0, 1, 2])


def test_warm_start_on_another_number_of_classes_raises_as_scikit_learn():
    """scikit-learn raises ("does not match dataset"); a binary model must never be
    copied into the columns of three classes."""
    model = SGDClassifier(warm_start=True, max_iter=5).fit(X, Y_BINARY)
    with pytest.raises(ValueError, match="warm_start=True .* 1 output.* need 3"):
        model.fit(X, Y_THREE)
    model.set_params(warm_start=False).fit(X, Y_THREE)  # starting afresh works
    assert model.set_params(warm_start=True).fit(X, Y_THREE).coef_.shape == (3, 3)


@pytest.mark.parametrize("method", ["partial_fit", "fit"])
def test_other_quantiles_do_not_continue_the_old_ones(method):
    """Three quantiles fitted, one asked: an error, not three predictions."""
    model = MultiQuantileRegressor(warm_start=True, max_iter=5).fit(X, Y_REGRESSION)
    model.set_params(quantiles=(0.5,))
    with pytest.raises(ValueError, match="3 output.* need 1"):
        getattr(model, method)(X, Y_REGRESSION)
    assert model.set_params(warm_start=False).fit(X, Y_REGRESSION).predict(X).shape == (60, 1)


def test_other_components_do_not_continue_the_old_embedding():
    model = TripletMetricLearner(n_components=2, max_iter=2).fit(X, Y_THREE)
    with pytest.raises(ValueError, match="partial_fit .* 2 output.* need 1"):
        model.set_params(n_components=1).partial_fit(X, Y_THREE)
