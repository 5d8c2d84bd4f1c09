"""The comparison itself: which losses apply, one cross-validated pipeline per loss, and
the best loss per metric."""

import warnings

import numpy as np

from ..linear_model import SGDClassifier, SGDRegressor
from ..losses import LOSSES, get_loss
from ..metrics import make_loss_scorer
from ._errors import CLIError
from ._parser import loss_label, loss_specs


def extra_metric(task):
    """The scikit-learn metric reported beside the losses (higher is better).

    Parameters
    ----------
    task : {"regression", "classification"}

    Returns
    -------
    str
    """
    return "r2" if task == "regression" else "accuracy"


def loss_of(label):
    """The loss of a name in the results: a registry name stays a name; a sum
    (``0.7*huber+0.3*quantile``) becomes the composite loss of those defaults.

    Parameters
    ----------
    label : str
        A registry name or a label of :func:`~sklosses.cli._parser.loss_label`.

    Returns
    -------
    str or Loss

    Raises
    ------
    ValueError
        For terms that cannot be summed (different tasks or links).
    """
    (spec,) = loss_specs([label])
    if len(spec) == 1 and spec[0][0] == 1:
        return spec[0][1]
    return sum(weight * get_loss(name) for weight, name in spec)


def applicable_losses(task, requested, y):
    """The losses to compare, by name: those of the task that accept the target.

    Parameters
    ----------
    task : {"regression", "classification"}
        The task; classification takes binary and multiclass losses.
    requested : list of str or None
        The arguments of ``--losses`` (registry names and weighted sums of them, see
        :func:`~sklosses.cli._parser.loss_specs`); None for every applicable loss,
        quietly leaving out those whose ``check_target`` refuses ``y``.
    y : ndarray of shape (n_samples,)
        The target.

    Returns
    -------
    list of str
        Registry names, and sums as :func:`~sklosses.cli._parser.loss_label` writes
        them (:func:`loss_of` makes their losses).

    Raises
    ------
    CLIError
        For a requested name that is unknown, of another task, or refuses ``y``, and
        for a sum whose terms cannot be summed.
    """
    tasks = ("regression",) if task == "regression" else ("binary", "multiclass")
    # the task of an instance: a loss may compute it (a property on the class)
    applicable = [name for name, cls in LOSSES.items() if cls().task in tasks]
    if requested:
        specs = loss_specs(requested)
        names = [name for spec in specs for _, name in spec]
        unknown = [name for name in names if name not in LOSSES]
        if unknown:
            raise CLIError(
                f"unknown loss(es) {', '.join(unknown)}; valid for {task}: {', '.join(applicable)}"
            )
        wrong = [name for name in names if name not in applicable]
        if wrong:
            raise CLIError(
                f"loss(es) {', '.join(wrong)} do not apply to {task}; valid: "
                f"{', '.join(applicable)}"
            )
        chosen = list(dict.fromkeys(loss_label(spec) for spec in specs))
    else:
        chosen = applicable
    usable = []
    for label in chosen:
        try:
            loss = get_loss(loss_of(label))
        except ValueError as exc:  # terms of different tasks or links
            raise CLIError(f"{label!r}: {str(exc).splitlines()[0]}") from None
        try:
            loss.check_target(y)
        except ValueError as exc:
            if requested:
                raise CLIError(
                    f"loss {label!r} cannot be used with this target: {str(exc).splitlines()[0]}"
                ) from None
            continue  # e.g. poisson with negative targets: silently not applicable
        usable.append(label)
    return usable


