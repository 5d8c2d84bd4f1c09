"""Element-scope regression losses of a residual or of a count: squared, absolute, Huber,
log-cosh, (squared) epsilon-insensitive, Poisson."""

import math
from numbers import Real

import numpy as np
from scipy.special import xlogy

from .._constraints import Interval
from ._arrays import _capped_exp, _exp_cap, _kinks
from ._base import Loss


def _either_side(y_true, width):
    """Kinks at ``y - width`` and ``y + width``."""
    return _kinks(np.subtract(y_true, width), np.add(y_true, width))


class SquaredLoss(Loss):
    """Squared error ``(y - raw)**2``; its mean is the MSE.

    Gradient ``2 (raw - y)``, smoothness 2, quadratic.

    >>> import numpy as np
    >>> SquaredLoss().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 4.])
    """

    smoothness = 2.0
    quadratic = True

    def loss(self, y_true, raw_prediction):
        return (raw_prediction - y_true) ** 2

    def gradient(self, y_true, raw_prediction):
        return 2 * (raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``2``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return np.full_like(raw_prediction, 2.0)

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The best constant in closed form: the weighted mean of each target column.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        return np.average(y_true, axis=0, weights=sample_weight)


class AbsoluteLoss(Loss):
    """Absolute error ``|y - raw|``; its mean is the MAE.

    Gradient ``sign(raw - y)`` (0 at a tie); not smooth.

    >>> import numpy as np
    >>> AbsoluteLoss().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 2.])
    """

    def loss(self, y_true, raw_prediction):
        return np.abs(raw_prediction - y_true)

    def gradient(self, y_true, raw_prediction):
        return np.sign(raw_prediction - y_true)

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

    def proximal(self, y_true, raw_prediction, step):
        """Soft thresholding of the residual: ``raw - clip(raw - y, -step, step)``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        step : float
            The step, > 0.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        # np.minimum and np.maximum: np.clip's argument checks cost more on small arrays
        return raw_prediction - np.minimum(np.maximum(raw_prediction - y_true, -step), step)


class HuberLoss(Loss):
    """Huber loss with threshold ``delta`` on the residual ``r = y - raw``.

    ``r**2 / 2`` if ``|r| <= delta``, else ``delta * (|r| - delta / 2)``
    (as ``torch.nn.HuberLoss``). Gradient ``clip(raw - y, -delta, delta)``,
    smoothness 1.

    Parameters
    ----------
    delta : float, default=1.0
        The threshold on ``|r|`` between the quadratic and the linear parts, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> HuberLoss(delta=1.0).loss(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
    array([0.125, 2.5  ])
    """

    smoothness = 1.0
    sklearn_epsilon_parameter = "delta"
    _parameter_constraints = {"delta": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, delta=1.0):
        self.delta = delta

    def loss(self, y_true, raw_prediction):
        abs_residual = np.abs(raw_prediction - y_true)
        quadratic = np.minimum(abs_residual, self.delta)
        return quadratic * (abs_residual - quadratic / 2)

    def gradient(self, y_true, raw_prediction):
        # np.minimum and np.maximum: np.clip's argument checks cost more on small arrays
        return np.minimum(np.maximum(raw_prediction - y_true, -self.delta), self.delta)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: 1 where ``|raw - y| <= delta``, else 0.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return (np.abs(raw_prediction - y_true) <= self.delta).astype(
            np.asarray(raw_prediction).dtype
        )

    def proximal(self, y_true, raw_prediction, step):
        """``y + r / (1 + step)`` for a residual ``r = raw - y`` with ``|r| <= delta (1 +
        step)``, else ``raw - step delta sign(r)``: the band's and the tails' minimisers.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        step : float
            The step, > 0.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        residual = np.asarray(raw_prediction, dtype=np.float64) - y_true
        inside = np.abs(residual) <= self.delta * (1 + step)
        tail = raw_prediction - step * self.delta * np.sign(residual)
        return np.where(inside, y_true + residual / (1 + step), tail)

    def kinks(self, y_true):
        """``raw = y -+ delta``, where the curvature jumps.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (2,)``
        """
        return _either_side(y_true, self.delta)


class LogCoshLoss(Loss):
    """Log-cosh loss ``log(cosh(raw - y))``.

    Quadratic (``r**2 / 2``) near zero and linear (``|r| - log 2``) in the
    tails. Computed as ``log1p(sinh(r)**2) / 2`` for ``|r| < 1`` (accurate for
    small residuals) and ``|r| + log1p(exp(-2 |r|)) - log 2`` otherwise (no
    overflow). Gradient ``tanh(raw - y)``, smoothness 1.

    >>> import numpy as np
    >>> LogCoshLoss().loss(np.array([0.0, 0.0]), np.array([0.0, 2.0]))
    array([0.        , 1.32500275])
    """

    smoothness = 1.0

    def loss(self, y_true, raw_prediction):
        residual = np.abs(raw_prediction - y_true)
        near = 0.5 * np.log1p(np.sinh(np.minimum(residual, 1)) ** 2)
        far = residual + np.log1p(np.exp(-2 * residual)) - math.log(2)
        return np.where(residual < 1, near, far)

    def gradient(self, y_true, raw_prediction):
        return np.tanh(raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``1 - tanh(raw - y)**2``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return 1 - np.tanh(raw_prediction - y_true) ** 2


class _EpsilonTube(Loss):
    """Losses of the distance of the residual from the tube ``|raw - y| <= epsilon``,
    whose edges ``raw = y -+ epsilon`` are their kinks."""

    _parameter_constraints = {"epsilon": [Interval(Real, 0, None, closed="left")]}
    sklearn_epsilon_parameter = "epsilon"

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def kinks(self, y_true):
        return _either_side(y_true, self.epsilon)


class EpsilonInsensitiveLoss(_EpsilonTube):
    """Epsilon-insensitive loss ``max(0, |y - raw| - epsilon)`` (linear SVR).

    As scikit-learn's SGD ``"epsilon_insensitive"``. Gradient
    ``sign(raw - y)`` outside the tube, 0 inside; not smooth.

    Parameters
    ----------
    epsilon : float, default=0.1
        The half-width of the tube of residuals that cost nothing, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> EpsilonInsensitiveLoss(epsilon=0.5).loss(np.array([0.0, 0.0]), np.array([0.2, -2.0]))
    array([0. , 1.5])
    """

    def loss(self, y_true, raw_prediction):
        return np.maximum(np.abs(raw_prediction - y_true) - self.epsilon, 0)

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return np.where(np.abs(residual) > self.epsilon, np.sign(residual), 0).astype(
            raw_prediction.dtype
        )

    def proximal(self, y_true, raw_prediction, step):
        """Soft thresholding of the residual beyond the tube, by at most ``step``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        step : float
            The step, > 0.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        residual = raw_prediction - y_true
        excess = np.minimum(np.maximum(np.abs(residual) - self.epsilon, 0), step)  # no np.clip
        return raw_prediction - np.sign(residual) * excess


class SquaredEpsilonInsensitiveLoss(_EpsilonTube):
    """Squared epsilon-insensitive loss ``max(0, |y - raw| - epsilon)**2``.

    As scikit-learn's SGD ``"squared_epsilon_insensitive"``. Gradient
    ``2 sign(raw - y) max(0, |raw - y| - epsilon)``, smoothness 2.

    Parameters
    ----------
    epsilon : float, default=0.1
        The half-width of the tube of residuals that cost nothing, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> SquaredEpsilonInsensitiveLoss(epsilon=0.5).loss(np.array([0.0, 0.0]),
    ...                                                 np.array([0.2, -2.0]))
    array([0.  , 2.25])
    """

    smoothness = 2.0

    def loss(self, y_true, raw_prediction):
        return np.maximum(np.abs(raw_prediction - y_true) - self.epsilon, 0) ** 2

    def gradient(self, y_true, raw_prediction):
        residual = raw_prediction - y_true
        return 2 * np.sign(residual) * np.maximum(np.abs(residual) - self.epsilon, 0)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: 2 outside the tube, 0 inside.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        outside = np.abs(raw_prediction - y_true) > self.epsilon
        return 2 * outside.astype(raw_prediction.dtype)


class PoissonLoss(Loss):
    """Poisson deviance with a log link; its mean is ``mean_poisson_deviance``.

    With ``mu = exp(raw)``: ``2 (y log(y / mu) - y + mu)``, where
    ``y log y = 0`` at ``y = 0``; the Poisson negative log-likelihood up to
    terms in ``y`` alone, times 2. Gradient ``2 (exp(raw) - y)``. ``predict``
    returns the mean ``exp(raw)`` (``inverse_link``); targets must be
    non-negative (``check_target``).

    The gradient has no global Lipschitz constant, so ``smoothness`` is None
    and the automatic step size treats the loss as non-smooth (its length
    scale at the best constant sets the step, which then decays as
    ``1/sqrt(epoch)``). ``exp(raw)`` is continued linearly beyond raw = 496.9
    (62.1 in float32): finite values, without warnings, for raw up to 1e90
    (1e11 in float32).

    >>> import numpy as np
    >>> PoissonLoss().loss(np.array([0.0, 2.0]), np.array([0.0, np.log(2.0)]))
    array([2., 0.])
    """

    inverse_link = staticmethod(np.exp)
    link = staticmethod(np.log)

    def check_target(self, y_true):
        if np.any(np.asarray(y_true) < 0):
            raise ValueError(
                "PoissonLoss needs non-negative targets (counts or rates); "
                "y contains negative values."
            )

    differentiable = True

    def loss(self, y_true, raw_prediction):
        return 2 * (
            xlogy(y_true, y_true) - y_true * (raw_prediction + 1) + _capped_exp(raw_prediction)
        )

    def gradient(self, y_true, raw_prediction):
        return 2 * (np.exp(np.minimum(raw_prediction, _exp_cap(raw_prediction))) - y_true)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``2 exp(raw)`` (0 where exp turns linear).

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        cap = _exp_cap(raw_prediction)
        return 2 * np.where(raw_prediction <= cap, np.exp(np.minimum(raw_prediction, cap)), 0)
