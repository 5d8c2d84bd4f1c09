"""The recommendation printed under the table: which loss won, and one diagnostic of the
data (heavy-tailed residuals for regression, a small class for classification)."""

import numpy as np

from ._compare import extra_metric, out_of_fold
from ._data import smallest_class

_KURTOSIS_THRESHOLD = 3.0
_MINORITY_THRESHOLD = 0.2


def _residual_advice(data, cv, random_state):
    """Excess kurtosis of the out-of-fold residuals of the squared-error model."""
    from scipy.stats import kurtosis

    predicted = out_of_fold(data, "squared_error", cv, random_state)
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
    minority, count = smallest_class(data.y)
    share = count / len(data.y)
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


def ranking(results, metrics, best, task):
    """The models from the recommended one down: by the number of metrics they are best
    (or tied for best) on, then by their mean rank over the metrics.

    Parameters
    ----------
    results : dict
        As returned by :func:`~sklosses.cli._compare.run`.
    metrics : list of str
    best : dict
        As returned by :func:`~sklosses.cli._compare.best`.
    task : {"regression", "classification"}

    Returns
    -------
    order : list of str
        The losses of the models, the recommended first.
    wins : dict
        ``{loss: number of metrics it is best on}``.
    mean_rank : dict
        ``{loss: its rank averaged over the metrics}``, 1 for the best, ties sharing
        their mean rank and a metric without a value ranked last.
    """
    from scipy.stats import rankdata

    extra = extra_metric(task)
    losses = list(results)
    ranks = []
    for metric in metrics:
        means = [results[loss]["metrics"][metric]["mean"] for loss in losses]
        sign = -1 if metric == extra else 1
        ranks.append(rankdata([np.inf if m is None else sign * m for m in means]))
    mean_rank = dict(zip(losses, np.mean(ranks, axis=0).tolist(), strict=True))
    wins = {loss: sum(loss in best[m] for m in metrics) for loss in losses}
    order = sorted(losses, key=lambda loss: (-wins[loss], mean_rank[loss]))
    return order, wins, mean_rank


def _recommended_line(order, wins, mean_rank, n_metrics):
    top = order[0]
    line = f"Recommended: {top}, best (or tied for best) on {wins[top]} of {n_metrics} metrics."
    if len(order) > 1:
        rival = order[1]
        ranks = f"mean rank over the metrics {mean_rank[rival]:.1f} vs {mean_rank[top]:.1f}"
        best_on = "also best" if wins[rival] == wins[top] else "best"
        line += f" Nearest rival: {rival} ({best_on} on {wins[rival]}; {ranks})."
    return line


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
    order : list of str
        The losses of the models from the recommended one down (:func:`ranking`).
    """
    order, wins, mean_rank = ranking(results, metrics, best, data.task)
    lines = [_recommended_line(order, wins, mean_rank, len(metrics))]
    extra = extra_metric(data.task)
    if best[extra]:
        value = results[best[extra][0]]["metrics"][extra]["mean"]
        lines.append(f"Best {extra}: {' = '.join(best[extra])} ({value:.4g}).")
    if data.task == "regression":
        line, facts = _residual_advice(data, cv, random_state)
    else:
        line, facts = _balance_advice(data)
    lines.append(line)
    return lines, facts, order
