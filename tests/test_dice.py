"""The soft Dice loss: a batch-level loss (one statistic of the batch, not a sum over samples).

Its value is checked against an independent numpy transcription of the textbook soft Dice
and against ``1 - F1`` of hard predictions; its gradient against finite differences of the
batch Dice, also through the engine's chain rule; training against the log loss on
imbalanced data, on held-out Dice and F1. The checks every batch-level loss passes are in
``test_losses.py`` (``generic_batch``).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logit
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from sklosses import SGDClassifier
from sklosses._engine import SGDState
from sklosses._engine._batching import BatchPlan, batch_gradients, parameter_gradient
from sklosses._engine._preconditioner import Preconditioner
from sklosses._engine._start import starting_intercept
from sklosses.losses import LOSSES, DiceLoss, get_loss
from sklosses.metrics import get_scorer, mean_loss

DICE_LOSSES = [DiceLoss(), DiceLoss(smooth=1e-6), DiceLoss(smooth=0.1)]


def reference_dice(y_true, raw_prediction, smooth_constant, sample_weight=None):
    """Textbook soft Dice of one batch, ``1 - (2 sum p y + k) / (sum p + sum y + k)``,
    with weighted sums; a plain loop-free transcription, independent of DiceLoss."""
    p = 1 / (1 + np.exp(-np.asarray(raw_prediction, dtype=np.float64)))
    y = np.asarray(y_true, dtype=np.float64)
    s = np.ones_like(p) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    intersection = np.sum(s * p * y)
    return 1 - (2 * intersection + smooth_constant) / (
        np.sum(s * p) + np.sum(s * y) + smooth_constant
    )


def imbalanced_batch(n=200, positive_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=n) < positive_rate).astype(float)
    y_true[0] = 1.0
    raw = rng.normal(scale=2.0, size=n) + 2 * y_true - 1
    return y_true, raw


def test_registered_with_its_attributes():
    loss = get_loss("dice")
    assert type(loss) is DiceLoss and LOSSES["dice"] is DiceLoss
    assert loss.task == "binary" and loss.scope == "batch" and not loss.convex
    assert loss.smoothness is None  # no global Lipschitz constant (see the docstring)
    raw = np.linspace(-30, 30, 61)
    assert_array_equal(loss.inverse_link(raw), expit(raw))


# -- value ----------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", DICE_LOSSES, ids=repr)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_matches_numpy_reference(loss, seed):
    y_true, raw = imbalanced_batch(seed=seed)
    value = loss.batch_loss(y_true[:, None], raw[:, None])
    assert value.shape == (1,)
    assert_allclose(value, reference_dice(y_true, raw, loss.smooth * len(raw)), rtol=1e-13)


def test_hard_predictions_give_one_minus_f1():
    """With predictions saturated at 0/1 and no smoothing, soft Dice is ``1 - F1``."""
    y_true, raw = imbalanced_batch(n=500, seed=3)
    hard = np.where(raw > 0, 60.0, -60.0)
    value = DiceLoss(smooth=1e-12).batch_loss(y_true[:, None], hard[:, None])[0]
    assert value == pytest.approx(1 - f1_score(y_true, raw > 0), rel=1e-9)


def test_columns_are_separate_batches_per_output():
    """One Dice per output column (one-vs-rest)."""
    rng = np.random.default_rng(4)
    y_true = (rng.uniform(size=(120, 3)) < 0.2).astype(float)
    raw = rng.normal(size=(120, 3))
    values = DiceLoss().batch_loss(y_true, raw)
    for k in range(3):
        assert_allclose(values[k], reference_dice(y_true[:, k], raw[:, k], 0.12), rtol=1e-13)


def test_weighted_value_has_weights_inside_the_sums():
    y_true, raw = imbalanced_batch(n=150, seed=5)
    weight = np.random.default_rng(5).uniform(0, 3, size=150)
    loss = DiceLoss(smooth=0.01)
    expected = reference_dice(y_true, raw, 0.01 * weight.sum(), sample_weight=weight)
    assert_allclose(loss.batch_loss(y_true[:, None], raw[:, None], weight), expected, rtol=1e-13)
    # the metric: the weighted Dice of the whole set
    assert mean_loss(loss, y_true, raw, sample_weight=weight) == pytest.approx(expected, rel=1e-13)
    assert mean_loss(loss, y_true, raw, sample_weight=1000 * weight) == pytest.approx(
        expected, rel=1e-12
    )
    assert mean_loss(loss, y_true, raw) == pytest.approx(
        reference_dice(y_true, raw, 0.01 * 150), rel=1e-13
    )


def test_extreme_raw_predictions_and_float32():
    y_true = np.array([[1.0], [0.0], [0.0], [1.0], [0.0]])
    raw = np.array([[-1e4], [1e4], [-1e4], [1e4], [0.0]])
    for dtype in (np.float64, np.float32):
        with np.errstate(all="raise"):
            values = DiceLoss().batch_loss(y_true.astype(dtype), raw.astype(dtype))
            gradient = DiceLoss().batch_gradient(y_true.astype(dtype), raw.astype(dtype))
        assert values.dtype == gradient.dtype == dtype
        assert np.isfinite(values).all() and np.isfinite(gradient).all()
        assert 0 <= values[0] <= 1
    # a batch without positives: D = sum p / (sum p + smooth n), defined and informative
    zeros = np.zeros((4, 1))
    value = DiceLoss(smooth=0.01).batch_loss(zeros, zeros)[0]
    assert value == pytest.approx(2 / (2 + 0.04))
    assert (DiceLoss().batch_gradient(zeros, zeros) > 0).all()  # pushes every p down


# -- gradient -------------------------------------------------------------------------------
def finite_difference_of_reference_dice(loss, y_true, raw, sample_weight=None, step=1e-4):
    """d D / d raw_i of :func:`reference_dice` by central differences, moving one raw
    prediction at a time."""
    total = len(raw) if sample_weight is None else np.sum(sample_weight)
    derivative = np.empty_like(raw)
    for i in range(len(raw)):
        shift = np.zeros_like(raw)
        shift[i] = step
        up, down = (
            reference_dice(y_true, moved, loss.smooth * total, sample_weight)
            for moved in (raw + shift, raw - shift)
        )
        derivative[i] = (up - down) / (2 * step)
    return derivative


@pytest.mark.parametrize("loss", DICE_LOSSES, ids=repr)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_is_the_derivative_of_the_batch_dice(loss, seed):
    y_true, raw = imbalanced_batch(n=80, seed=seed)
    derivative = finite_difference_of_reference_dice(loss, y_true, raw)
    gradient = loss.batch_gradient(y_true[:, None], raw[:, None])[:, 0]
    assert_allclose(gradient, derivative, rtol=1e-6, atol=1e-11)
    # the engine's weighted gradient is n times that: its mean over the batch is dD/draw
    weighted = loss.weighted_gradient(y_true[:, None], raw[:, None])[:, 0]
    assert_allclose(weighted, len(raw) * derivative, rtol=1e-6, atol=1e-9)


def test_weighted_gradient_is_total_weight_times_the_derivative():
    y_true, raw = imbalanced_batch(n=60, seed=6)
    weight = np.random.default_rng(6).uniform(0.2, 3, size=60)
    loss = DiceLoss(smooth=0.01)
    derivative = finite_difference_of_reference_dice(loss, y_true, raw, sample_weight=weight)
    gradient = loss.batch_gradient(y_true[:, None], raw[:, None], weight)[:, 0]
    assert_allclose(gradient, derivative, rtol=1e-6, atol=1e-11)
    weighted = loss.weighted_gradient(y_true[:, None], raw[:, None], weight)[:, 0]
    assert_allclose(weighted, weight.sum() * derivative, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_engine_step_is_the_gradient_of_the_batch_dice_in_the_coefficients(weighted):
    """Through the engine's own pieces (one batch, a 3-D strided view of X): the batch
    mean of ``gradient * x`` is the gradient of the (weighted) Dice of the batch in
    ``(w, b)``; no special case for a batch-level loss. Weights (mean 1, as the engine
    gets them) act inside the Dice sums, and rows of weight 0 do not count."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(256, 3))
    Y = (rng.uniform(size=(256, 1)) < 0.15).astype(float)
    weight = None
    if weighted:
        weight = rng.uniform(0, 3, size=256) * (rng.uniform(size=256) > 0.2)
        weight *= 256 / weight.sum()
    coef, intercept = rng.normal(size=(3, 1)), np.array([-0.5])
    loss = DiceLoss()
    plan = BatchPlan(256, 256, X.shape[1] * X.itemsize)
    state = SGDState(coef.copy(), intercept.copy(), 1.0, Preconditioner.identity(3))
    ((X_batch, gradient, batch_loss),) = list(
        batch_gradients(X, Y, weight, loss, state, plan, [0], None)
    )
    assert X_batch.ndim == 3  # the strided view, not a copy
    coef_gradient, intercept_gradient = parameter_gradient(X_batch, gradient, state.preconditioner)

    def dice(w, b):
        return reference_dice(
            Y[:, 0],
            X @ w[:, 0] + b[0],
            1e-3 * (256 if weight is None else weight.sum()),
            sample_weight=weight,
        )

    assert batch_loss / 256 == pytest.approx(dice(coef, intercept), rel=1e-12)
    step = 1e-6
    for j in range(3):
        shift = np.zeros_like(coef)
        shift[j] = step
        numeric = (dice(coef + shift, intercept) - dice(coef - shift, intercept)) / (2 * step)
        assert coef_gradient[j, 0] / plan.batch_size == pytest.approx(numeric, rel=1e-6)
    numeric = (dice(coef, intercept + step) - dice(coef, intercept - step)) / (2 * step)
    assert intercept_gradient[0] / plan.batch_size == pytest.approx(numeric, rel=1e-6)