def make_pipeline(data, loss, random_state):
    """The data's preprocessor followed by the SGD estimator of its task, with ``loss``.

    Parameters
    ----------
    data : Data
    loss : str or Loss
        A registry name, a label of a sum (:func:`loss_of`) or a loss.
    random_state : int

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline as sklearn_make_pipeline

    estimator_class = SGDRegressor if data.task == "regression" else SGDClassifier
    return sklearn_make_pipeline(
        clone(data.preprocessor),
        estimator_class(
            loss=loss_of(loss) if isinstance(loss, str) else loss, random_state=random_state
        ),
    )


def splitter(task, cv, random_state):
    """Shuffled ``cv``-fold splits, stratified for classification.

    Parameters
    ----------
    task : {"regression", "classification"}
    cv : int
    random_state : int

    Returns
    -------
    sklearn.model_selection.KFold or StratifiedKFold
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter_class = StratifiedKFold if task == "classification" else KFold
    return splitter_class(n_splits=cv, shuffle=True, random_state=random_state)


def out_of_fold(data, loss, cv, random_state, method="predict"):
    """The out-of-fold predictions of the model trained with ``loss``, on the folds of
    the comparison (:func:`splitter`); convergence warnings are silenced, as the
    comparison counts them already.

    Parameters
    ----------
    data : Data
    loss : str
        A label of the results.
    cv, random_state : int
    method : {"predict", "predict_proba", "decision_function"}, default="predict"

    Returns
    -------
    ndarray
    """
    from sklearn.model_selection import cross_val_predict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cross_val_predict(
            make_pipeline(data, loss, random_state),
            data.X,
            data.y,
            cv=splitter(data.task, cv, random_state),
            method=method,
        )


def run(data, losses, cv, random_state, progress):
    """Cross-validate one pipeline per loss under every loss's metric.

    Parameters
    ----------
    data : Data
    losses : list of str
    cv, random_state : int
    progress : object with ``update(done, label)``
        Told after each loss.

    Returns
    -------
    results : dict
        ``{loss: {"metrics": {metric: {"mean", "std"}}, "fit_time": {"mean", "std"}}}``;
        a metric with an unscorable fold has ``None`` mean and std.
    metrics : list of str
        The losses, then the extra metric (:func:`extra_metric`).
    n_convergence : int
        The number of fits that stopped at ``max_iter``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_validate

    extra = extra_metric(data.task)
    scoring = {name: make_loss_scorer(loss_of(name)) for name in losses}
    scoring[extra] = extra
    metrics = [*losses, extra]
    results = {}
    n_convergence = 0
    for i, loss in enumerate(losses, start=1):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = cross_validate(
                make_pipeline(data, loss, random_state),
                data.X,
                data.y,
                cv=splitter(data.task, cv, random_state),
                scoring=scoring,
                error_score=np.nan,
            )
        n_convergence += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        row = {}
        for metric in metrics:
            values = np.asarray(scores[f"test_{metric}"], dtype=float)
            if metric != extra:
                values = -values  # scorers return minus the mean loss
            finite = values[np.isfinite(values)]
            if len(finite) < len(values):  # a fold could not be scored (e.g. poisson, y<0)
                row[metric] = {"mean": None, "std": None}
            else:
                row[metric] = {"mean": float(finite.mean()), "std": float(finite.std())}
        fit_time = np.asarray(scores["fit_time"])
        results[loss] = {
            "metrics": row,
            "fit_time": {"mean": float(fit_time.mean()), "std": float(fit_time.std())},
        }
        progress.update(i, loss)
    return results, metrics, n_convergence


def best(results, metrics, task):
    """Per metric, the losses whose mean is best (ties as displayed share the mark).

    Parameters
    ----------
    results : dict
        As returned by :func:`run`.
    metrics : list of str
    task : {"regression", "classification"}

    Returns
    -------
    dict
        ``{metric: [loss, ...]}``, empty where no loss could be scored.
    """
    extra = extra_metric(task)
    winners = {}
    for metric in metrics:
        candidates = [
            (r["metrics"][metric]["mean"], loss)
            for loss, r in results.items()
            if r["metrics"][metric]["mean"] is not None
        ]
        if not candidates:
            winners[metric] = []
            continue
        pick = max if metric == extra else min
        top = pick(value for value, _ in candidates)
        winners[metric] = [loss for value, loss in candidates if f"{value:.4g}" == f"{top:.4g}"]
    return winners
