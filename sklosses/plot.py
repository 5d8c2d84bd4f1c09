"""Plotting helpers: training curves of fitted estimators, and the losses themselves.

matplotlib is an optional dependency, imported only when something is drawn;
install it with ``pip install "sklosses[plot]"``.

* :class:`LossCurveDisplay` draws the per-epoch training objective
  (``loss_curve_``) of a fitted :class:`~sklosses.SGDRegressor` or
  :class:`~sklosses.SGDClassifier`, and its validation scores
  (``validation_scores_``) when it was fitted with ``early_stopping=True``.
  It follows scikit-learn's Display conventions (see
  :class:`sklearn.metrics.RocCurveDisplay`).
* :func:`plot_losses` draws element-scope losses and their gradients against
  the residual (regression) or the margin (binary classification).
* :func:`plot_comparison` draws a heatmap of a comparison of losses under
  several metrics (the ``--plot`` of ``python -m sklosses compare``).
"""

import importlib

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .losses import LOSSES, Loss, get_loss

__all__ = ["LossCurveDisplay", "plot_comparison", "plot_losses"]


def _import_matplotlib(module="pyplot"):
    """Return ``matplotlib.<module>``, or raise an ImportError saying how to install it."""
    try:
        return importlib.import_module(f"matplotlib.{module}")
    except ImportError as exc:
        raise ImportError(
            'Plotting needs matplotlib, which is not installed: pip install "sklosses[plot]" '
            '(or pip install "matplotlib>=3.6").'
        ) from exc