# -- start of training ------------------------------------------------------------------------
def test_training_starts_from_the_log_odds_of_the_positive_rate():
    Y = np.zeros((1000, 2))
    Y[:50, 0] = 1.0
    Y[:300, 1] = 1.0
    assert_allclose(starting_intercept(Y, None, DiceLoss()), logit([0.05, 0.3]), rtol=1e-12)
    weight = np.where(Y[:, 0] == 1, 3.0, 1.0)
    rate = 150 / (150 + 950)
    assert starting_intercept(Y[:, :1], weight, DiceLoss())[0] == pytest.approx(logit(rate))
    # clipped: a column without positives does not start saturated
    assert starting_intercept(np.zeros((100, 1)), None, DiceLoss())[0] == pytest.approx(logit(1e-3))


def test_the_constant_minimising_dice_would_saturate_the_sigmoid():
    """Why the loss sets its own start: searching for the best constant (the generic
    start) ends at the edge of the search interval, where the gradient vanishes."""

    class SearchedStart(DiceLoss):
        def initial_raw_prediction(self, y_true, sample_weight=None):
            return None  # the base class's default: search

    Y = np.zeros((1000, 1))
    Y[:50] = 1.0
    constant = starting_intercept(Y, None, SearchedStart())[0]
    # the end of the searched interval: logit((n + 0.5) / (n + 1))
    assert constant == pytest.approx(np.log(2 * len(Y) + 1))
    gradient = DiceLoss().weighted_gradient(Y, np.full_like(Y, constant))
    assert np.abs(gradient).max() < 2e-3
    assert np.abs(DiceLoss().weighted_gradient(Y, np.full_like(Y, logit(0.05)))).max() > 0.01


