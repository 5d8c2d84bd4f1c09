"""Sample-scope multiclass losses: one value per sample, coupling the class scores."""

from numbers import Real

import numpy as np

from .._constraints import ArrayOf, Interval
from ._base import Loss
from ._focal import FocalLoss


def _softmax(raw):
    """Row-wise softmax over the last axis (the classes).

    The inverse link of the multiclass losses.

    Parameters
    ----------
    raw : ndarray of shape (n_rows, n_classes)
        The class scores.

    Returns
    -------
    ndarray of shape (n_rows, n_classes)
        The class probabilities; each row sums to 1.
    """
    # shifted by the largest score, so that nothing overflows; in numpy, as scipy's
    # softmax costs four times as much on the small arrays of a fit's passes
    exp = np.exp(raw - raw.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def _logsumexp(raw):
    """``log sum_k exp(raw_k)`` over the last axis, kept as an axis of length 1 (shifted
    and in numpy, as :func:`_softmax`)."""
    largest = raw.max(axis=-1, keepdims=True)
    return largest + np.log(np.exp(raw - largest).sum(axis=-1, keepdims=True))


class MultinomialLogLoss(Loss):
    """Softmax cross-entropy over the classes: ``logsumexp(raw) - sum_k y_k raw_k``.

    ``y_true`` is one-hot or a row of class probabilities (soft labels: the
    loss is then the KL divergence from the targets plus their entropy). The
    classes are coupled: one value per sample (shape ``(..., 1)``). Gradient
    ``softmax(raw) - y``; the Hessian ``diag(p) - p p^T`` has spectral norm at
    most 1/2, the smoothness. Inverse link: softmax.

    >>> import numpy as np
    >>> MultinomialLogLoss().loss(np.array([[1.0, 0.0, 0.0]]), np.zeros((1, 3)))
    array([[1.09861229]])
    """

    task = "multiclass"
    scope = "sample"
    smoothness = 0.5
    inverse_link = staticmethod(_softmax)

    def loss(self, y_true, raw_prediction):
        return _logsumexp(raw_prediction) - (y_true * raw_prediction).sum(axis=-1, keepdims=True)

    def gradient(self, y_true, raw_prediction):
        return _softmax(raw_prediction) - y_true

    def loss_gradient(self, y_true, raw_prediction):
        """The value and the gradient from one set of shifted exponentials.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_classes)

        Returns
        -------
        values : ndarray of shape (n_rows, 1)
            As :meth:`loss`.
        gradient : ndarray of shape (n_rows, n_classes)
            As :meth:`gradient`.
        """
        largest = raw_prediction.max(axis=-1, keepdims=True)
        exp = np.exp(raw_prediction - largest)
        total = exp.sum(axis=-1, keepdims=True)
        values = largest + np.log(total) - (y_true * raw_prediction).sum(axis=-1, keepdims=True)
        return values, exp / total - y_true

    def coupled_hessian(self, y_true, raw_prediction):
        """``s (diag(p) - p p^T)`` per row, ``p = softmax(raw)``, ``s`` the row's target sum.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_classes)

        Returns
        -------
        ndarray of shape (n_rows, n_classes, n_classes)
        """
        probability = _softmax(raw_prediction)
        scaled = probability * np.sum(y_true, axis=1, keepdims=True)
        curvature = scaled[:, :, None] * -probability[:, None, :]
        n_classes = probability.shape[1]
        curvature.reshape(len(curvature), -1)[:, :: n_classes + 1] += scaled  # the diagonals
        return curvature

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """The log class frequencies, the minimising constant in closed form; a class
        rarer than ``h = 0.5 / (n + 1)`` (absent from ``y_true``) starts at the rate
        ``h``, the others share the rest, so that every logit starts finite.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_classes)
            One-hot rows or class probabilities.
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_classes,)
        """
        frequencies = np.average(y_true, axis=0, weights=sample_weight)
        floor = 0.5 / (len(y_true) + 1)
        rare = frequencies < floor
        rates = np.where(
            rare, floor, frequencies * (1 - floor * rare.sum()) / frequencies[~rare].sum()
        )
        return np.log(rates)


class SoftmaxFocalLoss(Loss):
    """Focal loss over softmax probabilities: ``-sum_k a_k y_k (1 - p_k)**gamma log p_k``.

    ``p = softmax(raw)``, ``a = alpha`` (one weight per class) or 1. With
    ``c_k = -a_k y_k (1 - p_k)**gamma (1 + gamma p_k (-log p_k) / (1 - p_k))``
    the gradient is ``c - p sum_k c_k``; ``gamma=0, alpha=None`` is
    :class:`MultinomialLogLoss`. Smoothness: twice the two-class bound, i.e.
    2 max(a) times the sigmoid focal loss's (exact for two classes, where the
    loss is a function of ``raw_1 - raw_0``). Inverse link: softmax. Not convex
    for ``gamma > 0``.

    Parameters
    ----------
    gamma : float, default=2.0
        The focusing exponent, >= 0; 0 (with ``alpha=None``) gives the
        multinomial log loss.
    alpha : array-like of shape (n_classes,) or None, default=None
        One weight in [0, 1] per class; None weighs every class 1.

    Examples
    --------
    >>> import numpy as np
    >>> SoftmaxFocalLoss(gamma=0.0).loss(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
    array([[0.69314718]])
    """

    task = "multiclass"
    scope = "sample"
    inverse_link = staticmethod(_softmax)

    _parameter_constraints = {
        "gamma": FocalLoss._parameter_constraints["gamma"],
        "alpha": [ArrayOf(Interval(Real, 0, 1, closed="both")), None],
    }

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha

    def check_target(self, y_true):
        """Refuse targets whose number of classes (columns) is not ``len(alpha)``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_classes)
            One-hot rows or class probabilities.
        """
        n_classes = np.shape(y_true)[-1]
        if self.alpha is not None and len(self.alpha) != n_classes:
            raise ValueError(
                f"The 'alpha' parameter of {type(self).__name__} has {len(self.alpha)} "
                f"weights, but the targets have {n_classes} classes: give one weight per "
                "class (in the order of classes_)."
            )

    convex = FocalLoss.convex  # only for gamma = 0, the multinomial log loss

    def _terms(self, y_true, raw_prediction):
        shifted = raw_prediction - raw_prediction.max(axis=-1, keepdims=True)  # exact in fp
        log_probability = shifted - _logsumexp(shifted)
        probability = np.exp(log_probability)
        wrong = -np.expm1(log_probability)  # 1 - p, accurate near p = 1
        weight = (
            y_true
            if self.alpha is None
            else y_true * np.asarray(self.alpha, dtype=raw_prediction.dtype)
        )
        return log_probability, probability, wrong, weight

    def loss(self, y_true, raw_prediction):
        log_probability, _, wrong, weight = self._terms(y_true, raw_prediction)
        return (weight * wrong**self.gamma * -log_probability).sum(axis=-1, keepdims=True)

    def gradient(self, y_true, raw_prediction):
        log_probability, probability, wrong, weight = self._terms(y_true, raw_prediction)
        # p (-log p) / (1 - p), which tends to 1 as p -> 1
        ratio = np.divide(
            probability * -log_probability, wrong, out=np.ones_like(probability), where=wrong > 0
        )
        c = -weight * wrong**self.gamma * (1 + self.gamma * ratio)
        return c - probability * c.sum(axis=-1, keepdims=True)

    @property
    def smoothness(self):
        largest_weight = 1.0 if self.alpha is None else float(np.max(self.alpha))
        return 2 * largest_weight * FocalLoss(gamma=self.gamma).smoothness
