"""Asymmetric regression losses that estimate a quantile or an expectile of the target."""

from numbers import Real

import numpy as np

from .._constraints import ArrayOf, Interval, InvalidParameterError
from ._arrays import _kinks
from ._base import Loss


class QuantileLoss(Loss):
    """Pinball loss of the ``quantile`` q; its mean is ``mean_pinball_loss``.

    ``q * max(y - raw, 0) + (1 - q) * max(raw - y, 0)``. Gradient
    ``1 - q`` above the target, ``-q`` below, ``1/2 - q`` at a tie; not smooth.

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile ``q`` to estimate, in (0, 1); 0.5 is half the absolute error
        (the median).

    Examples
    --------
    >>> import numpy as np
    >>> QuantileLoss(quantile=0.9).loss(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0.9, 0.1])
    """

    _parameter_constraints = {"quantile": [Interval(Real, 0, 1, closed="neither")]}

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def loss(self, y_true, raw_prediction):
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        residual = y_true - raw_prediction
        return np.maximum(quantile * residual, (quantile - 1) * residual)

    def gradient(self, y_true, raw_prediction):
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        return 0.5 * np.sign(raw_prediction - y_true) + (0.5 - quantile)

    def proximal(self, y_true, raw_prediction, step):
        """``raw - clip(raw - y, -step q, step (1 - q))``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        step : float
            The step, > 0.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        quantile = np.asarray(self.quantile, dtype=raw_prediction.dtype)
        # np.minimum and np.maximum: np.clip's argument checks cost more on small arrays
        return raw_prediction - np.minimum(
            np.maximum(raw_prediction - y_true, -step * quantile), step * (1 - quantile)
        )

    def kinks(self, y_true):
        """``raw = y``.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (1,)``
        """
        return _kinks(y_true)


class ExpectileLoss(Loss):
    """Asymmetric squared loss of the ``expectile`` tau (Newey & Powell, 1987).

    ``|tau - 1[y < raw]| (y - raw)**2``; ``expectile=0.5`` is half the squared
    error (its minimiser is the mean). Gradient
    ``2 |tau - 1[y < raw]| (raw - y)``, smoothness ``2 max(tau, 1 - tau)``.

    Parameters
    ----------
    expectile : float, default=0.5
        The expectile ``tau`` to estimate, in (0, 1); 0.5 estimates the mean.

    Examples
    --------
    >>> import numpy as np
    >>> ExpectileLoss(expectile=0.9).loss(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0.9, 0.1])
    """

    _parameter_constraints = {"expectile": [Interval(Real, 0, 1, closed="neither")]}

    def __init__(self, expectile=0.5):
        self.expectile = expectile

    def _weight(self, y_true, raw_prediction):
        return np.where(y_true < raw_prediction, 1 - self.expectile, self.expectile)

    def loss(self, y_true, raw_prediction):
        weight = self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)
        return weight * (raw_prediction - y_true) ** 2

    def gradient(self, y_true, raw_prediction):
        weight = self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)
        return 2 * weight * (raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``2 |tau - 1[y < raw]|``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return 2 * self._weight(y_true, raw_prediction).astype(raw_prediction.dtype)

    def kinks(self, y_true):
        """``raw = y``, where the curvature jumps.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (1,)``
        """
        return _kinks(y_true)

    @property
    def smoothness(self):
        return 2 * max(self.expectile, 1 - self.expectile)


class MultiQuantileLoss(QuantileLoss):
    """Pinball losses of several quantiles, quantile ``q_k`` on output column ``k``.

    :class:`QuantileLoss` with a vector of quantiles broadcast over the last
    axis. Used by :class:`~sklosses.intervals.MultiQuantileRegressor` (one
    output per quantile); not in the registry, since it needs
    ``len(quantiles)`` output columns.

    Parameters
    ----------
    quantiles : sequence of float, default=(0.05, 0.5, 0.95)
        The quantiles, one per output column: increasing, each in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> MultiQuantileLoss(quantiles=(0.1, 0.9)).loss(np.ones((1, 2)), np.zeros((1, 2)))
    array([[0.1, 0.9]])
    """

    _parameter_constraints = {"quantiles": [ArrayOf(Interval(Real, 0, 1, closed="neither"))]}

    def __init__(self, quantiles=(0.05, 0.5, 0.95)):
        self.quantiles = quantiles

    @property
    def quantile(self):
        return np.asarray(self.quantiles, dtype=float)

    def validate(self):
        super().validate()
        if np.any(np.diff(self.quantile) <= 0):
            raise InvalidParameterError(
                f"The 'quantiles' parameter of {type(self).__name__} must be increasing. "
                f"Got {self.quantiles!r} instead."
            )
        return self
