"""The fraction of a regression loss explained, :math:`D^2`, and its best constant."""

import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.exceptions import UndefinedMetricWarning

from .._validation import check_sample_weight
from ._arrays import checked_loss, raw_prediction, regression_arrays
from ._mean import weighted_mean_loss


def best_constant_loss(loss, y_true, sample_weight):
    """Minimum over constant predictions ``c`` of the weighted mean loss of one output.

    The minimiser of a regression loss over constants is a location statistic
    of ``y_true`` (mean, median, quantile, Huber's M-estimate, ...), so it lies
    in ``[min(y_true), max(y_true)]``, in the units of the predictions (a
    loss with a link gets ``link(c)``): a bounded Brent search to ``1e-12`` of
    that range finds it. The losses whose kinks sit at the data (absolute,
    pinball) attain their minimum at a data point, so the data points next to
    Brent's answer are tried too, which makes the result exact for them.

    This is the denominator of :math:`D^2`, so it is the minimum *value* on
    all the rows; the engine's start-up search for the initial intercept
    (``best_constant``) wants the minimising raw constant instead, on a sample
    of the rows and to a looser tolerance.

    Parameters
    ----------
    loss : Loss
        A checked regression loss.
    y_true : ndarray of shape (n_samples, 1)
        The targets of one output.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative, with a positive sum.

    Returns
    -------
    float
    """

    def objective(constant):
        prediction = np.full(y_true.shape, constant)
        raw = raw_prediction(loss, prediction)
        return weighted_mean_loss(loss, y_true, raw, sample_weight)

    low, high = float(y_true.min()), float(y_true.max())
    if low == high:
        return objective(low)
    result = minimize_scalar(
        objective, bounds=(low, high), method="bounded", options={"xatol": 1e-12 * (high - low)}
    )
    points = np.unique(y_true)
    position = np.searchsorted(points, result.x)
    neighbours = points[np.clip(np.arange(position - 2, position + 2), 0, len(points) - 1)]
    with np.errstate(all="ignore"):  # a data point may sit where the link is infinite
        values = [objective(constant) for constant in np.unique(neighbours)]
    return min([float(result.fun), *(value for value in values if np.isfinite(value))])


def d2_loss_score(loss, y_true, y_pred, *, sample_weight=None):
    r""":math:`D^2`, the fraction of a regression loss explained.

    .. math::

        D^2 = 1 - \frac{\mathrm{mean\_loss}(y, \hat y)}
                       {\min_c \mathrm{mean\_loss}(y, c)},

    with the weighted means of :func:`mean_loss` and the minimum over
    constant predictions ``c`` found numerically (bounded Brent search over
    the range of ``y_true``, refined at the nearest data points). It is
    :func:`sklearn.metrics.r2_score` for ``"squared_error"``,
    :func:`sklearn.metrics.d2_absolute_error_score` for ``"absolute_error"``
    and :func:`sklearn.metrics.d2_pinball_score` for ``QuantileLoss(q)``.
    As in scikit-learn, a perfect prediction scores 1, a zero denominator
    with a non-zero numerator scores 0, fewer than two samples give NaN with
    an ``UndefinedMetricWarning``, and 2-D targets average the scores of the
    outputs.

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
    y_true_2d, raw = regression_arrays(loss, y_true, y_pred)
    sample_weight = check_sample_weight(sample_weight, len(y_true_2d), positive_sum=True)
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
        denominator = best_constant_loss(loss, column, sample_weight)
        if numerator == 0:
            scores.append(1.0)
        elif denominator == 0:
            scores.append(0.0)
        else:
            scores.append(1 - numerator / denominator)
    return float(np.mean(scores))
