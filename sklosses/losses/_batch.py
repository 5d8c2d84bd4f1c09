"""Batch-level losses: one statistic of a whole set of rows (soft Dice), with their own
contract, :class:`BatchLoss`."""

from numbers import Real

import numpy as np
from scipy.special import expit, logit

from .._constraints import Interval
from ._arrays import _column_sums, _weight_column
from ._base import Loss


def _weights(sample_weight, raw_prediction):
    """The sample weights (ones for None) broadcast to ``raw_prediction``, in its dtype."""
    if sample_weight is None:
        return np.ones_like(raw_prediction)
    weight = np.asarray(_weight_column(sample_weight, raw_prediction), dtype=raw_prediction.dtype)
    return np.broadcast_to(weight, raw_prediction.shape)


def _total_weight(sample_weight, raw_prediction):
    """``S = sum_i s_i`` (the number of rows for None), in the dtype of the prediction."""
    if sample_weight is None:
        columns = raw_prediction.shape[-1] if raw_prediction.ndim > 1 else 1
        return raw_prediction.dtype.type(raw_prediction.size // columns)
    return raw_prediction.dtype.type(np.sum(sample_weight))


_NO_PER_ROW_VALUES = (
    "{} is a batch-level loss: it has no per-sample values. Use batch_loss / "
    "batch_gradient, or weighted_sums / weighted_gradient."
)


class BatchLoss(Loss):
    r"""Base class of batch-level losses: one value of a whole set of rows per output.

    A batch-level loss ``L`` (e.g. soft Dice) is not a sum over samples: it sees
    all the rows of a batch (an evaluation set, a mini-batch) with their weights
    and returns one value per output column. A subclass implements

    * ``batch_loss(y_true, raw_prediction, sample_weight=None, groups=None)``:
      ``L`` of the rows, shape ``(n_outputs,)``;
    * ``batch_gradient(y_true, raw_prediction, sample_weight=None,
      groups=None)``: its gradient ``dL / draw_ik``, shaped like
      ``raw_prediction`` (no scaling by the number of rows).

    Both take ``y_true`` and ``raw_prediction`` of shape ``(n_rows, n_outputs)``,
    ``sample_weight`` of shape ``(n_rows,)`` or None, and ``groups``, the group
    (query) of each row, or None (a loss that ``needs_groups`` then sees one
    group; others ignore it). A scaling of the
    weights should not change ``L``, so that weights of any total give the same
    value. The framework methods weight the batch value by the total weight
    ``S = sum_i s_i`` (the number of rows for None), as the sums of a
    per-sample loss are:

    .. math::

        \mathrm{weighted\_sums} = S \, L, \qquad
        \mathrm{weighted\_gradient}_{ik} = S \, \partial L / \partial r_{ik},

    so the engine's objective of a mini-batch, its weighted sums over ``S``,
    is ``L`` of that batch, and :func:`~sklosses.metrics.mean_loss` of a set
    is ``L`` of the whole set.

    A batch statistic has no per-sample values: ``loss`` and ``gradient``
    raise ``TypeError`` (weighting per-row copies of the batch value is the
    mistake this contract removes); callers use ``weighted_sums`` and
    ``weighted_gradient``, or ``batch_loss`` and ``batch_gradient``.
    """

    scope = "batch"

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """The value of the loss on these rows, one per output column.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            The targets and raw predictions of the rows.
        sample_weight : ndarray of shape (n_rows,), default=None
            The weights ``s``; None weighs every row 1. Scaling them leaves the
            value unchanged.
        groups : ndarray of shape (n_rows,), default=None
            The group (query) of each row, for a loss that ``needs_groups`` (None:
            one group); ignored by the others.

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        raise NotImplementedError

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """The gradient of :meth:`batch_loss` in each raw prediction, shaped like it.

        No scaling by the number of rows: ``dL / draw_ik`` itself.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            As for :meth:`batch_loss`.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        raise NotImplementedError

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """``S * batch_loss``: the batch value weighted by the total weight ``S``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
            The weights; ``S`` is their sum (the number of rows for None).
        groups : ndarray of shape (n_rows,), default=None
            As for :meth:`batch_loss`.

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        raw = np.asarray(raw_prediction)
        total = _total_weight(sample_weight, raw)
        return total * self.batch_loss(y_true, raw, sample_weight, groups)

    def weighted_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """``S * batch_gradient``: the gradient of :meth:`weighted_sums`.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            As for :meth:`weighted_sums`.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        raw = np.asarray(raw_prediction)
        total = _total_weight(sample_weight, raw)
        return total * self.batch_gradient(y_true, raw, sample_weight, groups)

    def weighted_sums_and_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """``(weighted_sums(...), weighted_gradient(...))``: a batch statistic has no
        per-sample values to share between them.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            As for :meth:`weighted_sums`.

        Returns
        -------
        sums : ndarray of shape (n_outputs,)
        gradient : ndarray of shape (n_rows, n_outputs)
        """
        return (
            self.weighted_sums(y_true, raw_prediction, sample_weight, groups),
            self.weighted_gradient(y_true, raw_prediction, sample_weight, groups),
        )

    def loss(self, y_true, raw_prediction):
        """Not defined: a batch statistic has no per-sample values.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Raises
        ------
        TypeError
            Always: use :meth:`batch_loss` or :meth:`weighted_sums`.
        """
        raise TypeError(_NO_PER_ROW_VALUES.format(type(self).__name__))

    def gradient(self, y_true, raw_prediction):
        """Not defined: a batch statistic has no per-sample gradients.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)

        Raises
        ------
        TypeError
            Always: use :meth:`batch_gradient` or :meth:`weighted_gradient`.
        """
        raise TypeError(_NO_PER_ROW_VALUES.format(type(self).__name__))


class DiceLoss(BatchLoss):
    r"""Soft Dice loss of a batch, for imbalanced binary classification.

    With ``p = expit(raw)``, sample weights ``s`` (all ones by default) and
    sums over the rows of the batch, for each output column::

        D = 1 - N / M,   N = 2 sum s p y + smooth sum s,
                         M = sum s p + sum s y + smooth sum s

    Unweighted, this is the textbook soft Dice ``1 - (2 sum p y + k) / (sum p
    + sum y + k)`` with smoothing ``k = smooth * n``: taken per sample, so
    that the batch size and a scaling of the weights do not change it, and
    integer weights equal repeated samples. ``D`` is in [0, 1]; for 0/1
    predictions (and ``smooth -> 0``) it is ``1 - F1``: training on it aims
    at the F1 score of a rare positive class.

    ``D`` is a statistic of the batch, not a sum over samples
    (:class:`BatchLoss`): ``batch_loss`` returns ``D`` of each output column
    and ``batch_gradient`` its derivative

    .. math::

        \partial D / \partial r_i = s_i \, (N - 2 y_i M) \, p_i (1 - p_i) / M^2.

    The engine weights a mini-batch's ``D`` by its total weight, so SGD
    minimises the mean Dice of its mini-batches (larger batches come closer
    to the Dice of all the data), and :func:`~sklosses.metrics.mean_loss`
    gives the weighted Dice of the evaluation set. ``sample_weight`` and
    ``class_weight`` act inside the sums, and rows of weight 0 (e.g. those
    held out by ``early_stopping``) do not count.

    The curvature grows without bound as a batch's positive mass shrinks, so
    ``smoothness`` is None; the loss is not convex. The constant minimising
    ``D`` saturates the sigmoid (all positive, or all negative for a large
    ``smooth``), where the gradient vanishes: training starts instead from
    the log-odds of the weighted positive rate, clipped to [1e-3, 1 - 1e-3]
    (``initial_raw_prediction``). Inverse link ``expit``: the soft
    predictions the loss is computed from, not calibrated probabilities.

    Parameters
    ----------
    smooth : float, default=1e-3
        Smoothing per unit weight, > 0. Keep it well below the positive rate:
        on batches without positives ``D = sum s p / (sum s p + smooth sum
        s)``, which pushes the mean ``p`` down to about ``smooth``.

    Examples
    --------
    >>> import numpy as np
    >>> DiceLoss().batch_loss(np.array([[1.0], [0.0], [0.0]]), np.array([[2.0], [-2.0], [0.0]]))
    array([0.29500833])
    """

    task = "binary"
    convex = False
    inverse_link = staticmethod(expit)

    _parameter_constraints = {"smooth": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, smooth=1e-3):
        self.smooth = smooth

    def _parts(self, y_true, raw_prediction, sample_weight):
        """``p``, ``1 - p``, targets and weights shaped like ``raw_prediction``, and
        the sums ``N`` and ``M`` of each output column."""
        raw = np.asarray(raw_prediction)
        y_true = np.asarray(y_true, dtype=raw.dtype)
        weight = _weights(sample_weight, raw)
        probability, complement = expit(raw), expit(-raw)
        smoothing = raw.dtype.type(self.smooth) * _column_sums(weight)
        numerator = 2 * _column_sums(weight * probability * y_true) + smoothing
        denominator = _column_sums(weight * (probability + y_true)) + smoothing
        return probability, complement, y_true, weight, numerator, denominator

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        probability, complement, y_true, weight, _, denominator = self._parts(
            y_true, raw_prediction, sample_weight
        )
        # M - N = sum s (p (1 - y) + (1 - p) y): no cancellation when N is close to M
        wrong = _column_sums(weight * (probability * (1 - y_true) + complement * y_true))
        return np.divide(wrong, denominator, out=np.zeros_like(denominator), where=denominator > 0)

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        probability, complement, y_true, weight, numerator, denominator = self._parts(
            y_true, raw_prediction, sample_weight
        )
        defined = denominator > 0  # only not for zero total weight (or smooth = 0)
        safe = np.where(defined, denominator, 1)
        scale = np.where(defined, 1 / safe, 0) / safe
        return weight * scale * (numerator - 2 * y_true * denominator) * probability * complement

    def initial_raw_prediction(self, y_true, sample_weight=None):
        targets = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        if sample_weight is not None and not np.sum(sample_weight) > 0:
            sample_weight = None
        rate = np.average(targets, axis=0, weights=sample_weight)
        return logit(np.clip(rate, 1e-3, 1 - 1e-3))
