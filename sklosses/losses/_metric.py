"""Metric-learning losses: the triplet loss over triplets mined inside a batch of
embeddings (:class:`TripletLoss`)."""

from numbers import Integral, Real

import numpy as np

from .._constraints import Interval, StrOptions
from ._batch import BatchLoss

MINING_RULES = ("semi-hard", "hardest", "all")


def _ranked_columns(mask):
    """For each row, the columns where ``mask`` holds, first (in column order), and
    their number."""
    return np.argsort(~mask, axis=1, kind="stable"), mask.sum(axis=1)


def _semi_hard_triplets(distance, positive, negative):
    """For each anchor-positive pair ``(a, p)`` of the anchors with a negative: the
    closest negative of ``a`` farther than ``p`` (FaceNet's semi-hard negative), or,
    when no negative is farther, the farthest one. Returns the triplets ``(a, p, n)``.

    Each row's distances are sorted once, by a key that puts a negative before a
    positive at the same distance: the bit pattern of ``|d|`` (monotone in it; ``d``
    is only negative by rounding) shifted left over the positive flag. With the sorted
    rows laid end to end, the negatives sorted up to a positive count the index of its
    semi-hard negative in the list of all the sorted negatives, unless that lies in the
    next row: the row's last negative is then its farthest."""
    n_rows = len(distance)
    positive = positive & negative.any(axis=1)[:, None]
    key = np.abs(distance, dtype=np.float64).view(np.uint64) << np.uint64(1)
    key |= positive
    order = np.argsort(key, axis=1)
    flat_order = (order + np.arange(0, n_rows * n_rows, n_rows)[:, None]).ravel()
    sorted_negative = negative.ravel()[flat_order]
    negatives_up_to = np.cumsum(sorted_negative)
    at = np.flatnonzero(positive.ravel()[flat_order])
    anchor = at // n_rows
    last_negative = negatives_up_to[n_rows - 1 :: n_rows] - 1
    chosen = np.minimum(negatives_up_to[at], last_negative[anchor])
    columns = order.ravel()
    return anchor, columns[at], columns[np.flatnonzero(sorted_negative)[chosen]]


def _same_arrays(arrays, others):
    """Whether two sequences of arrays (or None) hold the same shapes, dtypes and values."""
    for a, b in zip(arrays, others, strict=True):
        if a is None or b is None:
            if a is not b:
                return False
        elif a.shape != b.shape or a.dtype != b.dtype or not (a == b).all():
            return False
    return True


_LAST_BATCH = {}
"""The parts of the last batch mined, with copies of its inputs (see
:meth:`TripletLoss._parts`), stored as one tuple so that a thread reads a consistent one."""


