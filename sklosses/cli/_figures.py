"""The figures of a comparison: the heatmap of every score, and the out-of-fold
diagnostics of the recommended model and its nearest rival. Drawn on matplotlib
``Figure`` objects, without pyplot's global state."""

import base64
import io

import numpy as np

from ._compare import extra_metric, make_pipeline, out_of_fold
from ._data import smallest_class


def heatmap_figure(results, metrics, task):
    """The heatmap of :func:`sklosses.plot.plot_comparison` of the results.

    Parameters
    ----------
    results, metrics
        As returned by :func:`~sklosses.cli._compare.run`.
    task : {"regression", "classification"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..plot import plot_comparison

    values = np.array(
        [
            [
                np.nan if r["metrics"][m]["mean"] is None else r["metrics"][m]["mean"]
                for m in metrics
            ]
            for r in results.values()
        ]
    )
    return plot_comparison(
        values,
        losses=list(results),
        metrics=metrics,
        higher_is_better=[m == extra_metric(task) for m in metrics],
    )


def _residual_figure(data, models, cv, random_state):
    """Residuals against out-of-fold predictions, a panel per model."""
    from matplotlib.figure import Figure
    from sklearn.metrics import PredictionErrorDisplay

    fig = Figure(figsize=(5.5 * len(models), 4.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True))
    for ax, (loss, role) in zip(axes, models.items(), strict=True):
        predicted = out_of_fold(data, loss, cv, random_state)
        PredictionErrorDisplay.from_predictions(
            data.y, predicted, kind="residual_vs_predicted", ax=ax, scatter_kwargs={"alpha": 0.5}
        )
        ax.set_title(f"{loss} ({role})")
        ax.set_xlabel("out-of-fold prediction")
    axes[0].set_ylabel("residual (target - prediction)")
    for ax in axes[1:]:
        ax.set_ylabel("")
    return fig


def _class_scores(data, loss, positive, cv, random_state):
    """The out-of-fold score of ``positive`` against the rest, and whether it is a
    probability (the loss has an inverse link) or a decision value."""
    classes = list(np.unique(data.y))
    column = classes.index(positive)
    probability = hasattr(make_pipeline(data, loss, random_state), "predict_proba")
    method = "predict_proba" if probability else "decision_function"
    scores = out_of_fold(data, loss, cv, random_state, method=method)
    if scores.ndim == 2:
        return scores[:, column], probability
    # binary decision values score the second class
    return (scores if column == 1 else -scores), probability


def _classification_figure(data, models, cv, random_state):
    """Calibration and precision-recall curves of the smallest class against the rest."""
    from matplotlib.figure import Figure
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import PrecisionRecallDisplay

    positive, _ = smallest_class(data.y)
    is_positive = (data.y == positive).astype(int)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    calibration, precision_recall = fig.subplots(1, 2)
    without_probability = []
    for i, (loss, role) in enumerate(models.items()):
        name = f"{loss} ({role})"
        score, probability = _class_scores(data, loss, positive, cv, random_state)
        if probability:
            CalibrationDisplay.from_predictions(
                is_positive, score, n_bins=10, name=name, ax=calibration, ref_line=i == 0
            )
        else:
            without_probability.append(loss)
        PrecisionRecallDisplay.from_predictions(
            is_positive, score, name=name, ax=precision_recall, plot_chance_level=i == 0
        )
    if without_probability:
        calibration.text(
            0.5,
            0.5,
            f"no probabilities: {' and '.join(without_probability)}\n"
            f"{'has' if len(without_probability) == 1 else 'have'} no inverse link",
            ha="center",
            va="center",
            transform=calibration.transAxes,
        )
    # the displays saw 0/1 labels: name the class itself
    calibration.set_title(f"Calibration: class {positive} (the smallest) vs the rest")
    calibration.set(
        xlabel=f"mean predicted probability of class {positive}",
        ylabel=f"fraction of class {positive}",
    )
    precision_recall.set_title(f"Precision-recall: class {positive} vs the rest")
    precision_recall.set(xlabel=f"recall of class {positive}", ylabel="precision")
    # the curves of a useful model keep to the diagonal and to the top right
    if len(without_probability) < len(models):
        calibration.legend(loc="upper left", fontsize=8)
    precision_recall.legend(loc="lower left", fontsize=8)
    return fig


def diagnostic_figure(data, models, cv, random_state):
    """Out-of-fold diagnostics of a few models, on the folds of the comparison:
    residuals against predictions for regression; calibration and precision-recall
    curves of the smallest class for classification.

    Parameters
    ----------
    data : Data
    models : dict
        ``{loss: role}``, the role (e.g. ``"recommended"``) shown beside the loss.
    cv, random_state : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    if data.task == "regression":
        return _residual_figure(data, models, cv, random_state)
    return _classification_figure(data, models, cv, random_state)


def png_data_uri(fig):
    """The figure as a PNG ``data:`` URI, to embed in a page that needs no other file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