# -- training -------------------------------------------------------------------------------
def imbalanced_problem(seed, positive_rate):
    X, y = make_classification(
        n_samples=20000,
        n_features=20,
        n_informative=5,
        n_redundant=2,
        weights=[1 - positive_rate],
        flip_y=0.02,
        class_sep=0.8,
        random_state=seed,
    )
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


@pytest.mark.parametrize("positive_rate", [0.1, 0.05])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dice_beats_log_loss_on_held_out_dice_and_f1(seed, positive_rate):
    """On imbalanced data, training on Dice gives a lower held-out soft Dice and a higher
    F1 than the log loss thresholded at 0.5 (its ``predict``)."""
    X_train, X_test, y_train, y_test = imbalanced_problem(seed, positive_rate)
    results = {}
    for name in ("dice", "log_loss"):
        model = SGDClassifier(loss=name, random_state=0).fit(X_train, y_train)
        decision = model.decision_function(X_test)
        assert np.isfinite(decision).all()
        results[name] = (
            mean_loss("dice", y_test, decision),
            f1_score(y_test, model.predict(X_test)),
        )
    (dice_dice, dice_f1), (log_dice, log_f1) = results["dice"], results["log_loss"]
    assert dice_dice < log_dice - 0.1, results
    assert dice_f1 > log_f1 + 0.01, results


