r"""NDCG of the rankings within queries: the mean over queries of scikit-learn's
:func:`sklearn.metrics.ndcg_score` of each query, computed for all queries at once."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, column_or_1d

from .._validation import check_sample_weight
from ._arrays import query_codes


def _discounts(n_ranks, k):
    """``1 / log2(rank + 1)`` of the ranks ``1..n_ranks``, zero beyond ``k``.

    Written as scikit-learn writes it (``1 / (log(i + 2) / log(2))``), so that the
    discounts agree with its ``ndcg_score`` to the last bit.
    """
    discount = 1 / (np.log(np.arange(n_ranks) + 2) / np.log(2))
    if k is not None:
        discount[k:] = 0
    return discount


def _per_query_ndcg(relevance, score, codes, n_queries, k, ignore_ties):
    r"""NDCG@k of every query, shape ``(n_queries,)``.

    Rows are sorted once by (query, decreasing score) and once by (query,
    decreasing relevance); both orders list the queries in the same blocks, so
    the rank of a row is its position in its block and the sums over a query are
    ``bincount`` sums over its block. Without ``ignore_ties``, each run of equal
    scores within a query shares the mean gain of its rows: the DCG averaged over
    the orders of the ties (McSherry & Najork, 2008), as scikit-learn computes it.
    A query whose relevances are all zero has no ideal DCG and scores 0, as in
    scikit-learn.
    """
    sizes = np.bincount(codes, minlength=n_queries)
    block = np.repeat(np.arange(n_queries), sizes)  # the query of each sorted row
    starts = np.cumsum(sizes) - sizes
    rank_discount = _discounts(sizes.max(), k)[np.arange(len(codes)) - starts[block]]

    ideal = np.lexsort((-relevance, codes))
    ideal_dcg = np.bincount(block, relevance[ideal] * rank_discount, minlength=n_queries)

    ranked = np.lexsort((-score, codes))
    gain = relevance[ranked]
    if not ignore_ties:
        sorted_score = score[ranked]
        starts_run = np.ones(len(codes), dtype=bool)
        starts_run[1:] = (block[1:] != block[:-1]) | (sorted_score[1:] != sorted_score[:-1])
        run = np.cumsum(starts_run) - 1
        gain = (np.bincount(run, gain) / np.bincount(run))[run]
    dcg = np.bincount(block, gain * rank_discount, minlength=n_queries)

    relevant = ideal_dcg > 0
    return np.divide(dcg, ideal_dcg, out=np.zeros(n_queries), where=relevant)


def check_cutoff(k):
    """Refuse a cut-off ``k`` of NDCG@k that is not an integer >= 1 or None."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, Integral) or k < 1):
        raise ValueError(f"k must be an integer >= 1 or None, got {k!r}.")


def _ranking_vector(values, name):
    """Finite float64 values of shape ``(n_rows,)`` (a single column is accepted)."""
    values = check_array(values, ensure_2d=False, dtype=np.float64, input_name=name)
    return column_or_1d(values, warn=False)


