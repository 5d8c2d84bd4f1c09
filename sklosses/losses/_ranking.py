r"""Ranking losses: they compare the scores of rows of the same group (query).

A ranking loss is a batch-level loss (:class:`~sklosses.losses.BatchLoss`) that
``needs_groups``: the engine builds its mini-batches from whole groups and hands
it the group of each row. ``y`` is the graded relevance of a row within its
group, the raw prediction its score; only differences of scores within a group
matter, so a constant shift (the intercept) changes nothing.

Pairwise losses sum a pair loss :math:`\phi` over the pairs of rows of a group
with different relevance, the more relevant row first,

.. math::

    L = \frac{1}{S} \sum_{q} \sum_{i, j \in q,\ y_i > y_j}
        \sqrt{s_i s_j} \, \phi(f_i - f_j),

with ``s`` the sample weights and ``S`` their total, so that the engine's
objective ``weighted_sums / n`` is the pairs' loss per row. A pair weighs the
geometric mean of its rows' weights: a query of rows of weight ``w`` weighs
``w`` (as scikit-learn's per-query weights of ``ndcg_score``), a scaling of all
the weights leaves ``L`` unchanged, and a row of weight 0 is in no pair. With the hinge,
:math:`\phi(d) = \max(0, 1 - d)`, the minimiser of ``L + alpha / 2 |w|^2`` is
RankSVM's (``LinearSVC`` on the differences ``x_i - x_j`` of the pairs, with
``C = 1 / (alpha n)``).
"""

import hashlib
from collections import OrderedDict
from numbers import Integral

import numpy as np

from .._constraints import Interval
from ._base import Loss
from ._batch import BatchLoss, _total_weight
from ._binary import HingeLoss, LogLoss


def _group_starts(groups):
    """Rows in group order (stable), and where each group starts in that order."""
    groups = np.asarray(groups).reshape(-1)
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts, np.diff(np.r_[starts, len(groups)])


def _sampled_pairs(size, n_pairs, seed):
    """``n_pairs`` distinct-row pairs of a group of ``size`` rows, drawn uniformly."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, size, n_pairs)
    second = (first + rng.integers(1, size, n_pairs)) % size
    return first, second


_PAIRS_CACHE = OrderedDict()
"""The pairs of the last few ``(relevances, groups)`` seen: the full-batch phase asks
for the same chunks' pairs at every pass, for the value and again for the gradient."""
_PAIRS_CACHE_SIZE = 16


def _ordered_pairs(y_true, groups, max_pairs_per_group):
    """The pairs ``(hi, lo)`` of rows of one group with ``y[hi] > y[lo]``, and the weight
    of each pair's term: 1, or, in a group whose pairs are sampled, the number of its
    pairs over the number sampled (so that sums estimate the sums over all pairs)."""
    relevance = np.asarray(y_true, dtype=np.float64).reshape(-1)
    groups = np.zeros(len(relevance)) if groups is None else np.asarray(groups).reshape(-1)
    digest = hashlib.blake2b(relevance.tobytes(), digest_size=16)
    digest.update(np.ascontiguousarray(groups).tobytes())
    key = (digest.digest(), groups.dtype.str, max_pairs_per_group)
    if key not in _PAIRS_CACHE:
        _PAIRS_CACHE[key] = _find_pairs(relevance, groups, max_pairs_per_group)
        if len(_PAIRS_CACHE) > _PAIRS_CACHE_SIZE:
            _PAIRS_CACHE.popitem(last=False)
    _PAIRS_CACHE.move_to_end(key)
    return _PAIRS_CACHE[key]


def _find_pairs(relevance, groups, max_pairs_per_group):
    """:func:`_ordered_pairs` without the cache."""
    order, starts, sizes = _group_starts(groups)
    firsts, seconds, scales = [], [], []
    for size in np.unique(sizes[sizes > 1]):
        group_starts = starts[sizes == size]
        n_pairs = size * (size - 1) // 2
        if max_pairs_per_group is None or n_pairs <= max_pairs_per_group:
            first, second = np.triu_indices(size, 1)
            scale = 1.0
        else:
            first, second = _sampled_pairs(size, max_pairs_per_group, seed=size)
            scale = n_pairs / max_pairs_per_group
        firsts.append(order[group_starts[:, None] + first].ravel())
        seconds.append(order[group_starts[:, None] + second].ravel())
        scales.append(np.full(len(group_starts) * len(first), scale))
    if not firsts:
        return np.empty(0, dtype=int), np.empty(0, dtype=int), np.empty(0)
    first, second, scale = map(np.concatenate, (firsts, seconds, scales))
    above = relevance[first] > relevance[second]
    keep = above | (relevance[second] > relevance[first])
    hi = np.where(above, first, second)[keep]
    lo = np.where(above, second, first)[keep]
    return hi, lo, scale[keep]


