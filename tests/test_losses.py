"""Tests of the loss protocol, modelled on scikit-learn's ``sklearn/_loss/tests/test_loss.py``.

The generic tests are invariants over the registry: they run over every registered loss
with its default parameters plus the parametrised variants in ``VARIANTS``, chosen by the
loss's attributes. A test declared with :func:`generic` (element-scope losses),
:func:`generic_batch` (batch-level losses) or :func:`generic_protocol` (every loss) is
parametrised over those instances and collected in ``CHECKS``, so that
:func:`run_generic_checks` runs the same tests on any loss instance
(``tests/test_registry.py`` does, on losses registered at run time). Known formulas of
specific classes are tests of those classes.
"""

import doctest
import importlib
import pkgutil
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.base import clone
from sklearn.metrics import (
    hinge_loss,
    log_loss,
    mean_absolute_error,
    mean_pinball_loss,
    mean_poisson_deviance,
    mean_squared_error,
)

import sklosses.losses
from sklosses.losses import (
    LOSSES,
    AbsoluteLoss,
    BatchLoss,
    DiceLoss,
    EpsilonInsensitiveLoss,
    ExpectileLoss,
    ExponentialLoss,
    FocalLoss,
    HingeLoss,
    HuberLoss,
    LogLoss,
    Loss,
    ModifiedHuberLoss,
    MultinomialLogLoss,
    PoissonLoss,
    QuantileLoss,
    SoftmaxFocalLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredHingeLoss,
    SquaredLoss,
    TripletLoss,
    check_gradient,
    get_loss,
)

TASKS = ("regression", "binary", "multiclass", "ranking", "metric")
SCOPES = ("element", "sample", "batch")

VARIANTS = [
    QuantileLoss(0.1),
    QuantileLoss(0.9),
    HuberLoss(0.3),
    FocalLoss(0.0),
    FocalLoss(2.0, alpha=0.25),
    FocalLoss(0.5, alpha=0.9),
    EpsilonInsensitiveLoss(0.0),
    EpsilonInsensitiveLoss(1.0),
    SquaredEpsilonInsensitiveLoss(0.0),
    SquaredEpsilonInsensitiveLoss(1.0),
    ExpectileLoss(0.1),
    ExpectileLoss(0.9),
    SoftmaxFocalLoss(gamma=0.5),
    SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]),
    DiceLoss(smooth=0.1),
    DiceLoss(smooth=1e-6),
    TripletLoss(margin=0.3),
    TripletLoss(mining="hardest"),
    TripletLoss(mining="all"),
]
"""Parametrised instances tested beside the registry's defaults."""

ALL_INSTANCES = [cls() for cls in LOSSES.values()] + VARIANTS
LOSS_INSTANCES = [loss for loss in ALL_INSTANCES if loss.scope == "element"]

KINK_TOLERANCE = 1e-4


def loss_id(loss):
    """Readable test id: the loss repr, e.g. ``FocalLoss(alpha=0.25)``."""
    return repr(loss)


def in_domain(loss, y_true):
    """Regression targets the loss accepts: their absolute values if it rejects
    negative ones (``check_target``, e.g. Poisson counts)."""
    try:
        loss.check_target(y_true)
    except ValueError:
        return np.abs(y_true)
    return y_true


def random_y_true_raw_prediction(loss, n_samples, raw_bound=(-5, 5), y_bound=(-5, 5), seed=42):
    """Random ``y_true`` (in {0, 1} for binary losses, in the loss's domain for
    regression losses) and ``raw_prediction``, 1-D."""
    rng = np.random.RandomState(seed)
    raw_prediction = rng.uniform(*raw_bound, size=n_samples)
    if loss.task == "binary":
        y_true = (np.arange(n_samples) % 2).astype(float)
        rng.shuffle(y_true)
    else:
        y_true = in_domain(loss, rng.uniform(*y_bound, size=n_samples))
    return y_true, raw_prediction


