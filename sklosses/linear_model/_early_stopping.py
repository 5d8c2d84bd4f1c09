"""Early stopping: the validation rows as scikit-learn draws them, the training rows
without them, and the score of a model on the validation rows."""

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit

from ..metrics._names import single_scorer


def validation_split(estimator, y, groups):
    """``(train, validation)`` row indices, ``train`` in the order of the rows.

    scikit-learn's split: ``StratifiedShuffleSplit`` for class labels (``ShuffleSplit``
    when a class has a single row, which stratification cannot split), ``ShuffleSplit``
    for other targets, with ``test_size=validation_fraction`` and the estimator's
    ``random_state`` itself, so that a ``RandomState`` instance is drawn from as there,
    before training's own draws; whole groups (``GroupShuffleSplit``) when the rows
    have groups.

    Parameters
    ----------
    estimator : BaseSGD
    y : ndarray of shape (n_samples,) or (n_samples, n_columns)
    groups : ndarray of shape (n_samples,) or None

    Returns
    -------
    tuple of two ndarrays
    """
    splitter_class = ShuffleSplit
    if groups is not None:
        splitter_class = GroupShuffleSplit
    elif estimator._loss_tasks != ("regression",) and y.ndim == 1:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2:
            splitter_class = StratifiedShuffleSplit
    splitter = splitter_class(
        test_size=estimator.validation_fraction, random_state=estimator.random_state
    )
    train, validation = next(splitter.split(np.zeros((len(y), 1)), y, groups))
    if len(validation) == 0 or len(train) == 0:
        raise ValueError(
            f"validation_fraction={estimator.validation_fraction} leaves an empty training "
            f"or validation set with {len(y)} samples."
        )
    return np.sort(train), validation


def hold_out(estimator, loss, X, y, Y, sample_weight, groups):
    """Split off the validation rows.

    Training then sees the training rows only, in their order, exactly as a fit on
    them alone would (the same batches and start-up statistics): they are copied
    once per ``fit`` (on CSR input, their nonzeros).

    Parameters
    ----------
    estimator : BaseSGD
    loss : Loss
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : ndarray
        The targets as given (what a scorer compares with).
    Y : ndarray of shape (n_samples, n_outputs)
        The targets in the loss's encoding.
    sample_weight : ndarray of shape (n_samples,) or None
    groups : ndarray of shape (n_samples,) or None

    Returns
    -------
    training : tuple
        ``(X, Y, sample_weight, groups)`` of the training rows.
    score : callable ``(coef, intercept) -> float``
        The validation score (:func:`validation_score`).
    """
    train, validation = validation_split(estimator, y, groups)
    weight = np.ones(len(y), dtype=X.dtype) if sample_weight is None else sample_weight
    score = validation_score(
        estimator,
        loss,
        X[validation],
        y[validation],
        Y[validation],
        weight[validation],
        None if groups is None else groups[validation],
    )
    training = (X, Y, sample_weight, groups)
    return tuple(None if part is None else part[train] for part in training), score


def validation_score(estimator, loss, X_val, y_val, Y_val, weight_val, groups_val):
    """Callable ``(coef, intercept) -> score`` for early stopping.

    ``scoring=None`` scores minus the weighted mean training loss on the validation
    rows; otherwise the single metric ``scoring`` names or gives, as
    ``GridSearchCV(scoring=...)`` takes it (a name, a scorer, a callable ``(estimator,
    X, y)``), with the validation weights and queries if it takes them
    (:func:`sklosses.metrics._names.single_scorer`).

    Parameters
    ----------
    estimator : BaseSGD
        Its ``scoring``; a scorer scores it with the coefficients set.
    loss : Loss
    X_val, y_val, Y_val, weight_val, groups_val
        The validation rows, as for :func:`hold_out`.

    Returns
    -------
    callable
    """
    if not weight_val.any():
        # scikit-learn's message for the same case
        raise ValueError(
            "The sample weights for validation set are all zero, consider using a"
            " different random state."
        )
    if estimator.scoring is None:

        def score(coef, intercept):
            raw = X_val @ coef + intercept
            loss_sums = loss.weighted_sums(Y_val, raw, weight_val, groups_val)
            return -float(loss_sums.mean()) / float(weight_val.sum())

        return score

    scorer = single_scorer(estimator, estimator.scoring)

    def score(coef, intercept):
        estimator._set_coefficients(coef, intercept)
        return float(scorer(estimator, X_val, y_val, sample_weight=weight_val, qid=groups_val))

    return score
