"""SGDRanker: ranking losses trained over queries, against exact solvers of the same
objectives (LinearSVC on the pairwise differences for RankSVM, scipy's L-BFGS for the
smooth losses) and against a pointwise model on held-out queries."""

import warnings

import numpy as np
import pytest
import sklearn
from scipy.optimize import minimize
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.svm import LinearSVC

from sklosses import SGDRanker, SGDRegressor
from sklosses.losses import PairwiseHingeLoss, PairwiseLogisticLoss, get_loss
from sklosses.losses._lambdarank import delta_ndcg
from sklosses.metrics import get_scorer, ndcg_score

ALPHA = 1e-3


def ranking_problem(n_queries=300, per_query=8, n_features=10, seed=0):
    """Queries of ``per_query`` rows in shuffled row order. Relevance is relative, as in
    search: within each query the rows are graded 3, 2, 2, 1, 1, 0, ... by a noisy linear
    score, and every query shifts the features by an offset of its own (a query effect
    that changes no order within the query)."""
    rng = np.random.default_rng(seed)
    qid = np.repeat(np.arange(n_queries), per_query)
    rng.shuffle(qid)
    coef = rng.normal(size=n_features)
    X = rng.normal(size=(len(qid), n_features)) + 2 * rng.normal(size=(n_queries, n_features))[qid]
    noisy = X @ coef + rng.normal(size=len(qid))
    grades = np.zeros(per_query)
    grades[:5] = [3, 2, 2, 1, 1]
    relevance = np.empty(len(qid))
    for query in range(n_queries):
        rows = np.flatnonzero(qid == query)
        relevance[rows[np.argsort(-noisy[rows])]] = grades
    return X, relevance, qid


def pair_differences(X, relevance, qid):
    """``x_i - x_j`` for every pair of a query with ``y_i > y_j``."""
    rows_i, rows_j = [], []
    for query in np.unique(qid):
        rows = np.flatnonzero(qid == query)
        above = relevance[rows][:, None] > relevance[rows][None, :]
        i, j = np.nonzero(above)
        rows_i.append(rows[i])
        rows_j.append(rows[j])
    return X[np.concatenate(rows_i)] - X[np.concatenate(rows_j)]


def ranksvm(X, relevance, qid, alpha):
    """Exact RankSVM: ``1/2 |w|^2 + C sum_pairs max(0, 1 - w d)`` by LinearSVC on the pair
    differences (each pair once per sign, so C is halved), with ``C = 1 / (alpha n)``."""
    D = pair_differences(X, relevance, qid)
    svc = LinearSVC(
        loss="hinge", fit_intercept=False, C=1 / (2 * alpha * len(X)), tol=1e-10, max_iter=100000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svc.fit(np.vstack([D, -D]), np.r_[np.ones(len(D)), -np.ones(len(D))])
    return svc.coef_[0]


def objective(loss, X, relevance, qid, coef, alpha=ALPHA):
    """``L(w) + alpha / 2 |w|^2``, with the loss's own weighted sums over the queries."""
    sums = loss.weighted_sums(relevance[:, None], (X @ coef)[:, None], groups=qid)
    return float(sums.sum()) / len(X) + alpha / 2 * coef @ coef


def lbfgs(loss, X, relevance, qid, alpha=ALPHA):
    """scipy's L-BFGS on the same objective, from the loss's value and gradient."""

    def value_and_gradient(coef):
        raw = (X @ coef)[:, None]
        gradient = loss.weighted_gradient(relevance[:, None], raw, groups=qid)[:, 0]
        return objective(loss, X, relevance, qid, coef, alpha), X.T @ gradient / len(X) + (
            alpha * coef
        )

    start = np.zeros(X.shape[1])
    result = minimize(value_and_gradient, start, jac=True, method="L-BFGS-B", tol=1e-14)
    return result.x


def test_pairwise_hinge_reaches_the_exact_ranksvm_objective():
    X, relevance, qid = ranking_problem()
    ranker = SGDRanker(alpha=ALPHA, random_state=0).fit(X, relevance, qid=qid)
    loss = PairwiseHingeLoss()
    exact = objective(loss, X, relevance, qid, ranksvm(X, relevance, qid, ALPHA))
    ours = objective(loss, X, relevance, qid, ranker.coef_)
    assert ours == pytest.approx(ranker.objective_, rel=1e-10)
    assert ours <= exact * (1 + 1e-3)


@pytest.mark.parametrize("name", ["pairwise_logistic", "listwise_softmax"])
def test_smooth_ranking_losses_reach_the_lbfgs_optimum(name):
    X, relevance, qid = ranking_problem(seed=1)
    loss = get_loss(name)
    ranker = SGDRanker(loss=name, alpha=ALPHA, random_state=0).fit(X, relevance, qid=qid)
    exact = objective(loss, X, relevance, qid, lbfgs(loss, X, relevance, qid))
    assert objective(loss, X, relevance, qid, ranker.coef_) <= exact * (1 + 1e-3)


def test_held_out_ndcg_beats_the_pointwise_model_and_matches_ranksvm():
    X, relevance, qid = ranking_problem(n_queries=600, seed=2)
    train, test = qid < 400, qid >= 400
    ranker = SGDRanker(alpha=ALPHA, random_state=0).fit(X[train], relevance[train], qid=qid[train])
    pointwise = SGDRegressor(random_state=0).fit(X[train], relevance[train])
    exact = ranksvm(X[train], relevance[train], qid[train], ALPHA)

    def ndcg10(scores):
        return ndcg_score(relevance[test], scores, qid=qid[test], k=10)

    ours = ndcg10(ranker.predict(X[test]))
    assert ours >= ndcg10(pointwise.predict(X[test])) - 1e-12
    assert ours >= 0.99 * ndcg10(X[test] @ exact)


def test_rows_in_any_order_give_the_same_model():
    X, relevance, qid = ranking_problem(seed=3)
    order = np.random.default_rng(0).permutation(len(qid))
    first = SGDRanker(loss="pairwise_logistic", random_state=0).fit(X, relevance, qid=qid)
    second = SGDRanker(loss="pairwise_logistic", random_state=0).fit(
        X[order], relevance[order], qid=qid[order]
    )
    np.testing.assert_allclose(second.objective_, first.objective_, rtol=1e-6)
    np.testing.assert_allclose(second.coef_, first.coef_, rtol=1e-2, atol=1e-3)


def test_partial_fit_on_chunks_of_whole_queries_learns_the_ranking():
    X, relevance, qid = ranking_problem(seed=4)
    ranker = SGDRanker(loss="pairwise_logistic", random_state=0)
    for _ in range(5):
        for chunk in np.array_split(np.unique(qid), 4):
            rows = np.isin(qid, chunk)
            ranker.partial_fit(X[rows], relevance[rows], qid=qid[rows])
    fitted = SGDRanker(loss="pairwise_logistic", random_state=0).fit(X, relevance, qid=qid)
    assert ranker.score(X, relevance, qid=qid) >= fitted.score(X, relevance, qid=qid) - 0.01


def test_grid_search_with_group_folds_and_the_routed_ndcg_scorer():
    X, relevance, qid = ranking_problem(n_queries=120, seed=5)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            SGDRanker(random_state=0),
            {"loss": ["pairwise_hinge", "listwise_softmax"]},
            cv=GroupKFold(n_splits=3),
            scoring=get_scorer("ndcg@10"),
        ).fit(X, relevance, qid=qid, groups=qid)
    assert 0.5 < search.best_score_ <= 1