def protocol_inputs(loss, n_rows=40, n_outputs=3, seed=0):
    """2-D ``y_true`` and ``raw_prediction`` of shape ``(n_rows, n_outputs)`` for a loss of
    any task (one-hot rows for a multiclass loss; for a metric loss, labels of shape
    ``(n_rows, 1)`` in three classes), and positive sample weights."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(-3, 3, size=(n_rows, n_outputs))
    if loss.task == "regression":
        y_true = in_domain(loss, rng.uniform(-3, 3, size=(n_rows, n_outputs)))
    elif loss.task == "binary":
        y_true = (rng.uniform(size=(n_rows, n_outputs)) < 0.3).astype(float)
        y_true[0] = 1.0
    elif loss.task == "metric":  # class labels, embeddings of n_outputs columns
        y_true = rng.integers(3, size=(n_rows, 1)).astype(float)
    else:
        y_true = np.eye(n_outputs)[rng.integers(n_outputs, size=n_rows)]
    return y_true, raw, rng.uniform(0.2, 3, size=n_rows)


def kink_distance(loss, y_true, raw_prediction):
    """Distance of each raw prediction to the nearest kink of the loss or of its gradient
    (inf if none): central differences are biased by O(eps) at the latter."""
    distance = np.abs(np.asarray(raw_prediction)[..., None] - loss.kinks(y_true))
    return np.min(distance, axis=-1, initial=np.inf)


def central_difference(loss, y_true, raw_prediction, eps):
    return (loss.loss(y_true, raw_prediction + eps) - loss.loss(y_true, raw_prediction - eps)) / (
        2 * eps
    )


CHECKS = []
"""``(test, applies)`` of every generic test: ``test(loss)`` checks any loss for which
``applies(loss)``."""


def _declare(applies):
    def decorate(test):
        CHECKS.append((test, applies))
        chosen = [loss for loss in ALL_INSTANCES if applies(loss)]
        return pytest.mark.parametrize("loss", chosen, ids=loss_id)(test)

    return decorate


def generic(applies=lambda loss: True):
    """Declare a check of every element-scope loss for which ``applies(loss)``:
    parametrised over those of ``ALL_INSTANCES``, and run by :func:`run_generic_checks`."""
    return _declare(lambda loss: loss.scope == "element" and applies(loss))


def generic_batch(applies=lambda loss: True):
    """Declare a check of every batch-level loss (scope ``"batch"``)."""
    return _declare(lambda loss: loss.scope == "batch" and applies(loss))


def generic_protocol(applies=lambda loss: True):
    """Declare a check of every loss, of any scope."""
    return _declare(applies)


def run_generic_checks(loss):
    """Run on ``loss`` every generic test that applies to it; returns their names."""
    ran = []
    for test, applies in CHECKS:
        if applies(loss):
            test(loss)
            ran.append(test.__name__)
    return ran


def smooth(loss):
    return loss.smoothness is not None


# --------------------------------------------------------------------------------------
# Gradient and Hessian


@generic()
def test_gradient_finite_differences(loss):
    """The gradient matches central finite differences of the loss, away from kinks."""
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=500)
    keep = kink_distance(loss, y_true, raw_prediction) > KINK_TOLERANCE
    assert keep.sum() > 400  # the test must not silently drop most points
    y_true, raw_prediction = y_true[keep], raw_prediction[keep]

    gradient = loss.gradient(y_true, raw_prediction)
    numerical = central_difference(loss, y_true, raw_prediction, eps=1e-5)
    assert gradient.shape == raw_prediction.shape
    assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-8)


@generic(lambda loss: loss.hessian is not None)
def test_hessian_finite_differences_within_the_smoothness(loss):
    """The optional ``hessian`` belongs to a differentiable loss, is the derivative of
    the gradient (central differences, away from kinks), and lies in [0, smoothness]
    (its lower bound for a convex loss)."""
    assert loss.differentiable
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=500)
    keep = kink_distance(loss, y_true, raw_prediction) > KINK_TOLERANCE
    assert keep.sum() > 400
    y_true, raw_prediction = y_true[keep], raw_prediction[keep]
    eps = 1e-5
    numerical = (
        loss.gradient(y_true, raw_prediction + eps) - loss.gradient(y_true, raw_prediction - eps)
    ) / (2 * eps)
    hessian = loss.hessian(y_true, raw_prediction)
    assert hessian.shape == raw_prediction.shape
    assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-7)
    if loss.convex:
        assert np.all(hessian >= 0)
    if loss.smoothness is not None:
        assert np.all(np.abs(hessian) <= loss.smoothness)


def test_some_losses_have_a_hessian():
    assert any(loss.hessian is not None for loss in LOSS_INSTANCES)


@generic()
def test_kinks_are_where_the_loss_is_continuous(loss):
    """``kinks`` has one row of points per target, at which the loss is continuous (a
    kink is in the loss's slope or curvature, not a jump)."""
    y_true, _ = random_y_true_raw_prediction(loss, n_samples=50, seed=12)
    kinks = loss.kinks(y_true)
    assert kinks.shape[:-1] == y_true.shape and np.isfinite(kinks).all()
    for k in range(kinks.shape[-1]):
        at = kinks[:, k]
        jump = loss.loss(y_true, at + 1e-9) - loss.loss(y_true, at - 1e-9)
        assert_allclose(jump, 0, atol=1e-7)


@pytest.mark.parametrize(
    "loss, y_true, expected",
    [
        (AbsoluteLoss(), [1.5], [[1.5]]),
        (QuantileLoss(0.9), [1.5], [[1.5]]),
        (ExpectileLoss(0.9), [1.5], [[1.5]]),
        (HuberLoss(0.5), [1.5], [[1.0, 2.0]]),
        (EpsilonInsensitiveLoss(0.5), [1.5], [[1.0, 2.0]]),
        (SquaredEpsilonInsensitiveLoss(0.5), [1.5], [[1.0, 2.0]]),
        (HingeLoss(), [1, 0], [[1.0], [-1.0]]),
        (SquaredHingeLoss(), [1, 0], [[1.0], [-1.0]]),
        (ModifiedHuberLoss(), [1, 0], [[1.0, -1.0], [-1.0, 1.0]]),
        (SquaredLoss(), [1.5], np.empty((1, 0))),
        (LogLoss(), [1, 0], np.empty((2, 0))),
    ],
    ids=loss_id,
)
def test_kinks_values(loss, y_true, expected):
    """Residual ``raw - y`` at 0 or at +-(delta, epsilon); margin ``(2 y - 1) raw`` at
    1 (hinge) or +-1 (modified Huber)."""
    assert_array_equal(loss.kinks(np.asarray(y_true)), expected)


@pytest.mark.parametrize(
    "loss, y_true, raw_prediction, expected",
    [
        (AbsoluteLoss(), [1.0, 1.0, 1.0], [0.0, 1.0, 2.0], [-1.0, 0.0, 1.0]),
        (QuantileLoss(0.9), [1.0, 1.0, 1.0], [0.0, 1.0, 2.0], [-0.9, -0.4, 0.1]),
        (HuberLoss(0.5), [0.0, 0.0, 0.0, 0.0], [-2.0, -0.5, 0.25, 3.0], [-0.5, -0.5, 0.25, 0.5]),
        (HingeLoss(), [1.0, 1.0, 0.0, 0.0], [0.5, 2.0, -0.5, -2.0], [-1.0, 0.0, 1.0, 0.0]),
        (
            EpsilonInsensitiveLoss(0.5),
            [0.0] * 5,
            [-2.0, -0.5, 0.25, 0.5, 3.0],
            [-1.0, 0.0, 0.0, 0.0, 1.0],
        ),
        (ModifiedHuberLoss(), [1.0] * 5, [-3.0, -1.0, 0.0, 1.0, 2.0], [-4.0, -4.0, -2.0, 0.0, 0.0]),
        (SquaredHingeLoss(), [0.0] * 4, [-2.0, -1.0, 0.0, 0.5], [0.0, 0.0, 2.0, 3.0]),
        (ExpectileLoss(0.9), [1.0] * 3, [0.0, 1.0, 2.0], [-1.8, 0.0, 0.2]),
    ],
    ids=[
        "absolute",
        "quantile",
        "huber",
        "hinge",
        "epsilon_insensitive",
        "modified_huber",
        "squared_hinge",
        "expectile",
    ],
)
def test_gradient_piecewise_values(loss, y_true, raw_prediction, expected):
    """Subgradient values on each piece (and at ties) as documented."""
    gradient = loss.gradient(np.asarray(y_true), np.asarray(raw_prediction))
    assert_allclose(gradient, expected, rtol=0, atol=1e-15)


# --------------------------------------------------------------------------------------
# The framework methods, on every loss (all scopes)


@generic_protocol()
def test_check_gradient_on_two_dimensional_batches(loss):
    """The analytic gradient of every loss, of any scope, passes :func:`check_gradient`
    on ``(n_rows, n_outputs)`` arrays, with and without weights."""
    y_true, raw, weight = protocol_inputs(loss, n_rows=12)
    for sample_weight in (None, weight):
        assert check_gradient(loss, y_true, raw, sample_weight=sample_weight, rtol=1e-6) < 1e-6


@generic_protocol()
def test_weighted_sums_and_gradient_shapes(loss):
    """One weighted sum per column of values (one for a sample-scope loss), and a
    weighted gradient shaped like the raw predictions, both in their dtype."""
    y_true, raw, weight = protocol_inputs(loss)
    columns = 1 if loss.scope == "sample" or coupled(loss) else raw.shape[1]
    for dtype in (np.float64, np.float32):
        sums = loss.weighted_sums(y_true.astype(dtype), raw.astype(dtype), weight)
        gradient = loss.weighted_gradient(y_true.astype(dtype), raw.astype(dtype), weight)
        assert sums.shape == (columns,) and gradient.shape == raw.shape
        assert sums.dtype == gradient.dtype == dtype


@generic_protocol(lambda loss: not loss.needs_groups and loss.task != "metric")
def test_integer_weights_are_repeated_rows(loss):
    """For every scope: a weight of ``m`` counts a row ``m`` times (rows of weight 0 not
    at all), in the weighted sums and in the gradient summed over the copies. Not for a
    ranking loss, whose weights weigh pairs and queries: a repeated row would form pairs
    with its own copies' neighbours; nor for a metric loss, whose copies of a row would
    form triplets with each other."""
    y_true, raw, _ = protocol_inputs(loss, n_rows=30, seed=3)
    counts = np.random.default_rng(3).integers(0, 4, size=len(raw))
    counts[0] = 2
    sample_weight = counts.astype(float)
    repeated = np.repeat(np.arange(len(raw)), counts)
    assert_allclose(
        loss.weighted_sums(y_true, raw, sample_weight),
        loss.weighted_sums(y_true[repeated], raw[repeated]),
        rtol=1e-12,
    )
    copies = loss.weighted_gradient(y_true[repeated], raw[repeated])
    summed = np.zeros_like(raw)
    np.add.at(summed, repeated, copies)
    assert_allclose(loss.weighted_gradient(y_true, raw, sample_weight), summed, atol=1e-12)


@generic_protocol()
def test_weighted_sums_scale_with_the_weights(loss):
    y_true, raw, weight = protocol_inputs(loss, seed=4)
    assert_allclose(
        loss.weighted_sums(y_true, raw, 7 * weight),
        7 * loss.weighted_sums(y_true, raw, weight),
        rtol=1e-12,
    )
    assert_allclose(
        loss.weighted_gradient(y_true, raw, 7 * weight),
        7 * loss.weighted_gradient(y_true, raw, weight),
        rtol=1e-12,
        atol=1e-15,
    )


@generic_protocol(lambda loss: loss.scope != "batch")
def test_weighted_sums_of_per_sample_losses(loss):
    """``sum_i s_i loss_i`` per column and ``s_i gradient_i``, exactly as the engine's
    weighting of loss values in their dtype."""
    y_true, raw, weight = protocol_inputs(loss, seed=5)
    for dtype in (np.float64, np.float32):
        y, r = y_true.astype(dtype), raw.astype(dtype)
        values, gradient = loss.loss(y, r), loss.gradient(y, r)
        assert_array_equal(loss.weighted_sums(y, r), values.sum(axis=0))
        assert_array_equal(loss.weighted_gradient(y, r), gradient)
        values *= weight[:, None]
        gradient *= weight[:, None]
        assert_array_equal(loss.weighted_sums(y, r, weight), values.sum(axis=0))
        assert_array_equal(loss.weighted_gradient(y, r, weight), gradient)


@generic_protocol()
def test_sums_and_gradient_at_once_are_the_two_apart(loss):
    """``weighted_sums_and_gradient`` (a full pass's one call, sharing the work of a loss
    that overrides ``loss_gradient``) gives what ``weighted_sums`` and
    ``weighted_gradient`` give, in their dtype; so does ``loss_gradient``."""
    y_true, raw, weight = protocol_inputs(loss, seed=7)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        y, r = y_true.astype(dtype), raw.astype(dtype)
        for sample_weight in (None, weight):
            sums, gradient = loss.weighted_sums_and_gradient(y, r, sample_weight)
            assert sums.dtype == gradient.dtype == dtype
            assert_allclose(sums, loss.weighted_sums(y, r, sample_weight), rtol=rtol)
            expected = loss.weighted_gradient(y, r, sample_weight)
            assert_allclose(gradient, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
        if loss.scope != "batch":
            values, gradient = loss.loss_gradient(y, r)
            assert_allclose(values, loss.loss(y, r), rtol=rtol)
            assert_allclose(gradient, loss.gradient(y, r), rtol=rtol, atol=rtol)


@generic_protocol(lambda loss: loss.scope != "batch")
def test_value_shape_follows_the_scope(loss):
    y_true, raw, _ = protocol_inputs(loss, seed=6)
    expected = raw.shape if loss.scope == "element" else (len(raw), 1)
    assert loss.loss(y_true, raw).shape == expected
    assert loss.gradient(y_true, raw).shape == raw.shape


# --------------------------------------------------------------------------------------
# Batch-level losses: the value of a set of rows and its gradient


def batch_finite_differences(loss, y_true, raw, sample_weight=None, step=1e-6):
    """d batch_loss / d raw_ik by central differences, one raw prediction at a time."""
    derivative = np.empty_like(raw)
    for index in np.ndindex(raw.shape):
        shift = np.zeros_like(raw)
        shift[index] = step
        up = loss.batch_loss(y_true, raw + shift, sample_weight)
        down = loss.batch_loss(y_true, raw - shift, sample_weight)
        column = index[-1] if len(up) > 1 else 0  # a coupled loss: one value
        derivative[index] = (up - down)[column] / (2 * step)
    return derivative


@generic_batch()
def test_batch_gradient_is_the_derivative_of_the_batch_loss(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=25, n_outputs=2, seed=7)
    for sample_weight in (None, weight):
        gradient = loss.batch_gradient(y_true, raw, sample_weight)
        assert gradient.shape == raw.shape
        numeric = batch_finite_differences(loss, y_true, raw, sample_weight)
        assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-10)


def coupled(loss):
    """A metric loss has one value for all its columns (the coordinates of an embedding)."""
    return loss.task == "metric"


@generic_batch(lambda loss: not coupled(loss))
def test_batch_loss_has_one_value_per_column_and_columns_are_separate(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=30, n_outputs=3, seed=8)
    values = loss.batch_loss(y_true, raw, weight)
    assert values.shape == (3,) and np.isfinite(values).all()
    for k in range(3):
        alone = loss.batch_loss(y_true[:, [k]], raw[:, [k]], weight)
        assert_allclose(alone, values[[k]], rtol=1e-13)
        gradient = loss.batch_gradient(y_true[:, [k]], raw[:, [k]], weight)
        assert_allclose(gradient[:, 0], loss.batch_gradient(y_true, raw, weight)[:, k], rtol=1e-13)


@generic_batch()
def test_batch_loss_ignores_the_scale_of_the_weights_and_rows_of_weight_zero(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=30, n_outputs=2, seed=9)
    value = loss.batch_loss(y_true, raw, weight)
    assert_allclose(loss.batch_loss(y_true, raw, 1000 * weight), value, rtol=1e-12)
    assert_allclose(loss.batch_loss(y_true, raw, np.ones(30)), loss.batch_loss(y_true, raw))
    weight[::3] = 0
    kept = weight > 0
    assert_allclose(
        loss.batch_loss(y_true, raw, weight),
        loss.batch_loss(y_true[kept], raw[kept], weight[kept]),
        rtol=1e-13,
    )
    assert_array_equal(loss.batch_gradient(y_true, raw, weight)[~kept], 0)


@generic_batch()
def test_framework_methods_weight_the_batch_value_by_the_total_weight(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=20, n_outputs=2, seed=10)
    for sample_weight, total in ((None, 20), (weight, weight.sum())):
        assert_allclose(
            loss.weighted_sums(y_true, raw, sample_weight),
            total * loss.batch_loss(y_true, raw, sample_weight),
            rtol=1e-14,
        )
        assert_allclose(
            loss.weighted_gradient(y_true, raw, sample_weight),
            total * loss.batch_gradient(y_true, raw, sample_weight),
            rtol=1e-14,
        )


@generic_batch()
def test_batch_loss_has_no_per_row_values(loss):
    """A batch statistic has no per-sample values: ``loss`` and ``gradient`` refuse."""
    y_true, raw, _ = protocol_inputs(loss, n_rows=4, n_outputs=1, seed=12)
    for method in (loss.loss, loss.gradient):
        with pytest.raises(TypeError, match="batch-level loss"):
            method(y_true, raw)


@generic_batch()
def test_batch_loss_keeps_float32_and_is_finite_at_extremes(loss):
    y_true, raw, weight = protocol_inputs(loss, n_rows=12, n_outputs=2, seed=11)
    raw[::2] = np.where(y_true[::2] > 0, -1e4, 1e4)
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            values = loss.batch_loss(y_true.astype(dtype), raw.astype(dtype), weight)
            gradient = loss.batch_gradient(y_true.astype(dtype), raw.astype(dtype), weight)
        assert values.dtype == gradient.dtype == dtype
        assert np.isfinite(values).all() and np.isfinite(gradient).all()


# --------------------------------------------------------------------------------------
# Values against sklearn.metrics


def _pinball(quantile):
    return lambda y, raw, w: mean_pinball_loss(y, raw, alpha=quantile, sample_weight=w)


SKLEARN_METRICS = [
    (SquaredLoss(), lambda y, raw, w: mean_squared_error(y, raw, sample_weight=w)),
    (AbsoluteLoss(), lambda y, raw, w: mean_absolute_error(y, raw, sample_weight=w)),
    *[(QuantileLoss(q), _pinball(q)) for q in (0.5, 0.1, 0.9)],
    (HingeLoss(), lambda y, raw, w: hinge_loss(2 * y - 1, raw, sample_weight=w)),
    (LogLoss(), lambda y, raw, w: log_loss(y, expit(raw), sample_weight=w)),
    (PoissonLoss(), lambda y, raw, w: mean_poisson_deviance(y, np.exp(raw), sample_weight=w)),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    "loss, metric", SKLEARN_METRICS, ids=[loss_id(case[0]) for case in SKLEARN_METRICS]
)
def test_loss_matches_sklearn_metric(loss, metric, weighted):
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=300, seed=0)
    sample_weight = np.random.RandomState(1).uniform(0.1, 3, size=300) if weighted else None
    ours = np.average(loss.loss(y_true, raw_prediction), weights=sample_weight)
    expected = metric(y_true, raw_prediction, sample_weight)
    assert ours == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_poisson_matches_sklearn_deviance_with_zero_counts(weighted):
    """Counts with many zeros (``y log y = 0``) and means far from the counts."""
    rng = np.random.RandomState(2)
    raw_prediction = rng.uniform(-8, 8, size=400)
    y_true = rng.poisson(np.exp(rng.uniform(-3, 4, size=400))).astype(float)
    assert (y_true == 0).sum() > 50
    sample_weight = rng.uniform(0.1, 3, size=400) if weighted else None
    ours = np.average(PoissonLoss().loss(y_true, raw_prediction), weights=sample_weight)
    expected = mean_poisson_deviance(y_true, np.exp(raw_prediction), sample_weight=sample_weight)
    assert ours == pytest.approx(expected, rel=1e-12, abs=0)


