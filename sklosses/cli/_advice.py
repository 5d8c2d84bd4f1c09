"""The recommendation printed under the table: which loss won, and one diagnostic of the
data (heavy-tailed residuals for regression, a small class for classification)."""

import warnings

import numpy as np

from ._compare import extra_metric, make_pipeline, splitter

_KURTOSIS_THRESHOLD = 3.0
_MINORITY_THRESHOLD = 0.2


def _residual_advice(data, cv, random_state):
    """Excess kurtosis of the out-of-fold residuals of the squared-error model."""
    from scipy.stats import kurtosis
    from sklearn.model_selection import cross_val_predict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = cross_val_predict(
            make_pipeline(data, "squared_error", random_state),
            data.X,
            data.y,
            cv=splitter(data.task, cv, random_state),
        )
    excess = float(kurtosis(np.asarray(data.y, dtype=float) - predicted))
    if excess > _KURTOSIS_THRESHOLD:
        line = (
            f"The out-of-fold residuals of the squared-loss model are heavy-tailed "
            f"(excess kurtosis {excess:.2f} > {_KURTOSIS_THRESHOLD:g}): a robust "
            f"loss such as huber or absolute_error is less swayed by outliers."
        )
    else:
        line = (
            f"The out-of-fold residuals of the squared-loss model are not "
            f"heavy-tailed (excess kurtosis {excess:.2f}): squared_error is a "
            f"sound default; prefer the loss that matches the metric you care "
            f"about."
        )
    return line, {"residual_excess_kurtosis": excess}


def _balance_advice(data):
    """The share of the smallest class."""
    classes, counts = np.unique(data.y, return_counts=True)
    share = float(counts.min() / counts.sum())
    minority = classes[np.argmin(counts)]
    facts = {"minority_class": str(minority), "minority_share": share}
    if share < _MINORITY_THRESHOLD:
        line = (
            f"The smallest class ({minority}) is only "
            f"{share:.0%} of the data: consider loss='focal' or "
            f"class_weight='balanced', and judge by more than accuracy."
        )
    else:
        line = (
            f"The classes are reasonably balanced (smallest {share:.0%}); "
            f"log_loss is a good default when you need probabilities."
        )
    return line, facts


def recommend(data, results, metrics, best, cv, random_state):
    """Lines of advice, and the diagnostics behind them.

    Parameters
    ----------
    data : Data
    results : dict
        As returned by :func:`~sklosses.cli._compare.run`.
    metrics : list of str
    best : dict
        As returned by :func:`~sklosses.cli._compare.best`.
    cv, random_state : int
        The folds of the diagnostic cross-validation (the same as the comparison's).

    Returns
    -------
    lines : list of str
    facts : dict
        The diagnostic's numbers, for the JSON output.
    """
    lines = []
    wins = {loss: sum(loss in best[m] for m in metrics) for loss in results}
    most = max(wins.values())
    winners = [loss for loss, n in wins.items() if n == most]
    lines.append(
        f"{' and '.join(winners)} {'is' if len(winners) == 1 else 'are'} best (or tied "
        f"for best) on {most} of {len(metrics)} metrics."
    )
    extra = extra_metric(data.task)
    if best[extra]:
        value = results[best[extra][0]]["metrics"][extra]["mean"]
        lines.append(f"Best {extra}: {' = '.join(best[extra])} ({value:.4g}).")
    if data.task == "regression":
        line, facts = _residual_advice(data, cv, random_state)
    else:
        line, facts = _balance_advice(data)
    lines.append(line)
    return lines, facts
