"""Smooth stand-ins for non-differentiable losses: the Moreau envelope.

The full-batch phase of ``fit`` (:mod:`sklosses._engine._full_batch`) minimises with
quasi-Newton steps, which need a continuous gradient. For a convex loss
``l`` without one (absolute, pinball, hinge, epsilon-insensitive) it minimises
the Moreau envelope of width ``mu`` instead::

    l_mu(y, raw) = min_z l(y, z) + (z - raw)**2 / (2 mu)

whose gradient ``(raw - prox(raw)) / mu`` is ``1/mu``-Lipschitz, and which
lies below the loss by at most ``mu G**2 / 2`` (``G`` the largest slope of
the loss). Driving ``mu`` down with warm starts (continuation) approaches the
minimiser of the loss itself, and ``l - l_mu`` at the solution certifies how
close: the objective of the returned model exceeds the minimum by no more than
that gap plus the error of the smooth solve.
"""

import numpy as np

from ._base import Loss


class MoreauEnvelope(Loss):
    """The Moreau envelope of width ``width`` of a convex element-scope loss ``base``.

    ``loss(y, raw) = l(y, z) + (z - raw)**2 / (2 width)`` and ``gradient(y, raw)
    = (raw - z) / width`` with ``l = base`` and ``z = base.proximal(y, raw,
    width)``; smoothness
    ``1 / width``; ``hessian`` from the derivative of the proximal point.

    Parameters
    ----------
    base : Loss
        A convex loss of scope ``"element"`` with a :meth:`~Loss.proximal`
        operator.
    width : float
        The smoothing width ``mu``, > 0: the envelope lies below ``base`` by at
        most ``width G**2 / 2`` (``G`` the largest slope of ``base``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklosses.losses import AbsoluteLoss
    >>> AbsoluteLoss().smoothed(width=1.0).loss(np.zeros(2), np.array([0.5, 3.0]))
    array([0.125, 2.5  ])
    """

    def __init__(self, base, width):
        self.base = base
        self.width = width

    @property
    def task(self):
        return self.base.task

    @property
    def smoothness(self):
        return 1.0 / self.width

    def loss(self, y_true, raw_prediction):
        return self._value(y_true, raw_prediction, self._closest(y_true, raw_prediction))

    def gradient(self, y_true, raw_prediction):
        return self._slope(raw_prediction, self._closest(y_true, raw_prediction))

    def loss_gradient(self, y_true, raw_prediction):
        """The value and the gradient from one proximal point.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        values, gradient : ndarray of shape (n_rows, n_outputs)
        """
        closest = self._closest(y_true, raw_prediction)
        return self._value(y_true, raw_prediction, closest), self._slope(raw_prediction, closest)

    def _closest(self, y_true, raw_prediction):
        return self.base.proximal(y_true, raw_prediction, self.width)

    def _value(self, y_true, raw_prediction, closest):
        """``loss(y, p) + (p - raw)**2 / (2 width)`` at the proximal point ``p``."""
        value = self.base.loss(y_true, closest) + (closest - raw_prediction) ** 2 / (2 * self.width)
        return value.astype(raw_prediction.dtype, copy=False)

    def _slope(self, raw_prediction, closest):
        """``(raw - p) / width`` at the proximal point ``p``."""
        return ((raw_prediction - closest) / self.width).astype(raw_prediction.dtype, copy=False)

    def hessian(self, y_true, raw_prediction):
        """``(1 - d prox / d raw) / width``, the derivative of the proximal point taken by
        central differences (exact for the piecewise-linear proximal operators of the
        non-smooth losses, away from their breakpoints).

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
            In [0, ``1 / width``].
        """
        step = 1e-4 * self.width
        moved = self.base.proximal(y_true, raw_prediction + step, self.width) - self.base.proximal(
            y_true, raw_prediction - step, self.width
        )
        curvature = (1 - moved / (2 * step)) / self.width
        # np.minimum and np.maximum: np.clip's argument checks cost more on small arrays
        curvature = np.minimum(np.maximum(curvature, 0), 1 / self.width)
        return curvature.astype(raw_prediction.dtype, copy=False)