# --------------------------------------------------------------------------------------
# Values against scikit-learn's SGD losses (``sklearn/linear_model/_sgd_fast.pyx.tp``)
#
# numpy transcriptions of ``cy_loss(y, p)`` / ``cy_gradient(y, p)``, with y in {-1, 1} for
# classification; ``p`` is the raw prediction.


def sklearn_modified_huber(y, p):
    z = p * y
    loss = np.where(z >= 1.0, 0.0, np.where(z >= -1.0, (1.0 - z) * (1.0 - z), -4.0 * z))
    gradient = np.where(z >= 1.0, 0.0, np.where(z >= -1.0, 2.0 * (1.0 - z) * -y, -4.0 * y))
    return loss, gradient


def sklearn_squared_hinge(y, p, threshold=1.0):
    z = threshold - p * y
    return np.where(z > 0, z * z, 0.0), np.where(z > 0, -2 * y * z, 0.0)


def sklearn_epsilon_insensitive(y, p, epsilon):
    ret = np.abs(y - p) - epsilon
    gradient = np.where(y - p > epsilon, -1.0, np.where(p - y > epsilon, 1.0, 0.0))
    return np.where(ret > 0, ret, 0.0), gradient


def sklearn_squared_epsilon_insensitive(y, p, epsilon):
    ret = np.abs(y - p) - epsilon
    z = y - p
    gradient = np.where(
        z > epsilon, -2 * (z - epsilon), np.where(z < -epsilon, 2 * (-z - epsilon), 0.0)
    )
    return np.where(ret > 0, ret * ret, 0.0), gradient