def ndcg_score(y_true, y_score, *, qid, k=None, sample_weight=None, ignore_ties=False):
    r"""Normalised discounted cumulative gain, averaged over queries.

    For each query ``q`` with rows ranked by decreasing score,

    .. math::

        \mathrm{DCG@k}_q = \sum_{r=1}^{\min(k, n_q)} \frac{y_{(r)}}{\log_2(r + 1)},
        \qquad
        \mathrm{NDCG@k}_q = \frac{\mathrm{DCG@k}_q}{\mathrm{IDCG@k}_q},

    where :math:`y_{(r)}` is the relevance of the row ranked ``r`` and
    :math:`\mathrm{IDCG@k}_q` the DCG of the ideal ranking (by relevance). The
    score is the weighted mean over the queries,

    .. math::

        \mathrm{NDCG@k} = \frac{\sum_q v_q \, \mathrm{NDCG@k}_q}{\sum_q v_q},

    and :math:`\mathrm{NDCG@k}_q` is exactly scikit-learn's
    ``sklearn.metrics.ndcg_score([y_q], [f_q], k=k)`` of the query's rows
    (the tests check equality to 1e-12 on data with ties): gains are the raw
    relevances, tied scores share the mean gain of their rows (unless
    ``ignore_ties``), and the work is ``O(n log n)`` for all queries together.

    Edge cases:

    * **a query of one document** is left out of the mean. scikit-learn refuses
      it, and any ranking of one document is perfect, so counting it (as 1, or as
      0 when irrelevant) would only move the mean towards a constant that says
      nothing about the model; the pairwise losses likewise have no pair in it.
      If no query has two documents the score is undefined: ``ValueError``.
    * **a query whose relevances are all zero** scores 0, scikit-learn's
      convention (some libraries count it as 1). Every ranking of it is as good,
      so it lowers the mean by the same amount for every model: drop such queries
      beforehand to leave them out.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Graded relevance of each row, non-negative (larger is more relevant).
    y_score : array-like of shape (n_samples,)
        Scores of the rows (a ranker's ``predict``); only their order within
        each query matters.
    qid : array-like of shape (n_samples,)
        The query of each row (any hashable, sortable values), in any row order.
        Required: NDCG ranks the rows of each query separately.
    k : int, default=None
        Only the ``k`` best-scored rows of each query count (NDCG@k); None:
        all of them.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights; NDCG has no per-document weight, so each query is weighted
        by the mean weight of its rows, :math:`v_q = \frac{1}{n_q}\sum_{i \in q}
        s_i`. Weights constant within each query are thus scikit-learn's
        per-query ``sample_weight``. None: every query counts once.
    ignore_ties : bool, default=False
        Break ties in ``y_score`` arbitrarily instead of averaging over them;
        slightly faster, and only exact when the scores have no ties within a
        query.

    Returns
    -------
    float
        In [0, 1]; 1 for a perfect ranking of every query.

    Raises
    ------
    ValueError
        For a missing ``qid``, arrays of different lengths, negative or non-finite
        relevances, non-finite scores, a bad ``k``, negative weights, no query of
        at least two documents, or zero weight on all of them.

    Examples
    --------
    >>> from sklosses.metrics import ndcg_score
    >>> relevance = [3, 2, 0, 1, 0]
    >>> scores = [0.9, 0.1, 0.5, 0.8, 0.0]
    >>> round(ndcg_score(relevance, scores, qid=[1, 1, 1, 2, 2]), 6)  # (0.938558 + 1) / 2
    0.969279
    >>> round(ndcg_score(relevance, scores, qid=[1, 1, 1, 2, 2], k=2), 6)  # (0.703918 + 1) / 2
    0.851959
    """
    relevance = _ranking_vector(y_true, "y_true")
    score = _ranking_vector(y_score, "y_score")
    if len(score) != len(relevance):
        raise ValueError(
            f"y_true and y_score have different lengths: {len(relevance)} and {len(score)}."
        )
    if (relevance < 0).any():
        raise ValueError("ndcg_score needs non-negative relevances y_true.")
    check_cutoff(k)
    codes, n_queries = query_codes(qid, len(relevance), "ndcg_score")
    sample_weight = check_sample_weight(sample_weight, len(relevance))

    sizes = np.bincount(codes, minlength=n_queries)
    ranked = sizes > 1  # a single document has only one ranking: it says nothing
    if not ranked.any():
        raise ValueError(
            "ndcg_score needs a query of at least two documents; every query here has "
            "one, and any ranking of a single document is perfect."
        )
    per_query = _per_query_ndcg(relevance, score, codes, n_queries, k, ignore_ties)
    if sample_weight is None:
        return float(per_query[ranked].mean())
    query_weight = np.bincount(codes, sample_weight, minlength=n_queries)[ranked] / sizes[ranked]
    if not query_weight.sum() > 0:
        raise ValueError(
            "sample_weight is zero on every query of at least two documents: the mean "
            "NDCG is undefined."
        )
    return float(np.average(per_query[ranked], weights=query_weight))