class RankingLoss(BatchLoss):
    """Base class of the ranking losses: sums over the groups of a batch.

    A subclass implements ``weighted_sums`` and ``weighted_gradient`` (the
    weighted totals over the groups of the rows given); the batch value is that
    total over the total weight ``S``.
    """

    task = "ranking"
    needs_groups = True

    def initial_raw_prediction(self, y_true, sample_weight=None):
        """Zero: only differences of scores within a group matter.

        Parameters
        ----------
        y_true : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        return np.zeros(np.asarray(y_true).reshape(len(y_true), -1).shape[1])

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        total = _total_weight(sample_weight, np.asarray(raw_prediction))
        return self.weighted_sums(y_true, raw_prediction, sample_weight, groups) / total

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        total = _total_weight(sample_weight, np.asarray(raw_prediction))
        return self.weighted_gradient(y_true, raw_prediction, sample_weight, groups) / total


class PairwiseLoss(RankingLoss):
    r"""A pair loss :math:`\phi` summed over the ordered pairs of each group.

    See the module docstring for the value. ``pair_loss`` is a binary loss
    applied to the score difference ``d = f_hi - f_lo`` as a margin (label 1):
    :class:`HingeLoss` gives RankSVM, :class:`LogLoss` RankNet. The gradient
    is :math:`\phi'(d)` on the more relevant row and :math:`-\phi'(d)` on the
    other, weighted like the value. There is no global ``smoothness``: the
    curvature in a row's score grows with the number of pairs it is in (the
    engine measures it at the start of training). Each output column is ranked
    on its own.

    Parameters
    ----------
    pair_loss : Loss
        An element-scope binary loss, evaluated at label 1 on the score
        differences.
    max_pairs_per_group : int or None, default=10000
        A group with more pairs than this (more than ~141 rows) has that many
        pairs drawn uniformly at random (with a seed fixed by the group's size,
        so a batch always gets the same draw), each weighted by the number of
        its pairs over the number drawn: an unbiased estimate of the sum over
        all pairs. None: every pair.

    Examples
    --------
    >>> import numpy as np
    >>> loss = PairwiseLoss(HingeLoss())
    >>> y, scores = np.array([[2.0], [1.0], [0.0]]), np.array([[0.5], [0.0], [0.2]])
    >>> loss.weighted_sums(y, scores, groups=np.array([7, 7, 7]))  # (1-.5) + (1-.3) + (1+.2)
    array([2.4])
    """

    _parameter_constraints = {
        "pair_loss": [Loss],
        "max_pairs_per_group": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, pair_loss, max_pairs_per_group=10000):
        self.pair_loss = pair_loss
        self.max_pairs_per_group = max_pairs_per_group

    def validate(self):
        super().validate()
        self.pair_loss.validate()
        return self

    @property
    def differentiable(self):
        return self.pair_loss.differentiable

    @property
    def convex(self):
        return self.pair_loss.convex

    def _columns(self, y_true, raw_prediction, sample_weight, groups):
        """For each output column: the pairs ``(hi, lo)``, the weight of each pair's term,
        and the score differences ``f_hi - f_lo``."""
        raw = np.asarray(raw_prediction)
        targets = np.asarray(y_true).reshape(raw.shape)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=raw.dtype).reshape(-1)
        for column in range(raw.shape[1]):
            hi, lo, scale = _ordered_pairs(targets[:, column], groups, self.max_pairs_per_group)
            weight = scale.astype(raw.dtype)
            if sample_weight is not None:
                weight = weight * np.sqrt(sample_weight[hi] * sample_weight[lo])
            yield hi, lo, weight, raw[hi, column] - raw[lo, column]

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """Per output column, ``sum over pairs of s_hi s_lo phi(f_hi - f_lo)``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            Relevances and scores.
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            The group of each row; None: one group.

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        raw = np.asarray(raw_prediction)
        sums = [
            weight @ self.pair_loss.loss(np.ones_like(difference), difference)
            for _, _, weight, difference in self._columns(y_true, raw, sample_weight, groups)
        ]
        return np.array(sums, dtype=raw.dtype)

    def weighted_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """The gradient of :meth:`weighted_sums`: ``s_hi s_lo phi'(f_hi - f_lo)`` added to
        the more relevant row of each pair and subtracted from the other.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        raw = np.asarray(raw_prediction)
        gradient = np.empty_like(raw)
        columns = self._columns(y_true, raw, sample_weight, groups)
        for column, (hi, lo, weight, difference) in enumerate(columns):
            slope = weight * self.pair_loss.gradient(np.ones_like(difference), difference)
            gradient[:, column] = np.bincount(hi, slope, minlength=len(raw)) - np.bincount(
                lo, slope, minlength=len(raw)
            )
        return gradient

    def smoothed(self, width):
        """The same pairs with the pair loss's own smoothed stand-in.

        Parameters
        ----------
        width : float
            The smoothing width of the pair loss (see :meth:`Loss.smoothed`).

        Returns
        -------
        PairwiseLoss
        """
        if self.pair_loss.differentiable:
            return self
        return PairwiseLoss(self.pair_loss.smoothed(width), self.max_pairs_per_group)


class PairwiseHingeLoss(PairwiseLoss):
    r"""RankSVM: :math:`\phi(d) = \max(0, 1 - d)` over the ordered pairs of each group.

    Parameters
    ----------
    max_pairs_per_group : int or None, default=10000
        See :class:`PairwiseLoss`.
    """

    pair_loss = HingeLoss()

    def __init__(self, max_pairs_per_group=10000):
        self.max_pairs_per_group = max_pairs_per_group


class PairwiseLogisticLoss(PairwiseLoss):
    r"""RankNet: :math:`\phi(d) = \log(1 + e^{-d})` over the ordered pairs of each group.

    Parameters
    ----------
    max_pairs_per_group : int or None, default=10000
        See :class:`PairwiseLoss`.
    """

    pair_loss = LogLoss()

    def __init__(self, max_pairs_per_group=10000):
        self.max_pairs_per_group = max_pairs_per_group


class ListwiseSoftmaxLoss(RankingLoss):
    r"""ListNet (top one): the cross-entropy of the score softmax against the relevance
    softmax within each group.

    .. math::

        L = \frac{1}{S} \sum_q S_q \Big(-\sum_{i \in q} P_i \log Q_i\Big), \quad
        P = \mathrm{softmax}_q(y), \quad Q = \mathrm{softmax}_q(f),

    with ``S_q`` the total weight of group ``q``: the weighted mean over the
    rows of their group's cross-entropy. The gradient in ``f_i`` is
    ``S_q (Q_i - P_i) / S``; convex and smooth (the curvature of a group's term
    is at most ``S_q / 2``).

    Examples
    --------
    >>> import numpy as np
    >>> loss = ListwiseSoftmaxLoss()
    >>> y, scores = np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]])
    >>> loss.batch_loss(y, scores, groups=np.array([3, 3])).round(6)  # softmax agrees
    array([0.582203])
    """

    smoothness = 0.5

    @staticmethod
    def _group_softmax(values, starts, members):
        """Log-softmax and softmax of ``values`` within each group (rows in group order)."""
        shifted = values - np.maximum.reduceat(values, starts)[members]
        exponential = np.exp(shifted)
        total = np.add.reduceat(exponential, starts)[members]
        return shifted - np.log(total), exponential / total

    def _columns(self, y_true, raw_prediction, sample_weight, groups):
        """For each output column: the rows in group order, where the groups start, the
        group of each row (in that order), ``log Q``, ``Q``, ``P`` and the groups' weights."""
        raw = np.asarray(raw_prediction)
        targets = np.asarray(y_true, dtype=np.float64).reshape(raw.shape)
        groups = np.zeros(len(raw)) if groups is None else np.asarray(groups).reshape(-1)
        weight = np.ones(len(raw)) if sample_weight is None else np.asarray(sample_weight)
        weight = np.asarray(weight, dtype=np.float64).reshape(-1)
        order, starts, sizes = _group_starts(groups)
        order = order[weight[order] > 0]  # rows of weight 0 are not in any softmax
        _, starts, sizes = _group_starts(groups[order])
        members = np.repeat(np.arange(len(starts)), sizes)
        group_weight = np.add.reduceat(weight[order], starts)
        for column in range(raw.shape[1]):
            scores = raw[order, column].astype(np.float64)
            log_q, q = self._group_softmax(scores, starts, members)
            _, p = self._group_softmax(targets[order, column], starts, members)
            yield order, starts, members, log_q, q, p, group_weight

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """Per output column, ``sum_q S_q (-sum_{i in q} P_i log Q_i)``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
            Relevances and scores.
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None
            The group of each row; None: one group.

        Returns
        -------
        ndarray of shape (n_outputs,)
        """
        raw = np.asarray(raw_prediction)
        sums = [
            group_weight @ -np.add.reduceat(p * log_q, starts)
            for _, starts, _, log_q, _, p, group_weight in self._columns(
                y_true, raw, sample_weight, groups
            )
        ]
        return np.array(sums, dtype=raw.dtype)

    def weighted_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        """The gradient of :meth:`weighted_sums`: ``S_q (Q_i - P_i)``.

        Parameters
        ----------
        y_true, raw_prediction : ndarray of shape (n_rows, n_outputs)
        sample_weight : ndarray of shape (n_rows,), default=None
        groups : ndarray of shape (n_rows,), default=None

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
        """
        raw = np.asarray(raw_prediction)
        gradient = np.zeros_like(raw)
        columns = self._columns(y_true, raw, sample_weight, groups)
        for column, (order, _, members, _, q, p, group_weight) in enumerate(columns):
            gradient[order, column] = group_weight[members] * (q - p)
        return gradient