SKLEARN_SGD_CASES = [
    (ModifiedHuberLoss(), sklearn_modified_huber, "ModifiedHuber", ()),
    (SquaredHingeLoss(), sklearn_squared_hinge, "SquaredHinge", (1.0,)),
    (
        EpsilonInsensitiveLoss(),
        lambda y, p: sklearn_epsilon_insensitive(y, p, 0.1),
        "EpsilonInsensitive",
        (0.1,),
    ),
    (
        EpsilonInsensitiveLoss(0.7),
        lambda y, p: sklearn_epsilon_insensitive(y, p, 0.7),
        "EpsilonInsensitive",
        (0.7,),
    ),
    (
        SquaredEpsilonInsensitiveLoss(),
        lambda y, p: sklearn_squared_epsilon_insensitive(y, p, 0.1),
        "SquaredEpsilonInsensitive",
        (0.1,),
    ),
    (
        SquaredEpsilonInsensitiveLoss(0.7),
        lambda y, p: sklearn_squared_epsilon_insensitive(y, p, 0.7),
        "SquaredEpsilonInsensitive",
        (0.7,),
    ),
]


def _sklearn_sgd_inputs(loss, seed=11):
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=500, seed=seed)
    # also hit the pieces' boundaries exactly: margins +-1, residuals +-epsilon
    if loss.task == "binary":
        y_true = np.append(y_true, [1.0, 1.0, 0.0, 0.0])
        raw_prediction = np.append(raw_prediction, [1.0, -1.0, 1.0, -1.0])
        return y_true, raw_prediction, 2 * y_true - 1
    y_true = np.append(y_true, [0.0, 0.0, 2.0])
    raw_prediction = np.append(raw_prediction, [loss.epsilon, -loss.epsilon, 2.0])
    return y_true, raw_prediction, y_true


SKLEARN_SGD_IDS = [repr(case[0]) for case in SKLEARN_SGD_CASES]