def test_training_is_deterministic_finite_and_scores():
    X_train, X_test, y_train, y_test = imbalanced_problem(0, 0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        first = SGDClassifier(loss="dice", random_state=3).fit(X_train, y_train)
        second = SGDClassifier(loss="dice", random_state=3).fit(X_train, y_train)
    assert_array_equal(first.coef_, second.coef_)
    assert_array_equal(first.intercept_, second.intercept_)
    assert first.loss_curve_ == second.loss_curve_
    assert np.isfinite(first.coef_).all() and np.isfinite(first.loss_curve_).all()
    assert first.loss_curve_[-1] < first.loss_curve_[0]
    # the scorer is minus the held-out Dice; probabilities are the soft predictions
    score = get_scorer("neg_mean_dice_loss")(first, X_test, y_test)
    assert score == pytest.approx(-mean_loss("dice", y_test, first.decision_function(X_test)))
    assert_allclose(first.predict_proba(X_test)[:, 1], expit(first.decision_function(X_test)))
    # float32 input trains in float32, without NaN
    single = SGDClassifier(loss="dice", random_state=3).fit(X_train.astype(np.float32), y_train)
    assert single.coef_.dtype == np.float32 and np.isfinite(single.coef_).all()
    assert f1_score(y_test, single.predict(X_test)) == pytest.approx(
        f1_score(y_test, first.predict(X_test)), abs=0.03
    )


def test_multiclass_is_one_dice_per_class_and_early_stopping_works():
    X, y = make_classification(
        n_samples=3000,
        n_features=8,
        n_informative=5,
        n_classes=3,
        weights=[0.8, 0.15, 0.05],
        random_state=0,
    )
    model = SGDClassifier(loss="dice", early_stopping=True, random_state=0).fit(X, y)
    decision = model.decision_function(X)
    per_class = [mean_loss("dice", y == k, decision[:, k]) for k in range(3)]
    assert mean_loss("dice", y, decision) == pytest.approx(np.mean(per_class), rel=1e-12)
    assert np.isfinite(model.coef_).all() and len(model.validation_scores_) == model.n_iter_
    assert max(per_class) < 0.7  # every class, the rare one too, is found


@pytest.mark.parametrize("smooth", [0, -1.0, np.nan, "a"])
def test_smooth_must_be_positive(smooth):
    with pytest.raises(ValueError, match="smooth"):
        DiceLoss(smooth=smooth).validate()
    with pytest.raises(ValueError, match="smooth"):
        SGDClassifier(loss=DiceLoss(smooth=smooth)).fit(np.eye(2), [0, 1])
