"""Adding a loss is one class and one registration.

Each loss below is written here and registered at run time with ``register_loss``, with
no other file edited. It then gets the ``loss=`` option of the estimators, a metric, a
scorer name that works in cross-validation, skops trust, the plots and every generic test
of ``test_losses.py``: a non-convex per-sample loss (Cauchy) and a batch-level loss (soft
F-beta).
"""

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logit
from sklearn.model_selection import cross_val_score
from test_losses import run_generic_checks

import sklosses
from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import LOSSES, BatchLoss, Loss, check_gradient, get_loss, register_loss
from sklosses.metrics import get_scorer, get_scorer_names, mean_loss

matplotlib.use("Agg")


class CauchyLoss(Loss):
    """Cauchy (Lorentzian) loss ``log(1 + (r / scale)**2)`` of the residual ``r = y - raw``.

    Gradient ``2 (raw - y) / (scale**2 + (raw - y)**2)``; smoothness ``2 / scale**2``,
    the curvature at ``r = 0``. Not convex: concave for ``|r| > scale``, so outliers
    pull ever less.
    """

    convex = False

    def __init__(self, scale=1.0):
        self.scale = scale

    def validate(self):
        if not self.scale > 0:
            raise ValueError(f"scale must be > 0, got {self.scale!r}.")
        return self

    @property
    def smoothness(self):
        return 2 / self.scale**2

    def loss(self, y_true, raw_prediction):
        return np.log1p(((y_true - raw_prediction) / self.scale) ** 2)

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return 2 * residual / (self.scale**2 + residual**2)


class SoftFBetaLoss(BatchLoss):
    """``1 - F_beta`` of soft predictions ``p = expit(raw)`` over a batch.

    With sums over the rows, weights ``s`` and ``k = smooth sum s``::

        L = 1 - N / M,   N = (1 + beta**2) sum s p y + k,
                         M = beta**2 sum s y + sum s p + k,
        dL/draw_i = s_i p_i (1 - p_i) (N - (1 + beta**2) y_i M) / M**2.

    ``beta = 1`` is the soft Dice loss. Training starts from the log-odds of the
    weighted positive rate (the constant minimising ``L`` saturates the sigmoid).
    """

    task = "binary"
    convex = False
    inverse_link = staticmethod(expit)

    def __init__(self, beta=2.0, smooth=1e-3):
        self.beta = beta
        self.smooth = smooth

    def _sums(self, y_true, raw_prediction, sample_weight):
        p = expit(raw_prediction)
        s = np.ones(len(p)) if sample_weight is None else np.asarray(sample_weight)
        s = s.astype(p.dtype)[:, None]
        k = p.dtype.type(self.smooth) * s.sum()
        numerator = (1 + self.beta**2) * (s * p * y_true).sum(axis=0) + k
        denominator = self.beta**2 * (s * y_true).sum(axis=0) + (s * p).sum(axis=0) + k
        return p, s, numerator, denominator

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        _, _, numerator, denominator = self._sums(y_true, raw_prediction, sample_weight)
        return 1 - numerator / denominator

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        p, s, numerator, denominator = self._sums(y_true, raw_prediction, sample_weight)
        share = numerator - (1 + self.beta**2) * y_true * denominator
        return s * p * (1 - p) * share / denominator**2

    def initial_raw_prediction(self, y_true, sample_weight=None):
        rate = np.average(y_true, axis=0, weights=sample_weight)
        return logit(np.clip(rate, 1e-3, 1 - 1e-3))


@pytest.fixture
def cauchy():
    register_loss("cauchy", CauchyLoss)
    yield "cauchy"
    del LOSSES["cauchy"]


@pytest.fixture
def soft_f2():
    register_loss("soft_f2", SoftFBetaLoss)
    yield "soft_f2"
    del LOSSES["soft_f2"]


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 1.0 + 0.3 * rng.standard_normal(1500)
    y[::50] += 40  # gross outliers, which the Cauchy loss all but ignores
    return X, y


@pytest.fixture
def imbalanced_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 5))
    score = X @ [2.0, -1.0, 1.0, 0.0, 0.5] - 2.5
    y = (score + rng.logistic(size=3000) > 0).astype(int)
    return X, y


# -- a per-sample loss: Cauchy ------------------------------------------------------------
def test_the_cauchy_loss_passes_every_generic_check(cauchy):
    for loss in (get_loss(cauchy), CauchyLoss(scale=0.5), CauchyLoss(scale=3.0)):
        ran = run_generic_checks(loss)
        assert "test_gradient_finite_differences" in ran
        assert "test_convexity_is_as_declared" in ran  # declared not convex, and is not
        assert "test_smoothness_is_not_loose" in ran
        assert "test_integer_weights_are_repeated_rows" in ran
    assert not CauchyLoss().convex and CauchyLoss().kinks(np.zeros(3)).shape == (3, 0)


def test_the_cauchy_loss_trains_and_predicts(cauchy, regression_data):
    X, y = regression_data
    model = SGDRegressor(loss=cauchy, random_state=0).fit(X, y)
    assert model.predict(X).shape == y.shape
    # the outliers (2% of the rows, +40) barely move the fit
    assert_allclose(model.coef_, [1.0, -2.0, 0.5, 0.0], atol=0.1)
    assert model.intercept_ == pytest.approx(1.0, abs=0.1)