class LossCurveDisplay:
    """Training curve of an SGD estimator: its objective, and validation scores, per epoch.

    Create it with :meth:`from_estimator` (or construct it from stored curves
    and call :meth:`plot`). Follows scikit-learn's Display conventions: the
    matplotlib objects are stored as attributes after :meth:`plot`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training objective per epoch (an estimator's ``loss_curve_``).
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score per epoch (``validation_scores_``, higher is better),
        drawn on a twin y-axis. None: no validation curve.
    estimator_name : str, default=None
        Name of the estimator, used in the legend and the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes of the training objective.
    figure_ : matplotlib Figure
        Figure holding the axes.
    line_ : matplotlib Line2D
        Line of the training objective.
    validation_line_ : matplotlib Line2D or None
        Line of the validation scores, on the twin axes ``validation_ax_``;
        None without validation scores.
    validation_ax_ : matplotlib Axes or None
        Twin y-axis of the validation scores; None without validation scores.

    See Also
    --------
    plot_losses : Draw the losses themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses import SGDRegressor
    >>> from sklosses.plot import LossCurveDisplay
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5]
    >>> reg = SGDRegressor(early_stopping=True, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(reg)  # doctest: +SKIP
    """

    def __init__(self, *, loss_curve, validation_scores=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure and axes.
        name : str, default=None
            Name for the legend and title; None uses ``estimator_name``.
        **kwargs : dict
            Keyword arguments passed to ``ax.plot`` for the training objective.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_``, ``line_`` and
            ``validation_line_`` set.
        """
        plt = _import_matplotlib()
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name

        loss_curve = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss_curve) + 1)
        line_kwargs = {"label": "training objective", "color": "C0"}
        line_kwargs.update(kwargs)
        (self.line_,) = ax.plot(epochs, loss_curve, **line_kwargs)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training objective")
        handles = [self.line_]

        self.validation_ax_ = None
        self.validation_line_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            self.validation_ax_ = ax.twinx()
            (self.validation_line_,) = self.validation_ax_.plot(
                np.arange(1, len(scores) + 1),
                scores,
                color="C1",
                linestyle="--",
                label="validation score",
            )
            self.validation_ax_.set_ylabel("validation score (higher is better)")
            handles.append(self.validation_line_)

        if name is not None:
            ax.set_title(name)
        ax.legend(handles=handles, loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Draw the training curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted estimator with ``loss_curve_`` (and ``validation_scores_``
            when fitted with ``early_stopping=True``), such as
            :class:`~sklosses.SGDRegressor`; for a
            :class:`~sklearn.pipeline.Pipeline`, its last step is used.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure and axes.
        name : str, default=None
            Name for the legend and title; None uses the class name of the
            (last step of the) estimator.
        **kwargs : dict
            Keyword arguments passed to ``ax.plot`` for the training objective.

        Returns
        -------
        display : LossCurveDisplay
            The drawn display.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If the estimator has no ``loss_curve_``.
        """
        final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        check_is_fitted(final)
        if not hasattr(final, "loss_curve_"):
            raise ValueError(
                f"{type(final).__name__} has no loss_curve_ attribute; LossCurveDisplay needs "
                "an estimator that records its training objective per epoch, such as "
                "sklosses.SGDRegressor or sklosses.SGDClassifier."
            )
        name = type(final).__name__ if name is None else name
        display = cls(
            loss_curve=final.loss_curve_,
            validation_scores=getattr(final, "validation_scores_", None),
            estimator_name=name,
        )
        return display.plot(ax=ax, **kwargs)


def _as_named_losses(losses):
    """Return ``[(label, loss instance)]`` for the ``losses`` argument of plot_losses."""
    if losses is None:
        losses = list(LOSSES)
    if isinstance(losses, (str, dict, Loss)):
        losses = [losses] if not isinstance(losses, dict) else list(losses.items())
    named = []
    for item in losses:
        label, loss = item if isinstance(item, tuple) else (None, item)
        instance = get_loss(loss)
        if label is None:
            label = loss if isinstance(loss, str) else repr(instance)
        named.append((label, instance))
    return named


def plot_losses(losses=None, *, ax=None, gradients=True):
    """Draw losses (and their gradients) against the residual or the margin.

    Regression losses are drawn against the residual ``r = y - raw``, at
    ``y = 0`` and ``raw = -r``; binary losses against the margin ``m = t raw``
    with ``t`` in {-1, +1}, at ``y = 1`` and ``raw = m``. Gradients are the
    losses' own ``gradient`` (d loss / d raw) at the same points, so a
    regression gradient is positive where the prediction is too large
    (``r < 0``). A regression loss with a non-identity ``link`` (Poisson) is
    not a function of the residual: it is drawn only when asked for, on the
    raw (log) scale at ``y = 0`` (the Poisson deviance is then ``2 exp(-r)``).

    Losses whose values are not one per sample and output (``scope`` other
    than ``"element"``: the multinomial log loss, one value per sample
    coupling all classes; soft Dice, a statistic of the whole batch) have no
    curve against one residual or margin and are skipped.

    Parameters
    ----------
    losses : str, Loss, list or dict, default=None
        Losses to draw: registry names or :class:`~sklosses.losses.Loss`
        instances, or a dict ``{label: loss}``. None: every loss in
        :data:`~sklosses.losses.LOSSES`, with default parameters (those of
        another scope than ``"element"`` and those with a ``link`` skipped).
    ax : array of matplotlib Axes, default=None
        Axes to draw on, of shape (2, 2) with ``gradients=True`` or (2,)
        (or (1, 2)) otherwise: column 0 regression, column 1 classification,
        row 0 losses, row 1 gradients. None creates a new figure.
    gradients : bool, default=True
        Also draw the gradients, in a second row.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the axes (``fig.axes``).

    Examples
    --------
    >>> from sklosses.plot import plot_losses
    >>> fig = plot_losses(["squared_error", "huber", "hinge", "log_loss"])  # doctest: +SKIP
    """
    plt = _import_matplotlib()
    named = [
        (label, loss)
        for label, loss in _as_named_losses(losses)
        if loss.scope == "element" and (losses is not None or loss.link is None)
    ]
    n_rows = 2 if gradients else 1
    if ax is None:
        fig, axes = plt.subplots(
            n_rows, 2, figsize=(11, 4 * n_rows), squeeze=False, sharex="col", layout="constrained"
        )
    else:
        axes = np.asarray(ax, dtype=object).reshape(n_rows, 2)
        fig = axes[0, 0].figure

    x = np.linspace(-3, 3, 601)
    panels = [
        ("regression", x, "residual r = y - raw  (y = 0, raw = -r)", np.zeros_like(x), -x),
        ("classification", x, "margin m = t raw  (y = 1, raw = m)", np.ones_like(x), x),
    ]
    for column, (title, xs, xlabel, y_true, raw) in enumerate(panels):
        members = [
            (label, loss)
            for label, loss in named
            if (loss.task == "binary") == (title == "classification")
        ]
        loss_ax = axes[0, column]
        for style, (label, loss) in enumerate(members):
            # every other line dashed and on top, so coinciding curves (squared hinge
            # and modified Huber for m > -1) both stay visible
            dashed = (style + style // 10) % 2 == 1
            line_kwargs = {
                "label": label,
                "color": f"C{style % 10}",
                "linestyle": "--" if dashed else "-",
                "zorder": 3 if dashed else 2,
            }
            loss_ax.plot(xs, loss.loss(y_true, raw), **line_kwargs)
            if gradients:
                axes[1, column].plot(xs, loss.gradient(y_true, raw), **line_kwargs)
        loss_ax.set_title(f"{title} losses")
        loss_ax.set_ylabel("loss")
        loss_ax.set_ylim(-0.25, 5)
        loss_ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
        loss_ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
        if gradients:
            grad_ax = axes[1, column]
            grad_ax.set_title(f"{title} gradients")
            grad_ax.set_ylabel("gradient  d loss / d raw")
            grad_ax.set_ylim(-4, 4)
            grad_ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
            grad_ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
        bottom_ax = axes[-1, column]
        bottom_ax.set_xlabel(xlabel)
        if members:
            # below the panels, so the legend never hides a curve
            handles, labels = loss_ax.get_legend_handles_labels()
            bottom_ax.legend(
                handles,
                labels,
                fontsize="small",
                ncols=3,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.15),
                frameon=False,
            )
    return fig


def _column_goodness(values, higher_is_better):
    """Each column scaled to [0, 1], 1 for its best value; NaN where there is no value."""
    goodness = np.full_like(values, np.nan)
    for j, higher in enumerate(higher_is_better):
        column = values[:, j]
        if np.all(np.isnan(column)):
            continue
        low, high = np.nanmin(column), np.nanmax(column)
        scaled = (column - low) / (high - low) if high > low else np.ones_like(column)
        goodness[:, j] = scaled if higher else 1 - scaled
    return goodness


def plot_comparison(values, *, losses, metrics, higher_is_better=None, ax=None):
    """Draw a heatmap of losses (rows) scored under metrics (columns).

    Each column is scaled to [0, 1] on its own, 1 for its best value (the
    lowest of a loss, the highest where ``higher_is_better``), so that columns
    of different units share one colour scale; the cells are annotated with the
    values themselves. This is the ``--plot`` figure of ``python -m sklosses
    compare``.

    Parameters
    ----------
    values : array-like of shape (n_losses, n_metrics)
        The mean score of the model trained with each loss under each metric;
        NaN where there is none (the cell stays blank).
    losses : list of str
        The row labels: the losses the models were trained with.
    metrics : list of str
        The column labels.
    higher_is_better : list of bool, default=None
        Per metric, whether a higher value is better; None: lower is better
        for every metric (all are losses).
    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure, sized to the table, without
        pyplot (so that nothing needs a display or is kept open).

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the heatmap and its colour bar.

    Examples
    --------
    >>> from sklosses.plot import plot_comparison
    >>> fig = plot_comparison(
    ...     [[1.0, 0.5], [1.2, 0.4]], losses=["huber", "squared_error"],
    ...     metrics=["huber", "squared_error"],
    ... )  # doctest: +SKIP
    """
    values = np.asarray(values, dtype=float)
    if higher_is_better is None:
        higher_is_better = [False] * len(metrics)
    if ax is None:
        fig = _import_matplotlib("figure").Figure(
            figsize=(1.1 * len(metrics) + 3, 0.45 * len(losses) + 2), layout="constrained"
        )
        ax = fig.subplots()
    else:
        fig = ax.figure
    goodness = _column_goodness(values, higher_is_better)
    image = ax.imshow(goodness, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(metrics)), labels=metrics, rotation=45, ha="right")
    ax.set_yticks(range(len(losses)), labels=losses)
    ax.set_xlabel("metric (mean over folds)")
    ax.set_ylabel("loss trained with")
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            colour = "black" if goodness[i, j] > 0.6 else "white"
            ax.text(j, i, f"{value:.4g}", ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(image, ax=ax, label="per-column score (1 = best)")
    ax.set_title("sklosses compare: each column normalised, 1 = best")
    return fig
