"""Tests of sklosses.plot: LossCurveDisplay and plot_losses."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import LOSSES, HuberLoss, Loss, get_loss
from sklosses.plot import LossCurveDisplay, plot_comparison, plot_losses

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=300)
    return X, y


@pytest.fixture(scope="module")
def classification_data(regression_data):
    X, y = regression_data
    return X, (y > 0).astype(int)


def test_display_from_regressor(regression_data):
    X, y = regression_data
    reg = SGDRegressor(max_iter=20, tol=None, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(reg)
    np.testing.assert_allclose(display.line_.get_ydata(), reg.loss_curve_)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, 21))
    assert display.validation_line_ is None
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "training objective"
    assert display.figure_ is display.ax_.figure
    assert display.estimator_name == "SGDRegressor"


def test_display_from_classifier(classification_data):
    X, y = classification_data
    clf = SGDClassifier(loss="log_loss", max_iter=15, tol=None, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf, name="logistic", color="k")
    np.testing.assert_allclose(display.line_.get_ydata(), clf.loss_curve_)
    assert display.line_.get_color() == "k"
    assert display.ax_.get_title() == "logistic"


def test_display_with_early_stopping(regression_data):
    X, y = regression_data
    reg = SGDRegressor(early_stopping=True, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(reg)
    np.testing.assert_allclose(display.line_.get_ydata(), reg.loss_curve_)
    np.testing.assert_allclose(display.validation_line_.get_ydata(), reg.validation_scores_)
    assert display.validation_line_.axes is display.validation_ax_
    assert display.validation_ax_ is not display.ax_
    assert "validation score" in display.validation_ax_.get_ylabel()
    legend_texts = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend_texts == ["training objective", "validation score"]


def test_display_from_pipeline(classification_data):
    X, y = classification_data
    pipe = make_pipeline(
        StandardScaler(), SGDClassifier(max_iter=10, tol=None, random_state=0)
    ).fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    np.testing.assert_allclose(display.line_.get_ydata(), pipe[-1].loss_curve_)
    assert display.estimator_name == "SGDClassifier"


@pytest.mark.parametrize(
    "estimator", [SGDRegressor(), make_pipeline(StandardScaler(), SGDClassifier())]
)
def test_display_unfitted_raises(estimator):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(estimator)


def test_display_without_loss_curve_raises(regression_data):
    from sklearn.linear_model import Ridge

    with pytest.raises(ValueError, match="loss_curve_"):
        LossCurveDisplay.from_estimator(Ridge().fit(*regression_data))


def test_display_on_given_ax():
    fig, (ax0, ax1) = plt.subplots(1, 2)
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_scores=[-3.0, -2.5, -2.4], estimator_name="stored"
    )
    assert display.plot(ax=ax1) is display
    assert display.ax_ is ax1
    assert display.figure_ is fig
    assert display.line_ in ax1.get_lines()
    assert not ax0.get_lines()
    np.testing.assert_allclose(display.validation_line_.get_ydata(), [-3.0, -2.5, -2.4])


def _lines_by_label(ax):
    return {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }


def test_plot_losses_default():
    fig = plot_losses()
    loss_reg, loss_clf, grad_reg, grad_clf = fig.axes[:4]
    elementwise = {name: cls() for name, cls in LOSSES.items() if cls().scope == "element"}
    # a regression loss with a link (Poisson) is not a function of the residual
    regression = {
        n for n, loss in elementwise.items() if loss.task == "regression" and loss.link is None
    }
    assert "poisson" in elementwise and "poisson" not in regression
    binary = {n for n, loss in elementwise.items() if loss.task == "binary"}
    assert regression and binary
    assert set(_lines_by_label(loss_reg)) == regression
    assert set(_lines_by_label(grad_reg)) == regression
    assert set(_lines_by_label(loss_clf)) == binary
    assert set(_lines_by_label(grad_clf)) == binary
    # losses of another scope (one value per sample, or per batch) are skipped
    assert "multinomial_log_loss" not in _lines_by_label(loss_clf)

    squared = _lines_by_label(loss_reg)["squared_error"]
    r = squared.get_xdata()
    np.testing.assert_allclose(squared.get_ydata(), r**2)
    huber = _lines_by_label(grad_reg)["huber"]
    np.testing.assert_allclose(huber.get_ydata(), HuberLoss().gradient(np.zeros_like(r), -r))
    for name in ("hinge", "log_loss", "exponential"):
        line = _lines_by_label(loss_clf)[name]
        m = line.get_xdata()
        np.testing.assert_allclose(line.get_ydata(), get_loss(name).loss(np.ones_like(m), m))
    hinge = _lines_by_label(loss_clf)["hinge"]
    m = hinge.get_xdata()
    np.testing.assert_allclose(hinge.get_ydata(), np.maximum(0, 1 - m))


class CauchyLoss(Loss):
    """Cauchy (Lorentzian) loss ``log(1 + (raw - y)**2)``: robust and not convex."""

    convex = False
    smoothness = 2.0

    def loss(self, y_true, raw_prediction):
        return np.log1p((raw_prediction - y_true) ** 2)

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return 2 * residual / (1 + residual**2)


def test_plot_losses_draws_a_loss_registered_at_run_time(monkeypatch):
    monkeypatch.setitem(LOSSES, "cauchy", CauchyLoss)
    loss_reg, _, grad_reg, _ = plot_losses().axes[:4]
    line = _lines_by_label(loss_reg)["cauchy"]
    r = line.get_xdata()
    np.testing.assert_allclose(line.get_ydata(), np.log1p(r**2))
    np.testing.assert_allclose(_lines_by_label(grad_reg)["cauchy"].get_ydata(), -2 * r / (1 + r**2))


def test_plot_losses_selection_without_gradients():
    fig = plot_losses(
        {
            "q90": get_loss("quantile").set_params(quantile=0.9),
            "log": "log_loss",
            "multi": "multinomial_log_loss",
        },
        gradients=False,
    )
    assert len(fig.axes) == 2
    reg_lines, clf_lines = (_lines_by_label(ax) for ax in fig.axes)
    assert set(reg_lines) == {"q90"}
    assert set(clf_lines) == {"log"}
    r = reg_lines["q90"].get_xdata()
    np.testing.assert_allclose(reg_lines["q90"].get_ydata(), np.where(r > 0, 0.9 * r, -0.1 * r))


def test_plot_losses_on_given_axes():
    fig, axes = plt.subplots(2, 2)
    assert plot_losses(["squared_error", "hinge"], ax=axes) is fig
    assert list(_lines_by_label(axes[0, 0])) == ["squared_error"]
    assert list(_lines_by_label(axes[1, 1])) == ["hinge"]


def test_plot_comparison_scales_each_column_to_its_best():
    values = np.array([[1.0, 0.2, 0.5], [3.0, np.nan, 0.7], [2.0, 0.4, 0.6]])
    fig = plot_comparison(
        values,
        losses=["a", "b", "c"],
        metrics=["m1", "m2", "score"],
        higher_is_better=[False, False, True],
    )
    ax = fig.axes[0]
    goodness = ax.images[0].get_array()
    np.testing.assert_allclose(goodness[:, 0], [1.0, 0.0, 0.5])  # lower is better
    np.testing.assert_allclose(goodness[:, 2], [0.0, 1.0, 0.5])  # higher is better
    assert goodness.mask[1, 1] or np.isnan(goodness[1, 1])  # no value: a blank cell
    assert [t.get_text() for t in ax.texts] == ["1", "0.2", "0.5", "3", "0.7", "2", "0.4", "0.6"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert len(fig.axes) == 2  # the heatmap and its colour bar


def test_plot_comparison_on_given_ax():
    fig, ax = plt.subplots()
    assert plot_comparison([[1.0, 2.0]], losses=["a"], metrics=["m1", "m2"], ax=ax) is fig
    assert ax.images and ax.get_xlabel() == "metric (mean over folds)"


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "sklosses\[plot\]"'):
        plot_losses()
    with pytest.raises(ImportError, match=r'pip install "sklosses\[plot\]"'):
        LossCurveDisplay(loss_curve=[1.0]).plot()
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "sklosses\[plot\]"'):
        plot_comparison([[1.0]], losses=["a"], metrics=["m"])