def test_the_cauchy_loss_gets_a_metric_and_a_scorer(cauchy, regression_data):
    X, y = regression_data
    model = SGDRegressor(loss=cauchy, random_state=0).fit(X, y)
    prediction = model.predict(X)
    weight = np.random.default_rng(2).uniform(0.5, 2, size=len(y))
    expected = np.average(np.log1p((y - prediction) ** 2), weights=weight)
    assert mean_loss(cauchy, y, prediction, sample_weight=weight) == pytest.approx(expected)
    assert "neg_mean_cauchy_loss" in get_scorer_names()
    scorer = get_scorer("neg_mean_cauchy_loss")
    assert scorer(model, X, y) == pytest.approx(-mean_loss(cauchy, y, prediction))
    scores = cross_val_score(SGDRegressor(loss=cauchy, random_state=0), X, y, scoring=scorer, cv=3)
    assert scores.shape == (3,) and np.all(scores < 0)


def test_the_cauchy_loss_is_trusted_by_skops(cauchy, regression_data):
    sio = pytest.importorskip("skops.io")
    assert f"{__name__}.CauchyLoss" in sklosses.TRUSTED_TYPES
    X, y = regression_data
    for loss in (cauchy, CauchyLoss(scale=2.0)):
        model = SGDRegressor(loss=loss, max_iter=20, random_state=0).fit(X, y)
        data = sio.dumps(model)
        assert set(sio.get_untrusted_types(data=data)) <= set(sklosses.TRUSTED_TYPES)
        restored = sio.loads(data, trusted=sklosses.TRUSTED_TYPES)
        assert_array_equal(restored.predict(X), model.predict(X))


def test_the_cauchy_loss_is_plotted(cauchy):
    from sklosses.plot import plot_losses

    figure = plot_losses([cauchy, "squared_error"])
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert cauchy in labels
    plot_losses()  # the whole registry, with the new loss in it


def test_registration_is_undone_by_the_fixture():
    assert "cauchy" not in LOSSES and "soft_f2" not in LOSSES
    assert not any("CauchyLoss" in name for name in sklosses.TRUSTED_TYPES)


# -- a batch-level loss: soft F-beta ------------------------------------------------------
def test_the_batch_loss_passes_every_generic_check(soft_f2):
    for loss in (get_loss(soft_f2), SoftFBetaLoss(beta=0.5), SoftFBetaLoss(beta=1.0)):
        ran = run_generic_checks(loss)
        assert "test_batch_gradient_is_the_derivative_of_the_batch_loss" in ran
        assert "test_integer_weights_are_repeated_rows" in ran
    rng = np.random.default_rng(3)
    y_true = (rng.uniform(size=(30, 2)) < 0.3).astype(float)
    raw, weight = rng.normal(size=(30, 2)), rng.uniform(0.5, 2, size=30)
    assert check_gradient(get_loss(soft_f2), y_true, raw, sample_weight=weight) < 1e-6


def test_the_batch_loss_with_beta_one_is_the_dice_loss(soft_f2):
    rng = np.random.default_rng(4)
    y_true = (rng.uniform(size=(50, 2)) < 0.3).astype(float)
    raw, weight = rng.normal(size=(50, 2)), rng.uniform(0.5, 2, size=50)
    dice, f1 = get_loss("dice"), SoftFBetaLoss(beta=1.0)
    assert_allclose(f1.batch_loss(y_true, raw, weight), dice.batch_loss(y_true, raw, weight))
    assert_allclose(
        f1.batch_gradient(y_true, raw, weight), dice.batch_gradient(y_true, raw, weight)
    )


def test_the_batch_loss_trains_and_gets_a_metric_and_a_scorer(soft_f2, imbalanced_data):
    X, y = imbalanced_data
    model = SGDClassifier(loss=soft_f2, random_state=0).fit(X, y)
    decision = model.decision_function(X)
    assert np.isfinite(model.coef_).all() and model.predict(X).shape == y.shape
    # the metric is the batch loss of the whole (weighted) set
    weight = np.random.default_rng(5).uniform(0.5, 2, size=len(y))
    expected = SoftFBetaLoss().batch_loss(y[:, None].astype(float), decision[:, None], weight)
    assert mean_loss(soft_f2, y, decision, sample_weight=weight) == pytest.approx(expected[0])
    # trained on F2, it finds more of the positives than the log loss does
    log_loss_model = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    assert model.predict(X)[y == 1].mean() > log_loss_model.predict(X)[y == 1].mean()
    assert mean_loss(soft_f2, y, decision) < mean_loss(
        soft_f2, y, log_loss_model.decision_function(X)
    )
    scorer = get_scorer("neg_mean_soft_f2_loss")
    assert scorer(model, X, y) == pytest.approx(-mean_loss(soft_f2, y, decision))
    scores = cross_val_score(SGDClassifier(loss=soft_f2, random_state=0), X, y, scoring=scorer)
    assert scores.shape == (5,) and np.all((scores < 0) & (scores > -1))


def test_the_batch_loss_is_trusted_by_skops_and_skipped_by_the_plots(soft_f2, imbalanced_data):
    sio = pytest.importorskip("skops.io")
    from sklosses.plot import plot_losses

    X, y = imbalanced_data
    model = SGDClassifier(loss=SoftFBetaLoss(beta=3.0), random_state=0).fit(X, y)
    restored = sio.loads(sio.dumps(model), trusted=sklosses.TRUSTED_TYPES)
    assert_array_equal(restored.decision_function(X), model.decision_function(X))
    plot_losses([soft_f2, "log_loss"])  # no curve against one margin: skipped
    plot_losses()
