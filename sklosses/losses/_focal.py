"""The sigmoid focal loss (torchvision's), an element-scope binary loss."""

from numbers import Real

import numpy as np
from scipy.special import expit

from .._constraints import Interval
from ._arrays import _softplus
from ._base import Loss


class FocalLoss(Loss):
    """Sigmoid focal loss of ``torchvision.ops.sigmoid_focal_loss``.

    With ``p = expit(raw)``, ``ce`` the binary cross-entropy on logits and
    ``u = 1 - p_t = y (1 - p) + (1 - y) p`` the probability given to the wrong
    class::

        loss = alpha_t * u**gamma * ce,   alpha_t = alpha y + (1 - alpha)(1 - y)

    (``alpha=None`` sets ``alpha_t = 1``). ``gamma=0, alpha=None`` is the log
    loss. Gradient, with ``du/draw = p (1 - p) (1 - 2 y)``::

        alpha_t * (u**gamma * (p - y) + gamma * u**(gamma - 1) * ce * du/draw)

    The smoothness constant is measured on a fine grid of raw predictions (the
    second derivative has no closed-form maximum). Inverse link ``expit``. Not
    convex for ``gamma > 0``.

    Parameters
    ----------
    gamma : float, default=2.0
        The focusing exponent, >= 0: how much the loss of well-classified
        samples is scaled down. 0 gives the (``alpha``-weighted) log loss.
    alpha : float or None, default=None
        The weight of the positive class, in [0, 1] (``1 - alpha`` for the
        negative class); None weighs both classes 1.

    Examples
    --------
    >>> import numpy as np
    >>> FocalLoss(gamma=2.0).loss(np.array([1.0]), np.array([0.0]))
    array([0.1732868])
    """

    task = "binary"
    inverse_link = staticmethod(expit)
    _parameter_constraints = {
        "gamma": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha

    def _alpha_t(self, y_true):
        if self.alpha is None:
            return 1
        return self.alpha * y_true + (1 - self.alpha) * (1 - y_true)

    @property
    def convex(self):
        """Only for ``gamma = 0`` (the weighted log loss): the focusing term makes the
        loss concave on part of the wrong side."""
        return self.gamma == 0

    def loss(self, y_true, raw_prediction):
        cross_entropy = _softplus(raw_prediction) - y_true * raw_prediction
        wrong_probability = y_true * expit(-raw_prediction) + (1 - y_true) * expit(raw_prediction)
        return self._alpha_t(y_true) * wrong_probability**self.gamma * cross_entropy

    def gradient(self, y_true, raw_prediction):
        probability = expit(raw_prediction)
        complement = expit(-raw_prediction)
        cross_entropy = _softplus(raw_prediction) - y_true * raw_prediction
        wrong_probability = y_true * complement + (1 - y_true) * probability
        focusing = wrong_probability**self.gamma
        # p (1 - p) / u, bounded by 1 and 0 where u underflows to 0
        ratio = np.divide(
            probability * complement,
            wrong_probability,
            out=np.zeros_like(probability),
            where=wrong_probability > 0,
        )
        gradient = focusing * (
            (probability - y_true) + self.gamma * cross_entropy * ratio * (1 - 2 * y_true)
        )
        return self._alpha_t(y_true) * gradient

    @property
    def smoothness(self):
        raw = np.linspace(-30, 30, 60001)
        step = raw[1] - raw[0]
        curvature = (
            max(np.abs(np.diff(self.gradient(label, raw))).max() for label in (0.0, 1.0)) / step
        )
        return 1.05 * curvature  # margin for the grid's resolution
