r"""LambdaRank: RankNet's pairs, each weighted by how much swapping it would change NDCG.

Burges, Ragno and Le (2006), as LightGBM's and XGBoost's ``lambdarank`` objectives: the
pairwise logistic loss (RankNet) of every ordered pair ``(i, j)`` of a query,
``y_i > y_j``, is weighted by

.. math::

    |\Delta \mathrm{NDCG}_{ij}| = \frac{|G_i - G_j| \, |D_i - D_j|}{\mathrm{IDCG}_q},
    \qquad G = 2^y - 1, \quad D = \frac{1}{\log_2(1 + r)},

with ``r`` the row's position in its query ranked by the current scores (1 at the
top; ``D = 0`` beyond ``cutoff``) and ``IDCG_q`` the query's ideal DCG: the pairs
whose order matters most to NDCG pull hardest, and a pair deep in the list barely
moves the model. The weights follow the scores, so the value is not one fixed
function of the scores: its gradient, with the weights held, is LambdaRank's
"lambda" gradient, and training is SGD (``fixed_objective = False``), which ``fit``
starts from the optimum of RankNet on the same pairs (``surrogate``): from all-equal
scores the positions, hence the weights, would be those of the rows' order.
"""

from numbers import Integral

import numpy as np

from .._constraints import Interval
from ._binary import LogLoss
from ._ranking import PairwiseLogisticLoss, PairwiseLoss


def _positions(scores, codes):
    """Each row's 0-based position within its group (code) by descending ``scores``."""
    order = np.lexsort((-scores, codes))
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    position = np.empty(len(codes), dtype=np.intp)
    position[order] = np.arange(len(codes)) - first
    return position


def _discounts(position, cutoff):
    """``1 / log2(2 + position)``, zero at and beyond ``cutoff``."""
    discount = 1 / np.log2(2.0 + position)
    if cutoff is not None:
        discount[position >= cutoff] = 0.0
    return discount


def delta_ndcg(relevance, scores, groups, first, second, cutoff=None, present=None):
    """``|NDCG change|`` of swapping rows ``first[k]`` and ``second[k]`` of one group.

    Parameters
    ----------
    relevance, scores : ndarray of shape (n_rows,)
    groups : ndarray of shape (n_rows,) or None
        The group of each row; None: one group.
    first, second : ndarray of int
        The pairs' rows (each pair within one group).
    cutoff : int or None, default=None
        NDCG@cutoff; None: the whole list.
    present : ndarray of bool of shape (n_rows,) or None
        The rows in the lists (of positive weight); the others take no position.

    Returns
    -------
    ndarray of shape (len(first),)
    """
    groups = np.zeros(len(scores)) if groups is None else np.asarray(groups).reshape(-1)
    _, codes = np.unique(groups, return_inverse=True)
    if present is not None:
        codes = np.where(present, codes, codes.max(initial=0) + 1)  # a list of their own
    # the gains 2^y - 1 of a group divided by 2^(its top grade, or 0 if higher), which
    # leaves the ratio of DCGs unchanged and cannot overflow whatever the grades (the
    # gains of grades all below 0 lie in (-1, 0) as they are)
    top = np.zeros(codes.max(initial=0) + 1)
    np.maximum.at(top, codes, relevance)
    with np.errstate(under="ignore"):
        gain = np.exp2(relevance - top[codes]) - np.exp2(-top[codes])
    discount = _discounts(_positions(scores, codes), cutoff)
    ideal_discount = _discounts(_positions(gain, codes), cutoff)
    ideal = np.bincount(codes, weights=gain * ideal_discount)
    ideal_of_pair = ideal[codes[first]]
    change = np.abs(gain[first] - gain[second]) * np.abs(discount[first] - discount[second])
    return np.divide(change, ideal_of_pair, out=np.zeros_like(change), where=ideal_of_pair > 0)


class LambdaRankLoss(PairwiseLoss):
    r"""LambdaRank: RankNet pairs weighted by ``|Delta NDCG|`` (see the module docstring).

    The value of a batch is ``sum over pairs of sqrt(s_i s_j) |Delta NDCG_ij|
    log(1 + exp(-(f_i - f_j)))`` over the total weight, with the weights of the
    current scores; the gradient holds the weights fixed.

    Parameters
    ----------
    cutoff : int or None, default=None
        Weigh the pairs by their change of NDCG@cutoff (pairs that both lie below
        the cutoff get no weight); None: of the NDCG of the whole list.
    max_pairs_per_group : int or None, default=10000
        See :class:`PairwiseLoss`.

    Examples
    --------
    >>> import numpy as np
    >>> y, scores = np.array([[2.0], [1.0], [0.0]]), np.array([[0.0], [1.0], [2.0]])
    >>> # the best row, ranked last, is pushed up hardest; the worst, ranked first, down
    >>> LambdaRankLoss().weighted_gradient(y, scores).ravel().round(3)
    array([-0.417, -0.022,  0.438])
    """

    pair_loss = LogLoss()
    fixed_objective = False

    _parameter_constraints = {
        "cutoff": [Interval(Integral, 1, None, closed="left"), None],
        "max_pairs_per_group": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, cutoff=None, max_pairs_per_group=10000):
        self.cutoff = cutoff
        self.max_pairs_per_group = max_pairs_per_group

    def surrogate(self):
        """RankNet on the same pairs: ``fit`` starts from its optimum.

        Returns
        -------
        PairwiseLogisticLoss
        """
        return PairwiseLogisticLoss(self.max_pairs_per_group)

    def _columns(self, y_true, raw_prediction, sample_weight, groups):
        raw = np.asarray(raw_prediction)
        targets = np.asarray(y_true, dtype=np.float64).reshape(raw.shape)
        present = None if sample_weight is None else np.asarray(sample_weight).reshape(-1) > 0
        columns = super()._columns(y_true, raw, sample_weight, groups)
        for column, (hi, lo, weight, difference) in enumerate(columns):
            change = delta_ndcg(
                targets[:, column], raw[:, column], groups, hi, lo, self.cutoff, present
            ).astype(raw.dtype)
            yield hi, lo, weight * change, difference