@pytest.mark.parametrize("loss, reference, _, __", SKLEARN_SGD_CASES, ids=SKLEARN_SGD_IDS)
def test_matches_sklearn_sgd_formulas(loss, reference, _, __):
    y_true, raw_prediction, sklearn_y = _sklearn_sgd_inputs(loss)
    expected_loss, expected_gradient = reference(sklearn_y, raw_prediction)
    assert_allclose(loss.loss(y_true, raw_prediction), expected_loss, rtol=1e-14, atol=0)
    assert_allclose(loss.gradient(y_true, raw_prediction), expected_gradient, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    "loss, reference, class_name, args", SKLEARN_SGD_CASES, ids=SKLEARN_SGD_IDS
)
def test_sklearn_sgd_transcriptions_match_sklearn(loss, reference, class_name, args):
    """The numpy transcriptions above are scikit-learn's own (private) Cython losses."""
    sgd_fast = pytest.importorskip("sklearn.linear_model._sgd_fast")
    sklearn_loss = getattr(sgd_fast, class_name)(*args)
    if not hasattr(sklearn_loss, "py_loss"):
        pytest.skip("scikit-learn's private SGD losses no longer expose py_loss/py_dloss")
    _, raw_prediction, sklearn_y = _sklearn_sgd_inputs(loss)
    expected_loss, expected_gradient = reference(sklearn_y, raw_prediction)
    for y, p, value, gradient in zip(
        sklearn_y, raw_prediction, expected_loss, expected_gradient, strict=True
    ):
        assert sklearn_loss.py_loss(p, y) == pytest.approx(value, rel=1e-14, abs=0)
        assert sklearn_loss.py_dloss(p, y) == pytest.approx(gradient, rel=1e-14, abs=0)


# --------------------------------------------------------------------------------------
# Focal loss


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    """numpy transcription of ``torchvision.ops.sigmoid_focal_loss`` (reduction="none")."""
    p = expit(inputs)
    # F.binary_cross_entropy_with_logits, in its stable form
    ce_loss = np.maximum(inputs, 0) - inputs * targets + np.log1p(np.exp(-np.abs(inputs)))
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.0, 0.25, 0.5, 0.9, 1.0])
def test_focal_matches_torchvision(gamma, alpha):
    loss = FocalLoss(gamma=gamma, alpha=alpha)
    y_true, raw_prediction = random_y_true_raw_prediction(
        loss, n_samples=400, raw_bound=(-8, 8), seed=3
    )
    expected = torchvision_sigmoid_focal_loss(
        raw_prediction, y_true, alpha=-1 if alpha is None else alpha, gamma=gamma
    )
    assert_allclose(loss.loss(y_true, raw_prediction), expected, rtol=1e-10, atol=0)


def test_focal_gamma_zero_is_log_loss():
    y_true, raw_prediction = random_y_true_raw_prediction(
        LogLoss(), n_samples=400, raw_bound=(-30, 30), seed=4
    )
    focal, log = FocalLoss(gamma=0.0, alpha=None), LogLoss()
    assert_allclose(
        focal.loss(y_true, raw_prediction),
        log.loss(y_true, raw_prediction),
        rtol=1e-14,
        atol=1e-300,
    )
    assert_allclose(
        focal.gradient(y_true, raw_prediction),
        log.gradient(y_true, raw_prediction),
        rtol=1e-14,
        atol=1e-300,
    )


# --------------------------------------------------------------------------------------
# Numerical stability and dtypes

EXTREME_RAW = np.array([-1e4, -1e3, -100.0, -40.0, -1.0, 0.0, 1.0, 40.0, 100.0, 1e3, 1e4])


@generic()
def test_extreme_raw_predictions_are_finite(loss):
    """Raw predictions up to +-1e4 give finite losses and gradients without any warning,
    in float64 and float32.

    Underflow is ignored (numpy's default): ``np.logaddexp(0, -1e4)`` flags it while
    correctly returning 0, and a result rounded to 0 is not a numerical failure.
    """
    if loss.task == "binary":
        y_values = np.array([0.0, 1.0])
    else:
        y_values = in_domain(loss, EXTREME_RAW)
    for dtype in (np.float64, np.float32):
        y_true, raw_prediction = (
            a.ravel().astype(dtype) for a in np.meshgrid(y_values, EXTREME_RAW)
        )
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            values = loss.loss(y_true, raw_prediction)
            gradient = loss.gradient(y_true, raw_prediction)
        assert values.dtype == gradient.dtype == dtype
        assert np.all(np.isfinite(values))
        assert np.all(np.isfinite(gradient))
        assert np.all(values >= 0)


@generic(lambda loss: loss.task == "binary")
def test_binary_losses_tails(loss):
    """Confident right predictions cost ~0 with ~0 gradient; confidently wrong ones cost
    more than right ones and are pushed back (the gradient has the sign of ``-t``)."""
    raw = np.array([1e4])
    one, zero = np.array([1.0]), np.array([0.0])
    assert_allclose(loss.loss(one, raw), 0, atol=1e-12)
    assert_allclose(loss.loss(zero, -raw), 0, atol=1e-12)
    assert_allclose(loss.gradient(one, raw), 0, atol=1e-12)
    assert_allclose(loss.gradient(zero, -raw), 0, atol=1e-12)
    assert loss.loss(one, -raw)[0] >= loss.loss(one, -raw / 1e3)[0] >= 0
    assert loss.loss(zero, raw)[0] >= loss.loss(zero, raw / 1e3)[0] >= 0
    assert loss.gradient(one, -raw)[0] <= 0 <= loss.gradient(zero, raw)[0]


TEXTBOOK_TAILS = [
    (HingeLoss(), lambda margin: (1 - margin, -1.0)),
    *[
        (loss, lambda margin: (-margin, -1.0))  # both tend to -margin
        for loss in (LogLoss(), FocalLoss(), FocalLoss(2.0, alpha=0.25), FocalLoss(0.5, alpha=0.9))
    ],
    (SquaredHingeLoss(), lambda margin: ((1 - margin) ** 2, -2 * (1 - margin))),
    (ModifiedHuberLoss(), lambda margin: (-4 * margin, -4.0)),
]


@pytest.mark.parametrize(
    "loss, tail", TEXTBOOK_TAILS, ids=[loss_id(case[0]) for case in TEXTBOOK_TAILS]
)
def test_binary_losses_textbook_wrong_tails(loss, tail):
    """Textbook loss and d loss / d margin at a confidently wrong margin ``t raw``
    (times the class weight of focal's ``alpha``)."""
    raw = np.array([1e4])
    one, zero = np.array([1.0]), np.array([0.0])
    alpha = loss.get_params().get("alpha")
    weight_one = 1.0 if alpha is None else alpha
    weight_zero = 1.0 if alpha is None else 1 - alpha
    value, slope = tail(-1e4)
    assert_allclose(loss.loss(one, -raw), weight_one * value, rtol=1e-12)
    assert_allclose(loss.loss(zero, raw), weight_zero * value, rtol=1e-12)
    assert_allclose(loss.gradient(one, -raw), weight_one * slope, rtol=1e-12)  # t = +1
    assert_allclose(loss.gradient(zero, raw), -weight_zero * slope, rtol=1e-12)  # t = -1


EXP_LOSSES = [
    (PoissonLoss(), 3.0, lambda y, raw: 2 * (y * np.log(y) - y * (raw + 1) + np.exp(raw))),
    (ExponentialLoss(), 1.0, lambda y, raw: np.exp(-raw)),
    (ExponentialLoss(), 0.0, lambda y, raw: np.exp(raw)),
]


