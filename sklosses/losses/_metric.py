"""Metric-learning losses: the triplet loss over triplets mined inside a batch of
embeddings (:class:`TripletLoss`)."""

import hashlib
from numbers import Integral, Real

import numpy as np

from .._constraints import Interval, StrOptions
from ._batch import BatchLoss

MINING_RULES = ("semi-hard", "hardest", "all")


def _ranked_columns(mask):
    """For each row, the columns where ``mask`` holds, first (in column order), and
    their number."""
    return np.argsort(~mask, axis=1, kind="stable"), mask.sum(axis=1)


def _semi_hard_negatives(distance, positive, negative):
    """For each anchor-positive pair ``(a, p)``: the closest negative of ``a`` farther
    than ``p`` (FaceNet's semi-hard negative), or, when every negative is closer, the
    farthest one. Each anchor's negative distances are sorted once (the other columns
    hold a value above every distance); all the pairs are then searched at once in the
    rows laid end to end, each row shifted past the previous one."""
    n_rows = len(distance)
    low = float(distance.min(initial=0.0))
    span = 2 * (float(distance.max(initial=0.0)) - low) + 1
    negative_distance = np.where(negative, distance - low, span / 2)
    order = np.argsort(negative_distance, axis=1)
    ordered = np.take_along_axis(negative_distance, order, axis=1)
    anchor, other = np.nonzero(positive)
    shift = np.arange(n_rows) * span
    laid_out = (ordered + shift[:, None]).ravel()
    query = distance[anchor, other] - low + shift[anchor]
    rank = np.searchsorted(laid_out, query, "right") - anchor * n_rows
    rank = np.minimum(rank, negative.sum(axis=1)[anchor] - 1)
    return order[anchor, rank]


_LAST_BATCH = {}
"""The mined triplets of the last batch seen (see :meth:`TripletLoss._parts`)."""


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
        pair = valid[:, None] & valid[None, :]
        positive = same & pair & ~np.eye(len(labels), dtype=bool)
        negative = ~same & pair
        if self.mining == "all":
            return self._all_triplets(positive, negative)
        anchors = positive.any(axis=1) & negative.any(axis=1)
        if self.mining == "hardest":
            farthest = np.argmax(np.where(positive, distance, -np.inf), axis=1)
            closest = np.argmin(np.where(negative, distance, np.inf), axis=1)
            rows = np.flatnonzero(anchors)
            return rows, farthest[rows], closest[rows]
        positive &= anchors[:, None]
        anchor, other = np.nonzero(positive)
        return anchor, other, _semi_hard_negatives(distance, positive, negative)

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
        digest = hashlib.blake2b(np.ascontiguousarray(raw).tobytes(), digest_size=16)
        for part in (y_true, sample_weight):
            if part is not None:
                digest.update(np.ascontiguousarray(part).tobytes())
        key = (digest.digest(), raw.shape, raw.dtype.str, type(self), self.margin, self.mining)
        key += (self.max_triplets_per_anchor,)
        if _LAST_BATCH.get("key") != key:
            _LAST_BATCH.update(key=key, parts=self._mined_parts(y_true, raw, sample_weight))
        return _LAST_BATCH["parts"]

    def _mined_parts(self, y_true, raw_prediction, sample_weight):
        """The triplets, their weights over the total and their hinge values, from the
        matrix of squared distances ``|e_i|^2 + |e_j|^2 - 2 e_i . e_j``."""
        raw = np.asarray(raw_prediction)
        labels = np.asarray(y_true).reshape(len(raw), -1)[:, 0]
        weight = np.ones(len(raw)) if sample_weight is None else np.asarray(sample_weight)
        squared = np.einsum("ij,ij->i", raw, raw)
        distance = squared[:, None] + squared[None, :] - 2 * (raw @ raw.T)
        anchor, positive, negative = self._triplets(labels, distance, weight > 0)
        triplet_weight = (weight[anchor] * weight[positive] * weight[negative]).astype(raw.dtype)
        total = triplet_weight.sum()
        if total > 0:
            triplet_weight /= total
        margin = raw.dtype.type(self.margin)
        hinge = margin + distance[anchor, positive] - distance[anchor, negative]
        return (anchor, positive, negative), triplet_weight, hinge

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        _, triplet_weight, hinge = self._parts(y_true, raw_prediction, sample_weight)
        return np.atleast_1d(triplet_weight @ np.maximum(hinge, 0))

    def batch_gradient(self, y_true, raw_prediction, sample_weight=None, groups=None):
        raw = np.asarray(raw_prediction)
        (anchor, positive, negative), triplet_weight, hinge = self._parts(
            y_true, raw, sample_weight
        )
        c = 2 * triplet_weight * (hinge > 0)
        # the gradient is M @ raw: d hinge / d e_a = 2 (e_n - e_p),
        # d / d e_p = 2 (e_p - e_a), d / d e_n = 2 (e_a - e_n)
        n_rows = len(raw)
        rows = np.concatenate([anchor, anchor, positive, positive, negative, negative])
        columns = np.concatenate([negative, positive, positive, anchor, anchor, negative])
        values = np.concatenate([c, -c, c, -c, c, -c])
        M = np.bincount(rows * n_rows + columns, weights=values, minlength=n_rows * n_rows)
        return M.reshape(n_rows, n_rows).astype(raw.dtype) @ raw

    def initial_raw_prediction(self, y_true, sample_weight=None):
        return np.zeros(np.shape(y_true)[1] if np.ndim(y_true) > 1 else 1)
