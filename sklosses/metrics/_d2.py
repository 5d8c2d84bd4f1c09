"""The fraction of a regression loss explained, :math:`D^2`."""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ..losses import best_constant
from ._arrays import checked_loss, loss_arrays
from ._mean import weighted_mean_loss


def d2_loss_score(loss, y_true, y_pred, *, sample_weight=None):
    r""":math:`D^2`, the fraction of a regression loss explained.

    .. math::

        D^2 = 1 - \frac{\mathrm{mean\_loss}(y, \hat y)}
                       {\min_c \mathrm{mean\_loss}(y, c)},

    with the weighted means of :func:`mean_loss` and the minimum over
    constant predictions ``c`` found numerically
    (:func:`~sklosses.losses.best_constant`: a bounded Brent search, refined
    at the loss's kinks next to its answer). It is
    :func:`sklearn.metrics.r2_score` for ``"squared_error"``,
    :func:`sklearn.metrics.d2_absolute_error_score` for ``"absolute_error"``
    and :func:`sklearn.metrics.d2_pinball_score` for ``QuantileLoss(q)``.
    As in scikit-learn (:func:`~sklearn.metrics.r2_score`,
    :func:`~sklearn.metrics.d2_absolute_error_score`), a perfect prediction
    scores 1; a constant target (of the rows of positive weight), whose
    denominator is zero, scores 1 for a perfect prediction and 0 for any other
    (all-zero counts under ``"poisson"`` too, whose best constant, zero, is
    only approached as the raw prediction goes to minus infinity); fewer than
    two samples give NaN with an ``UndefinedMetricWarning``; and 2-D targets
    average the scores of the outputs. Predictions outside the range of the
    loss's ``inverse_link`` (e.g. a zero or negative Poisson mean) raise, as
    in :func:`mean_loss`.

    Regression losses only: the best constant of a classification loss is
    not defined here.

    Parameters
    ----------
    loss : str or Loss
        A registry name or a loss instance with ``task == "regression"``.
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions (the estimator's ``predict``).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights with a positive sum.

    Returns
    -------
    float
        At most 1; 0 for the best constant; negative for worse predictions.

    Examples
    --------
    >>> from sklosses.metrics import d2_loss_score
    >>> round(d2_loss_score("absolute_error", [1.0, 2.0, 6.0], [1.0, 2.0, 3.0]), 6)
    0.4
    """
    loss = checked_loss(loss)
    if loss.task != "regression":
        raise ValueError(f"d2_loss_score needs a regression loss; {loss!r} is {loss.task!r}.")
    y_true_2d, raw, sample_weight = loss_arrays(loss, y_true, y_pred, None, None, sample_weight)
    if len(y_true_2d) < 2:
        warnings.warn(
            "D^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    scores = []
    for output in range(y_true_2d.shape[1]):
        column = y_true_2d[:, [output]]
        numerator = weighted_mean_loss(loss, column, raw[:, [output]], sample_weight)
        if numerator == 0:
            scores.append(1.0)
        elif np.ptp(column if sample_weight is None else column[sample_weight > 0]) == 0:
            scores.append(0.0)  # a constant target: its own best constant, a zero denominator
        else:
            constant = np.full(column.shape, best_constant(loss, column, sample_weight)[0])
            denominator = weighted_mean_loss(loss, column, constant, sample_weight)
            scores.append(0.0 if denominator == 0 else 1 - numerator / denominator)
    return float(np.mean(scores))