@pytest.mark.parametrize(
    "loss, y, formula", EXP_LOSSES, ids=["poisson", "exponential-y1", "exponential-y0"]
)
def test_exp_continued_linearly(loss, y, formula):
    """Exact up to a large exponent, then continued with the same value and slope:
    finite, convex, and with a gradient that is still the derivative of the loss."""
    sign = 1.0 if formula(1.0, 1.0) > formula(1.0, 0.0) else -1.0  # exponent = sign * raw
    for dtype in (np.float64, np.float32):
        log_max = float(np.log(np.finfo(dtype).max))
        exact = sign * np.array([-30.0, 0.0, 30.0, 0.5 * log_max])
        assert_allclose(
            loss.loss(np.full(4, y, dtype=dtype), exact.astype(dtype)),
            formula(y, exact),
            rtol=1e-5 if dtype == np.float32 else 1e-12,
        )
        # past the cap, up to 1e5 above the largest finite exponent
        raw = np.sort(sign * np.linspace(0.5 * log_max, log_max + 1e5, 20001))
        with np.errstate(over="raise", invalid="raise"):
            values = loss.loss(np.full(raw.shape, y, dtype=dtype), raw.astype(dtype))
            gradient = loss.gradient(np.full(raw.shape, y, dtype=dtype), raw.astype(dtype))
        assert values.dtype == gradient.dtype == dtype
        assert np.all(np.isfinite(values)) and np.all(np.isfinite(gradient))
        assert np.all(values > 0)
    # in float64 (the cap depends on the dtype): convex, and the secant slopes lie
    # between the gradients at their ends
    values64 = loss.loss(np.full(raw.shape, y), raw)
    gradient64 = loss.gradient(np.full(raw.shape, y), raw)
    slopes = np.diff(values64) / np.diff(raw)
    assert np.all(np.diff(slopes) >= -1e-9 * np.abs(slopes[1:])), "not convex"
    low = np.minimum(gradient64[:-1], gradient64[1:])
    high = np.maximum(gradient64[:-1], gradient64[1:])
    tolerance = 1e-9 * np.abs(high)
    assert np.all((slopes >= low - tolerance) & (slopes <= high + tolerance))


@generic()
def test_float32_matches_float64(loss):
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=200, seed=5)
    y32, raw32 = y_true.astype(np.float32), raw_prediction.astype(np.float32)
    # compare at the float32-rounded inputs, away from kinks where the gradient jumps
    y64, raw64 = y32.astype(np.float64), raw32.astype(np.float64)
    keep = kink_distance(loss, y64, raw64) > 1e-3
    for method in (loss.loss, loss.gradient):
        out32 = method(y32, raw32)
        out64 = method(y64, raw64)
        assert out32.dtype == np.float32, method
        assert_allclose(out32[keep], out64[keep], rtol=1e-4, atol=1e-5, err_msg=str(method))


# --------------------------------------------------------------------------------------
# Smoothness and convexity


@generic(smooth)
def test_smoothness_is_lipschitz_constant_of_gradient(loss):
    """|g(y, a) - g(y, b)| <= smoothness * |a - b| on a dense grid and on random pairs."""
    smoothness = loss.smoothness
    assert np.isfinite(smoothness) and smoothness > 0
    if loss.task == "binary":
        y_values = [0.0, 1.0]
    else:
        y_values = [-3.0, 0.0, 0.7, 2.5]
    raw = np.linspace(-40, 40, 400_001)
    rng = np.random.RandomState(6)
    a, b = rng.uniform(-40, 40, size=(2, 5000))
    for y in y_values:
        # neighbours on the grid bound all pairs inside it (triangle inequality)
        slopes = np.abs(np.diff(loss.gradient(y, raw))) / np.diff(raw)
        assert slopes.max() <= smoothness * (1 + 1e-6), (y, raw[np.argmax(slopes)])
        gap = np.abs(loss.gradient(y, a) - loss.gradient(y, b))
        assert np.all(gap <= smoothness * np.abs(a - b) * (1 + 1e-9) + 1e-12), y


@generic(smooth)
def test_smoothness_is_not_loose(loss):
    """The constant is (close to) the best one: the automatic step size depends on it."""
    raw = np.linspace(-40, 40, 400_001)
    y_values = [0.0, 1.0] if loss.task == "binary" else [0.0]
    slope = max(np.max(np.abs(np.diff(loss.gradient(y, raw))) / np.diff(raw)) for y in y_values)
    assert slope >= loss.smoothness / 1.1


def _segments(loss, n_samples=2000, seed=7):
    y_true, a = random_y_true_raw_prediction(loss, n_samples, raw_bound=(-20, 20), seed=seed)
    rng = np.random.RandomState(seed + 1)
    b = rng.uniform(-20, 20, size=n_samples)
    t = rng.uniform(0, 1, size=n_samples)
    return y_true, a, b, t


def _convexity_gap(loss, y_true, a, b, t):
    """``f(t a + (1 - t) b) - (t f(a) + (1 - t) f(b))``: <= 0 for a convex f."""
    inside = loss.loss(y_true, t * a + (1 - t) * b)
    chord = t * loss.loss(y_true, a) + (1 - t) * loss.loss(y_true, b)
    return inside - chord, chord


@generic()
def test_convexity_is_as_declared(loss):
    """A convex loss lies below its chords on random segments (and at their midpoints);
    a loss declared not convex rises above some of them."""
    y_true, a, b, t = _segments(loss)
    largest = -np.inf
    for weight in (t, np.full_like(t, 0.5)):  # random points and midpoints of the segments
        gap, chord = _convexity_gap(loss, y_true, a, b, weight)
        largest = max(largest, np.max(gap / (1 + np.abs(chord))))
    if loss.convex:
        assert largest <= 1e-12, largest
    else:
        assert largest > 1e-9, largest


@pytest.mark.parametrize("loss", [FocalLoss(), FocalLoss(0.5, alpha=0.9)], ids=loss_id)
def test_focal_with_positive_gamma_is_not_convex(loss):
    """Focal's concave tail (y=0, raw in 4..8)."""
    assert not loss.convex and FocalLoss(gamma=0.0).convex
    y_true, a, b = np.zeros(1), np.array([4.0]), np.array([8.0])
    gap, _ = _convexity_gap(loss, y_true, a, b, np.array([0.5]))
    assert gap[0] > 0


# --------------------------------------------------------------------------------------
# Attributes


@generic_protocol()
def test_attributes_are_declared(loss):
    """Every attribute of the protocol exists on every loss, with a value of its type,
    and the loss validates."""
    assert loss.validate() is loss
    assert loss.task in TASKS and loss.scope in SCOPES
    assert isinstance(loss.convex, bool | np.bool_)
    assert isinstance(loss.differentiable, bool | np.bool_)
    assert loss.smoothness is None or loss.smoothness > 0
    for method in ("link", "inverse_link", "hessian"):
        assert getattr(loss, method) is None or callable(getattr(loss, method))
    assert loss.link is None or loss.inverse_link is not None  # a link has its inverse
    assert (loss.scope == "batch") == isinstance(loss, BatchLoss)


