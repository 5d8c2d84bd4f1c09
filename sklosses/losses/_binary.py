"""Element-scope binary classification losses, of labels in {0, 1} and a raw decision."""

import numpy as np
from scipy.special import expit

from ._arrays import _capped_exp, _exp_cap, _kinks, _softplus
from ._base import Loss


def _signed(y_true, raw_prediction):
    """Labels in {0, 1} mapped to {-1, +1}, in the dtype of the prediction."""
    return 2 * np.asarray(y_true, dtype=raw_prediction.dtype) - 1


def _margin_kinks(y_true, *margins):
    """Raw predictions at the given margins ``t raw``, ``t = 2 y - 1`` (so ``raw = m t``)."""
    sign = 2 * np.asarray(y_true, dtype=float) - 1
    return _kinks(*(margin * sign for margin in margins))


def _proximal_to_margin(y_true, raw_prediction, step, margin):
    """``raw + step t clip((margin - t raw) / step, 0, 1)``: the proximal point of
    ``max(0, margin - t raw)``, toward the margin by at most ``step``."""
    sign = _signed(y_true, raw_prediction)
    # np.minimum and np.maximum: np.clip's argument checks cost more on small arrays
    reach = np.minimum(np.maximum((margin - sign * raw_prediction) / step, 0), 1)
    return raw_prediction + step * sign * reach