class TripletLoss(BatchLoss):
    r"""Triplet loss of the embeddings of a batch, with triplets mined in the batch.

    ``y_true`` of shape ``(n_rows, 1)`` holds the class labels (as floats) and
    ``raw_prediction`` of shape ``(n_rows, n_components)`` the embeddings ``e``
    of the rows (``L x`` for a linear metric). A triplet ``(a, p, n)`` is an
    anchor, a positive of its class and a negative of another class; with
    ``d(i, j) = |e_i - e_j|^2`` its loss is

    .. math::

        \ell_{apn} = \max(0, \mathrm{margin} + d(a, p) - d(a, n)).

    The value of a batch is the weighted mean of ``l`` over the triplets mined in
    it, each weighted by the product ``s_a s_p s_n`` of its rows' sample weights
    (so integer weights do not equal repeated rows, whose copies form triplets
    with each other, and rows of weight 0 take no part). It is one value for all
    the embedding's columns (shape ``(1,)``), 0 when the batch has no triplet.
    ``batch_gradient`` is its exact gradient in the embeddings, with the mined
    triplets held fixed (the mining changes only at ties of distances).

    Mining rules (``mining``):

    * ``"semi-hard"`` (FaceNet, Schroff et al., 2015): every anchor-positive
      pair, with the closest negative of the anchor farther than the positive
      (``d(a, p) < d(a, n)``, inside the margin when it has a loss); when every
      negative is closer than the positive, the farthest negative
      (as TensorFlow Addons' ``triplet_semihard_loss``).
    * ``"hardest"`` (batch-hard, Hermans et al., 2017): for each anchor, its
      farthest positive and its closest negative, one triplet per anchor.
    * ``"all"``: every valid triplet, at most ``max_triplets_per_anchor`` per
      anchor: when an anchor has more ``(p, n)`` combinations, that many evenly
      spaced ones in the order of the rows (deterministic, so the value and the
      gradient see the same triplets).

    All of it is vectorised over the batch through its matrix of pairwise squared
    distances (``O(batch_size^2)`` memory). The loss is translation invariant:
    its gradient sums to zero over the rows, so an intercept never moves.

    Parameters
    ----------
    margin : float, default=1.0
        The margin, > 0, by which a negative should be farther from the anchor
        than the positive (in squared distance).
    mining : {"semi-hard", "hardest", "all"}, default="semi-hard"
        Which triplets of a batch count (see above).
    max_triplets_per_anchor : int, default=32
        The cap on the triplets of one anchor under ``mining="all"``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[0.0], [0.0], [1.0]])
    >>> TripletLoss().batch_loss(y, np.array([[0.0], [1.0], [0.5]]))
    array([1.75])
    """

    task = "metric"
    convex = False

    @property
    def fixed_objective(self):
        """Only ``mining="all"`` picks its triplets without looking at the distances."""
        return self.mining == "all"

    _parameter_constraints = {
        "margin": [Interval(Real, 0, None, closed="neither")],
        "mining": [StrOptions(MINING_RULES)],
        "max_triplets_per_anchor": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, margin=1.0, mining="semi-hard", max_triplets_per_anchor=32):
        self.margin = margin
        self.mining = mining
        self.max_triplets_per_anchor = max_triplets_per_anchor

    def _triplets(self, labels, distance, valid):
        """The mined triplets as index arrays ``(a, p, n)``."""
        same = labels[:, None] == labels[None, :]
        positive, negative = same.copy(), ~same
        if not valid.all():
            pair = valid[:, None] & valid[None, :]
            positive &= pair
            negative &= pair
        np.fill_diagonal(positive, False)
        if self.mining == "all":
            return self._all_triplets(positive, negative)
        if self.mining == "semi-hard":
            return _semi_hard_triplets(distance, positive, negative)
        rows = np.flatnonzero(positive.any(axis=1) & negative.any(axis=1))
        farthest = np.argmax(np.where(positive, distance, -np.inf), axis=1)
        closest = np.argmin(np.where(negative, distance, np.inf), axis=1)
        return rows, farthest[rows], closest[rows]

    def _all_triplets(self, positive, negative):
        cap = int(self.max_triplets_per_anchor)
        positives, n_positives = _ranked_columns(positive)
        negatives, n_negatives = _ranked_columns(negative)
        count = (n_positives * n_negatives)[:, None]
        index = np.arange(cap)[None, :]
        combination = np.where(count <= cap, index, ((2 * index + 1) * count) // (2 * cap))
        anchor, slot = np.nonzero(index < count)
        combination = combination[anchor, slot]
        n_of_anchor = n_negatives[anchor]
        return (
            anchor,
            positives[anchor, combination // n_of_anchor],
            negatives[anchor, combination % n_of_anchor],
        )

    def _parts(self, y_true, raw_prediction, sample_weight):
        """:meth:`_mined_parts`, remembered for the last batch: the engine asks for the
        gradient and then the value of the same batch, and mining is most of the cost."""
        raw = np.asarray(raw_prediction)
        inputs = (
            raw,
            np.asarray(y_true),
            None if sample_weight is None else np.asarray(sample_weight),
        )
        key = (type(self), self.margin, self.mining, self.max_triplets_per_anchor)
        last = _LAST_BATCH.get("last")
        if last is None or last[0] != key or not _same_arrays(inputs, last[1]):
            copies = tuple(None if part is None else part.copy() for part in inputs)
            last = (key, copies, self._mined_parts(y_true, raw, sample_weight))
            _LAST_BATCH["last"] = last
        return last[2]

    def _mined_parts(self, y_true, raw_prediction, sample_weight):
        """The value of the batch, and the triplets whose hinge is positive with their
        gradient coefficients ``2 w_t`` (``w_t`` the triplet's weight over the total),
        from the matrix of squared distances ``|e_i|^2 + |e_j|^2 - 2 e_i . e_j``."""
        raw = np.asarray(raw_prediction)
        n_rows = len(raw)
        labels = np.asarray(y_true).reshape(n_rows, -1)[:, 0]
        weight = None if sample_weight is None else np.asarray(sample_weight)
        valid = np.ones(n_rows, dtype=bool) if weight is None else weight > 0
        margin = raw.dtype.type(self.margin)
        if (raw == raw[:1]).all():
            # identical embeddings (the engine probes the loss at zero embeddings): every
            # distance is 0, so every triplet's hinge is the margin and the pulls and pushes
            # of the gradient cancel; no matrix of distances is needed
            counts = np.unique(labels[valid], return_counts=True)[1]
            has_triplet = len(counts) > 1 and counts.max() > 1
            no_rows = np.zeros(0, dtype=np.intp)
            value = margin if has_triplet else raw.dtype.type(0)
            return (no_rows, no_rows, no_rows), np.zeros(0, raw.dtype), value
        gram = raw @ raw.T
        squared = np.diagonal(gram)
        distance = squared[:, None] - 2 * gram
        distance += squared
        anchor, positive, negative = self._triplets(labels, distance, valid)
        if weight is None:
            triplet_weight = np.full(len(anchor), 1 / max(len(anchor), 1), dtype=raw.dtype)
        else:
            triplet_weight = (weight[anchor] * weight[positive] * weight[negative]).astype(
                raw.dtype
            )
            total = triplet_weight.sum()
            if total > 0:
                triplet_weight /= total
        flat = distance.ravel()
        anchor_row = anchor * n_rows
        hinge = flat[anchor_row + positive] - flat[anchor_row + negative]
        hinge += margin
        active = hinge > 0
        triplet_weight = triplet_weight[active]
        value = triplet_weight @ hinge[active]
        active_triplets = (anchor[active], positive[active], negative[active])
        return active_triplets, 2 * triplet_weight, value

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        return np.atleast_1d(self._parts(y_true, raw_prediction, sample_weight)[2])

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        raw = np.asarray(raw_prediction)
        (anchor, positive, negative), c, _ = self._parts(y_true, raw, sample_weight)
        if len(anchor) == 0:
            return np.zeros_like(raw)
        # the gradient is M @ raw: d hinge / d e_a = 2 (e_n - e_p),
        # d / d e_p = 2 (e_p - e_a), d / d e_n = 2 (e_a - e_n); M is symmetric, with
        # c at (a, n), -c at (a, p) and their mirrors, c at (p, p) and -c at (n, n)
        n_rows = len(raw)
        anchor_row = anchor * n_rows
        M = np.bincount(
            np.concatenate([anchor_row + negative, anchor_row + positive]),
            weights=np.concatenate([c, -c]),
            minlength=n_rows * n_rows,
        ).reshape(n_rows, n_rows)
        M += M.T
        M.flat[:: n_rows + 1] = np.bincount(positive, c, n_rows) - np.bincount(negative, c, n_rows)
        return M.astype(raw.dtype, copy=False) @ raw

    def initial_raw_prediction(self, y_true, sample_weight=None):
        return np.zeros(np.shape(y_true)[1] if np.ndim(y_true) > 1 else 1)