@generic_protocol()
def test_inverse_link(loss):
    """A regression loss's ``link`` inverts its ``inverse_link`` (metrics map predictions
    back with it); a binary one maps to increasing probabilities, a multiclass one to
    rows of probabilities."""
    if loss.inverse_link is None:
        return
    raw = np.linspace(-50, 50, 101)
    if loss.task == "regression":
        assert_allclose(loss.link(loss.inverse_link(raw)), raw, rtol=1e-14, atol=1e-14)
    elif loss.task == "binary":
        assert np.all((loss.inverse_link(raw) >= 0) & (loss.inverse_link(raw) <= 1))
        assert np.all(np.diff(loss.inverse_link(raw)) >= 0)
    else:
        probability = loss.inverse_link(raw[:99].reshape(-1, 3))
        assert np.all(probability >= 0)
        assert_allclose(probability.sum(axis=1), 1, rtol=1e-14)


KNOWN_INVERSE_LINKS = [
    (LogLoss(), expit),
    (FocalLoss(), expit),
    (DiceLoss(), expit),
    (PoissonLoss(), np.exp),
    # scikit-learn's SGDClassifier(loss="modified_huber").predict_proba, binary case
    (ModifiedHuberLoss(), lambda raw: (np.clip(raw, -1, 1) + 1) / 2),
    # AdaBoost: exp(-t f) is minimised in expectation by half the log-odds
    (ExponentialLoss(), lambda raw: 1 / (1 + np.exp(-2 * raw))),
    (SquaredLoss(), None),
    (HingeLoss(), None),
]


@pytest.mark.parametrize(
    "loss, expected", KNOWN_INVERSE_LINKS, ids=[loss_id(case[0]) for case in KNOWN_INVERSE_LINKS]
)
def test_known_inverse_links(loss, expected):
    if expected is None:
        assert loss.inverse_link is None and loss.link is None
        return
    raw = np.linspace(-50, 50, 101)
    assert_allclose(loss.inverse_link(raw), expected(raw), rtol=1e-15, atol=0)


@generic()
def test_check_target_accepts_targets_in_the_domain(loss):
    y_true, _ = random_y_true_raw_prediction(loss, n_samples=20, seed=13)
    loss.check_target(y_true.reshape(-1, 1))


def test_poisson_refuses_negative_targets():
    PoissonLoss().check_target(np.array([[0.0], [1.0], [3.5]]))
    with pytest.raises(ValueError, match="non-negative"):
        PoissonLoss().check_target(np.array([[1.0], [-0.5]]))


@generic()
def test_loss_shapes_and_nonnegativity(loss):
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=100, seed=8)
    values = loss.loss(y_true, raw_prediction)
    assert values.shape == raw_prediction.shape
    assert np.all(values >= 0)
    if loss.task == "regression" and loss.link is None:  # a perfect prediction costs nothing
        assert_array_equal(loss.loss(y_true, y_true), 0)
    elif loss.task == "regression":  # ... also through the link, up to rounding
        assert_allclose(loss.loss(y_true, loss.link(y_true)), 0, atol=1e-13)


# --------------------------------------------------------------------------------------
# Parameter validation


@pytest.mark.parametrize(
    "loss, name",
    [
        (QuantileLoss(0), "quantile"),
        (QuantileLoss(1), "quantile"),
        (QuantileLoss(-0.1), "quantile"),
        (QuantileLoss(1.5), "quantile"),
        (QuantileLoss("a"), "quantile"),
        (HuberLoss(delta=-1), "delta"),
        (HuberLoss(delta=0), "delta"),
        (HuberLoss(delta="a"), "delta"),
        (FocalLoss(gamma=-1), "gamma"),
        (FocalLoss(gamma="a"), "gamma"),
        (FocalLoss(alpha=1.5), "alpha"),
        (FocalLoss(alpha=-0.1), "alpha"),
        (FocalLoss(alpha="a"), "alpha"),
        (EpsilonInsensitiveLoss(epsilon=-0.1), "epsilon"),
        (EpsilonInsensitiveLoss(epsilon="a"), "epsilon"),
        (SquaredEpsilonInsensitiveLoss(epsilon=-0.1), "epsilon"),
        (SquaredEpsilonInsensitiveLoss(epsilon=None), "epsilon"),
        (ExpectileLoss(0), "expectile"),
        (ExpectileLoss(1), "expectile"),
        (ExpectileLoss(-0.1), "expectile"),
        (ExpectileLoss(1.5), "expectile"),
        (ExpectileLoss("a"), "expectile"),
    ],
    ids=loss_id,
)
def test_validate_rejects_bad_parameters(loss, name):
    with pytest.raises(ValueError, match=name):
        loss.validate()


@pytest.mark.parametrize(
    "loss, name",
    [
        (QuantileLoss(np.nan), "quantile"),
        (HuberLoss(delta=np.nan), "delta"),
        (FocalLoss(gamma=np.nan), "gamma"),
        (FocalLoss(alpha=np.nan), "alpha"),
        (EpsilonInsensitiveLoss(epsilon=np.nan), "epsilon"),
        (SquaredEpsilonInsensitiveLoss(epsilon=np.nan), "epsilon"),
        (ExpectileLoss(np.nan), "expectile"),
    ],
    ids=loss_id,
)
def test_validate_rejects_nan(loss, name):
    """A NaN parameter makes every loss value NaN; validate() must reject it."""
    with pytest.raises(ValueError, match=name):
        loss.validate()


@pytest.mark.parametrize(
    "loss",
    ALL_INSTANCES
    + [
        QuantileLoss(0.001),
        QuantileLoss(0.999),
        HuberLoss(1e-6),
        FocalLoss(gamma=0, alpha=0),
        FocalLoss(gamma=1, alpha=1),
        FocalLoss(gamma=3, alpha=None),
        EpsilonInsensitiveLoss(0),
        SquaredEpsilonInsensitiveLoss(2),
        ExpectileLoss(0.001),
        ExpectileLoss(0.999),
    ],
    ids=loss_id,
)
def test_validate_accepts_good_parameters(loss):
    assert loss.validate() is loss


# --------------------------------------------------------------------------------------
# Registry


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_registry_entry_is_a_loss_class_whose_default_validates(name):
    cls = LOSSES[name]
    assert isinstance(cls, type) and issubclass(cls, Loss)
    loss = cls()
    assert loss.validate() is loss
    assert loss.task in TASKS and loss.scope in SCOPES


def test_every_registered_class_is_tested_with_its_defaults():
    tested = {type(loss) for loss in ALL_INSTANCES}
    assert set(LOSSES.values()) <= tested
    assert all(type(loss) in set(LOSSES.values()) for loss in VARIANTS)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_get_loss_by_name(name):
    loss = get_loss(name)
    assert type(loss) is LOSSES[name]
    assert get_loss(name) is not loss  # a fresh instance each time
    assert loss.get_params() == LOSSES[name]().get_params()


@generic_protocol()
def test_get_loss_passes_instances_through(loss):
    assert get_loss(loss) is loss


@pytest.mark.parametrize("bad", ["squared_loss", "Huber", "", "log-loss"])
def test_get_loss_unknown_name(bad):
    with pytest.raises(ValueError) as excinfo:
        get_loss(bad)
    message = str(excinfo.value)
    assert repr(bad) in message
    for name in LOSSES:
        assert re.search(rf"\b{name}\b", message), name