class HingeLoss(Loss):
    """Hinge loss ``max(0, 1 - t * raw)`` with ``t = 2 y - 1`` in {-1, +1}.

    Its mean is ``sklearn.metrics.hinge_loss``. Gradient ``-t`` inside the
    margin, 0 outside; not smooth; no probability estimate.

    >>> import numpy as np
    >>> HingeLoss().loss(np.array([1, 0]), np.array([0.5, -3.0]))
    array([0.5, 0. ])
    """

    task = "binary"

    def loss(self, y_true, raw_prediction):
        return np.maximum(0, 1 - _signed(y_true, raw_prediction) * raw_prediction)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return np.where(sign * raw_prediction < 1, -sign, 0).astype(raw_prediction.dtype)

    def proximal(self, y_true, raw_prediction, step):
        """``raw + step t clip((1 - t raw) / step, 0, 1)``: up to the margin, at most ``step``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        step : float
            The step, > 0.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return _proximal_to_margin(y_true, raw_prediction, step, 1)

    def kinks(self, y_true):
        """The margin ``t raw = 1``: ``raw = t``.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (1,)``
        """
        return _margin_kinks(y_true, 1)


class PerceptronLoss(Loss):
    """scikit-learn's ``"perceptron"``: ``max(0, -t raw)``, ``t = 2 y - 1`` in {-1, +1}.

    The hinge without its margin; gradient ``-t`` where ``t raw <= 0`` (the boundary too,
    as scikit-learn's: a step from zero moves); no probabilities. The zero model has loss
    0, the minimum (alone under a penalty): ``fit`` warns and returns it, or with a fixed
    step (``eta0=1``: scikit-learn's perceptron) the SGD end point; or use the hinge.

    >>> import numpy as np
    >>> PerceptronLoss().loss(np.array([1, 0]), np.array([-0.5, -3.0]))
    array([0.5, 0. ])
    """

    task = "binary"

    def loss(self, y_true, raw_prediction):
        return np.maximum(0, -_signed(y_true, raw_prediction) * raw_prediction)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return np.where(sign * raw_prediction <= 0, -sign, 0).astype(raw_prediction.dtype)

    def proximal(self, y_true, raw_prediction, step):
        return _proximal_to_margin(y_true, raw_prediction, step, 0)

    def kinks(self, y_true):
        return _margin_kinks(y_true, 0)


class LogLoss(Loss):
    """Binary cross-entropy on logits: ``log(1 + exp(raw)) - y * raw``.

    Its mean is ``sklearn.metrics.log_loss`` of ``expit(raw)``. Gradient
    ``expit(raw) - y``, smoothness 1/4, inverse link ``expit``.

    >>> import numpy as np
    >>> LogLoss().loss(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    array([0.69314718, 0.69314718])
    """

    task = "binary"
    smoothness = 0.25
    inverse_link = staticmethod(expit)

    def loss(self, y_true, raw_prediction):
        return _softplus(raw_prediction) - y_true * raw_prediction

    def gradient(self, y_true, raw_prediction):
        return expit(raw_prediction) - y_true

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``p (1 - p)`` with ``p = expit(raw)``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return expit(raw_prediction) * expit(-raw_prediction)


class SquaredHingeLoss(Loss):
    """Squared hinge loss ``max(0, 1 - t raw)**2`` with ``t = 2 y - 1``.

    As scikit-learn's ``"squared_hinge"`` (SGD and ``LinearSVC``). Gradient
    ``-2 t max(0, 1 - t raw)``, smoothness 2; no probability estimate.

    >>> import numpy as np
    >>> SquaredHingeLoss().loss(np.array([1, 0]), np.array([0.5, 2.0]))
    array([0.25, 9.  ])
    """

    task = "binary"
    smoothness = 2.0

    def loss(self, y_true, raw_prediction):
        return np.maximum(0, 1 - _signed(y_true, raw_prediction) * raw_prediction) ** 2

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return -2 * sign * np.maximum(0, 1 - sign * raw_prediction)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: 2 inside the margin, ``t raw < 1``, else 0.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        inside = _signed(y_true, raw_prediction) * raw_prediction < 1
        return 2 * inside.astype(raw_prediction.dtype)

    def kinks(self, y_true):
        """The margin ``t raw = 1``, where the curvature jumps: ``raw = t``.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (1,)``
        """
        return _margin_kinks(y_true, 1)


class ModifiedHuberLoss(Loss):
    """scikit-learn's modified Huber loss, on the margin ``m = t raw``, ``t = 2 y - 1``.

    ``max(0, 1 - m)**2`` for ``m >= -1``, ``-4 m`` below (a quadratically
    smoothed hinge). Gradient ``-2 t max(0, 1 - m)`` for ``m >= -1``, ``-4 t``
    below; smoothness 2. Inverse link ``(clip(raw, -1, 1) + 1) / 2``,
    scikit-learn's probability estimate for this loss.

    >>> import numpy as np
    >>> ModifiedHuberLoss().loss(np.array([1, 1, 1]), np.array([2.0, 0.5, -3.0]))
    array([ 0.  ,  0.25, 12.  ])
    """

    task = "binary"
    smoothness = 2.0

    @staticmethod
    def inverse_link(raw_prediction):
        """scikit-learn's probability estimate, ``(clip(raw, -1, 1) + 1) / 2``.

        Parameters
        ----------
        raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return (np.clip(raw_prediction, -1, 1) + 1) / 2

    def loss(self, y_true, raw_prediction):
        margin = _signed(y_true, raw_prediction) * raw_prediction
        return np.where(margin >= -1, np.maximum(0, 1 - margin) ** 2, -4 * margin)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        margin = sign * raw_prediction
        return np.where(margin >= -1, -2 * sign * np.maximum(0, 1 - margin), -4 * sign)

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: 2 for ``-1 <= t raw < 1``, else 0.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        margin = _signed(y_true, raw_prediction) * raw_prediction
        return 2 * ((margin >= -1) & (margin < 1)).astype(raw_prediction.dtype)

    def kinks(self, y_true):
        """The margins ``t raw = +-1``, where the curvature jumps: ``raw = +-t``.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape ``y_true.shape + (2,)``
        """
        return _margin_kinks(y_true, 1, -1)


class ExponentialLoss(Loss):
    """Exponential loss ``exp(-t raw)``, ``t = 2 y - 1`` (AdaBoost's loss).

    Gradient ``-t exp(-t raw)``. Its population minimiser is half the log-odds,
    so the inverse link (the probability estimate) is ``expit(2 raw)``. No
    global Lipschitz constant: ``smoothness`` is None, as for
    :class:`PoissonLoss`, and ``exp`` is continued linearly in the same way.

    >>> import numpy as np
    >>> ExponentialLoss().loss(np.array([1.0, 0.0]), np.array([0.0, np.log(2.0)]))
    array([1., 2.])
    """

    task = "binary"

    @staticmethod
    def inverse_link(raw_prediction):
        """The probability estimate ``expit(2 raw)``.

        Parameters
        ----------
        raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        return expit(2 * raw_prediction)

    differentiable = True

    def loss(self, y_true, raw_prediction):
        return _capped_exp(-_signed(y_true, raw_prediction) * raw_prediction)

    def gradient(self, y_true, raw_prediction):
        sign = _signed(y_true, raw_prediction)
        return -sign * np.exp(np.minimum(-sign * raw_prediction, _exp_cap(raw_prediction)))

    def hessian(self, y_true, raw_prediction):
        """Second derivative in the raw prediction: ``exp(-t raw)`` (0 where exp turns linear).

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        exponent = -_signed(y_true, raw_prediction) * raw_prediction
        cap = _exp_cap(raw_prediction)
        return np.where(exponent <= cap, np.exp(np.minimum(exponent, cap)), 0)