def test_large_queries_sample_their_pairs_without_bias():
    """A query with more pairs than ``max_pairs_per_group`` sums a uniform sample of its
    pairs, each scaled up: an estimate of the sum over all pairs."""
    rng = np.random.default_rng(6)
    relevance = rng.integers(0, 4, size=(600, 1)).astype(float)
    scores = rng.normal(size=(600, 1))
    full = PairwiseHingeLoss(max_pairs_per_group=None).weighted_sums(relevance, scores)
    sampled = PairwiseHingeLoss(max_pairs_per_group=20000).weighted_sums(relevance, scores)
    np.testing.assert_allclose(sampled, full, rtol=0.03)
    assert PairwiseHingeLoss().max_pairs_per_group == 10000


def test_early_stopping_holds_out_whole_queries():
    X, relevance, qid = ranking_problem(seed=7)
    ranker = SGDRanker(
        loss="pairwise_logistic", early_stopping=True, random_state=0, n_iter_no_change=3
    ).fit(X, relevance, qid=qid)
    assert len(ranker.validation_scores_) == ranker.n_iter_
    assert ranker.score(X, relevance, qid=qid) > 0.8


def test_ranker_refuses_other_losses_and_misaligned_queries():
    X, relevance, qid = ranking_problem(n_queries=10)
    with pytest.raises(ValueError, match="ranking"):
        SGDRanker(loss="squared_error").fit(X, relevance, qid=qid)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SGDRanker().fit(X, relevance, qid=qid[:-1])
    assert isinstance(PairwiseLogisticLoss().smoothed(0.1), PairwiseLogisticLoss)


@pytest.mark.parametrize("cutoff", [None, 3])
def test_lambdarank_weights_are_the_ndcg_change_of_swapping_the_pair(cutoff):
    """``delta_ndcg`` against scikit-learn's ``ndcg_score`` (linear gains, so the gains
    ``2^y - 1`` are given as its relevances) before and after swapping two scores."""
    rng = np.random.default_rng(0)
    relevance = rng.integers(0, 4, 30).astype(float)
    scores = rng.normal(size=30)
    groups = np.repeat([5, 1, 9], 10)
    first, second = rng.integers(0, 10, 40), rng.integers(0, 10, 40)
    offset = 10 * rng.integers(0, 3, 40)
    first, second = first + offset, second + offset  # pairs within a group
    change = delta_ndcg(relevance, scores, groups, first, second, cutoff)
    gains = 2**relevance - 1
    for k in range(len(first)):
        rows = np.flatnonzero(groups == groups[first[k]])
        swapped = scores.copy()
        swapped[[first[k], second[k]]] = swapped[[second[k], first[k]]]
        before, after = (
            sklearn.metrics.ndcg_score(gains[rows][None], values[rows][None], k=cutoff)
            for values in (scores, swapped)
        )
        assert change[k] == pytest.approx(abs(after - before), abs=1e-12)


def test_lambdarank_trains_by_sgd_from_ranknet_and_ranks_as_well():
    X, relevance, qid = ranking_problem(n_queries=600, seed=2)
    train, test = qid < 400, qid >= 400
    lambdarank = SGDRanker(loss="lambdarank", random_state=0)
    lambdarank.fit(X[train], relevance[train], qid=qid[train])
    ranknet = SGDRanker(loss="pairwise_logistic", random_state=0)
    ranknet.fit(X[train], relevance[train], qid=qid[train])
    assert not get_loss("lambdarank").fixed_objective
    assert lambdarank.n_full_batch_iter_ == 0 and lambdarank.n_iter_ >= 1
    assert not np.allclose(lambdarank.coef_, ranknet.coef_)  # its own SGD epochs moved it

    def ndcg10(scores):
        return ndcg_score(relevance[test], scores, qid=qid[test], k=10)

    assert ndcg10(lambdarank.predict(X[test])) >= ndcg10(ranknet.predict(X[test])) - 1e-3