class _DuckTypedLoss:
    """Has ``loss`` and ``gradient`` but is not a :class:`Loss`: no protocol attributes."""

    def __repr__(self):
        return "_DuckTypedLoss()"

    def loss(self, y_true, raw_prediction):
        return (raw_prediction - y_true) ** 2

    def gradient(self, y_true, raw_prediction):
        return 2 * (raw_prediction - y_true)


@pytest.mark.parametrize("bad", [None, 3, b"squared_error", _DuckTypedLoss()], ids=repr)
def test_get_loss_rejects_non_losses(bad):
    with pytest.raises(ValueError, match=r"squared_error.*sklosses\.losses\.Loss"):
        get_loss(bad)


@pytest.mark.parametrize("cls", list(LOSSES.values()), ids=lambda cls: cls.__name__)
def test_get_loss_rejects_loss_classes(cls):
    """A class is not a loss instance: its unbound ``loss`` would fail far from the cause."""
    with pytest.raises(ValueError, match="instance"):
        get_loss(cls)


# --------------------------------------------------------------------------------------
# scikit-learn parameter objects


def param_values(params):
    """``get_params`` output with every loss in it replaced by its class and parameters:
    comparable between a loss and its clone (whose nested losses are new objects)."""

    def value(item):
        if isinstance(item, Loss):
            return type(item), param_values(item.get_params())
        if isinstance(item, list | tuple):
            return type(item)(value(member) for member in item)
        return item

    return {name: value(item) for name, item in params.items()}


@generic_protocol()
def test_clone_and_params_round_trip(loss):
    cloned = clone(loss)
    assert cloned is not loss
    assert type(cloned) is type(loss)
    params = loss.get_params()
    assert param_values(cloned.get_params()) == param_values(params)
    assert set(params) == set(loss.get_params(deep=True))

    fresh = type(loss)()
    assert fresh.set_params(**params) is fresh
    assert fresh.get_params() == params

    y_true, raw, weight = protocol_inputs(loss, seed=9)
    assert_array_equal(
        cloned.weighted_sums(y_true, raw, weight), loss.weighted_sums(y_true, raw, weight)
    )


@pytest.mark.parametrize(
    "loss, new_params",
    [
        (QuantileLoss(), {"quantile": 0.3}),
        (HuberLoss(), {"delta": 2.5}),
        (FocalLoss(), {"gamma": 1.5, "alpha": 0.75}),
        (EpsilonInsensitiveLoss(), {"epsilon": 1.5}),
        (SquaredEpsilonInsensitiveLoss(), {"epsilon": 1.5}),
        (ExpectileLoss(), {"expectile": 0.8}),
    ],
    ids=loss_id,
)
def test_set_params_changes_behaviour(loss, new_params):
    loss = clone(loss)
    y_true, raw_prediction = random_y_true_raw_prediction(loss, n_samples=50, seed=10)
    before = loss.loss(y_true, raw_prediction)
    loss.set_params(**new_params)
    assert loss.get_params() == {**loss.get_params(), **new_params}
    assert not np.allclose(loss.loss(y_true, raw_prediction), before)
    assert_array_equal(
        loss.loss(y_true, raw_prediction), type(loss)(**new_params).loss(y_true, raw_prediction)
    )


@pytest.mark.parametrize(
    "loss, expected",
    [
        (SquaredLoss(), "SquaredLoss()"),
        (QuantileLoss(0.1), "QuantileLoss(quantile=0.1)"),
        (HuberLoss(0.3), "HuberLoss(delta=0.3)"),
        (FocalLoss(0.0), "FocalLoss(gamma=0.0)"),
        (FocalLoss(0.5, alpha=0.9), "FocalLoss(alpha=0.9, gamma=0.5)"),
        (PoissonLoss(), "PoissonLoss()"),
        (EpsilonInsensitiveLoss(0.5), "EpsilonInsensitiveLoss(epsilon=0.5)"),
        (ExpectileLoss(0.9), "ExpectileLoss(expectile=0.9)"),
        (MultinomialLogLoss(), "MultinomialLogLoss()"),
        (DiceLoss(smooth=0.1), "DiceLoss(smooth=0.1)"),
    ],
    ids=loss_id,
)
def test_repr_shows_params(loss, expected):
    assert repr(loss) == expected


@generic_protocol(lambda loss: type(loss).__repr__ is Loss.__repr__)  # composites: expressions
def test_repr_shows_non_default_params(loss):
    text = repr(loss)
    assert text.startswith(type(loss).__name__ + "(")
    defaults = type(loss)().get_params()
    for name, value in loss.get_params().items():
        if not np.array_equal(value, defaults[name]):
            assert f"{name}={value!r}" in text


# --------------------------------------------------------------------------------------
# Doctests


def test_doctests():
    """The examples of every module of the package (each class's docstring)."""
    attempted = 0
    for info in pkgutil.iter_modules(sklosses.losses.__path__, "sklosses.losses."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, verbose=False, report=False)
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted >= len(LOSSES)


# --------------------------------------------------------------------------------------
# Property-based tests

HYPOTHESIS_SETTINGS = settings(max_examples=50, deadline=None)

HYPOTHESIS_SMOOTH_LOSSES = [loss for loss in LOSS_INSTANCES if loss.differentiable]

finite_floats = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)


@HYPOTHESIS_SETTINGS
@given(
    loss=st.sampled_from(HYPOTHESIS_SMOOTH_LOSSES),
    raw=st.lists(finite_floats, min_size=1, max_size=20),
    data=st.data(),
)
def test_hypothesis_gradient_finite_differences(loss, raw, data):
    raw = np.array(raw)
    if loss.task == "binary":
        labels = st.sampled_from([0.0, 1.0])
    else:
        labels = finite_floats
    y_true = np.array(data.draw(st.lists(labels, min_size=raw.size, max_size=raw.size)))
    if loss.task == "regression":
        y_true = in_domain(loss, y_true)
    assume(np.all(kink_distance(loss, y_true, raw) > KINK_TOLERANCE))
    numerical = central_difference(loss, y_true, raw, eps=1e-5)
    assert_allclose(loss.gradient(y_true, raw), numerical, rtol=1e-6, atol=1e-7)


@HYPOTHESIS_SETTINGS
@given(
    gamma=st.floats(min_value=0, max_value=5),
    alpha=st.none() | st.floats(min_value=0, max_value=1),
    raw=st.lists(st.floats(min_value=-10, max_value=10), min_size=1, max_size=20),
    data=st.data(),
)
def test_hypothesis_focal_matches_torchvision(gamma, alpha, raw, data):
    raw = np.array(raw)
    y_true = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=raw.size, max_size=raw.size))
    )
    loss = FocalLoss(gamma=gamma, alpha=alpha).validate()
    expected = torchvision_sigmoid_focal_loss(
        raw, y_true, alpha=-1 if alpha is None else alpha, gamma=gamma
    )
    # atol: alpha may be subnormal (5e-324), where a product rounds to 0 in either order
    assert_allclose(loss.loss(y_true, raw), expected, rtol=1e-9, atol=1e-300)
