"""Ranking metrics: ``ndcg_score`` against scikit-learn's per query, ``mean_loss`` of the
ranking losses against a double loop over the pairs, and the scorers in scikit-learn's
model selection with ``qid`` routed as metadata.

Tests over the ranking losses run over the registry (every loss whose ``task`` is
``"ranking"``), so a newly registered ranking loss is tested without editing this file.
"""

import pickle

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import ndcg_score as sklearn_ndcg_score
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

from sklosses import SGDRanker
from sklosses.losses import LOSSES, BatchLoss, get_loss
from sklosses.metrics import (
    get_scorer,
    get_scorer_names,
    make_loss_scorer,
    make_ndcg_scorer,
    mean_loss,
    ndcg_score,
)

RANKING_NAMES = sorted(name for name in LOSSES if get_loss(name).task == "ranking")
PAIR_LOSSES = {  # the pair loss phi of each registered pairwise loss, written out
    "pairwise_hinge": lambda d: max(0.0, 1.0 - d),
    "pairwise_logistic": lambda d: np.log1p(np.exp(-d)),
}
CUTOFFS = [None, 1, 2, 3, 5, 10, 100]


def scorer_name(loss_name):
    """The documented naming rule: "neg_mean_" + name (+ "_loss" unless a suffix already)."""
    suffix = "" if loss_name.endswith(("_loss", "_error")) else "_loss"
    return f"neg_mean_{loss_name}{suffix}"


def ranking_data(seed, n_queries=40, max_size=12, ties=True, n_features=None):
    """Shuffled rows of queries of 1 to ``max_size`` documents (at least one of each
    edge case: a single document, all relevances zero), graded relevances 0..4 and
    scores with many ties (``ties``) or none; with ``n_features``, features ``X`` and
    relevances from a noisy linear score of them instead."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, max_size + 1, n_queries)
    sizes[:2] = 1  # single-document queries
    qid = np.repeat(np.arange(n_queries) * 7 + 3, sizes)  # ids neither 0-based nor contiguous
    relevance = rng.integers(0, 5, len(qid)).astype(float)
    relevance[qid == qid[sizes[0] + sizes[1]]] = 0  # a query with no relevant document
    score = rng.integers(0, 4, len(qid)).astype(float) if ties else rng.normal(size=len(qid))
    order = rng.permutation(len(qid))
    if n_features is None:
        return relevance[order], score[order], qid[order]
    X = rng.normal(size=(len(qid), n_features))
    coef = rng.normal(size=n_features)
    relevance = np.digitize(X @ coef + rng.normal(scale=0.5, size=len(qid)), [-1, 0, 1, 2])
    return X[order], relevance[order].astype(float), qid[order]


def sklearn_per_query(relevance, score, qid, **kwargs):
    """scikit-learn's ``ndcg_score`` of each query of at least two documents."""
    return {
        query: sklearn_ndcg_score([relevance[qid == query]], [score[qid == query]], **kwargs)
        for query in np.unique(qid)
        if (qid == query).sum() > 1
    }


# -- ndcg_score against scikit-learn ------------------------------------------------------
@pytest.mark.parametrize("ties", [True, False])
@pytest.mark.parametrize("k", CUTOFFS)
@pytest.mark.parametrize("seed", range(3))
def test_ndcg_is_the_mean_of_sklearn_ndcg_per_query(seed, k, ties):
    relevance, score, qid = ranking_data(seed, ties=ties)
    reference = sklearn_per_query(relevance, score, qid, k=k)
    assert abs(ndcg_score(relevance, score, qid=qid, k=k) - np.mean([*reference.values()])) < 1e-12


@pytest.mark.parametrize("k", CUTOFFS)
def test_ndcg_of_continuous_relevance_and_float32_scores(k):
    rng = np.random.default_rng(1)
    relevance, score, qid = ranking_data(1)
    relevance = relevance * rng.uniform(0.5, 2.0, size=len(relevance))
    reference = np.mean([*sklearn_per_query(relevance, score, qid, k=k).values()])
    for scores in (score, score.astype(np.float32), score.reshape(-1, 1)):
        assert abs(ndcg_score(relevance, scores, qid=qid, k=k) - reference) < 1e-12


@pytest.mark.parametrize("k", CUTOFFS)
def test_ignore_ties_matches_sklearn_on_scores_without_ties(k):
    relevance, score, qid = ranking_data(2, ties=False)
    reference = np.mean([*sklearn_per_query(relevance, score, qid, k=k, ignore_ties=True).values()])
    fast = ndcg_score(relevance, score, qid=qid, k=k, ignore_ties=True)
    assert abs(fast - reference) < 1e-12
    assert abs(fast - ndcg_score(relevance, score, qid=qid, k=k)) < 1e-12


@pytest.mark.parametrize("k", [None, 3])
def test_per_query_weights_are_sklearn_sample_weight(k):
    """Weights constant within each query are scikit-learn's per-query weights; varying
    weights count by their mean over the query."""
    rng = np.random.default_rng(3)
    relevance, score, qid = ranking_data(3)
    reference = sklearn_per_query(relevance, score, qid, k=k)
    queries = np.unique(qid)
    query_weight = dict(zip(queries, rng.uniform(0, 3, len(queries)), strict=True))
    expected = np.average([*reference.values()], weights=[query_weight[q] for q in reference])
    weight = np.array([query_weight[q] for q in qid])
    assert abs(ndcg_score(relevance, score, qid=qid, k=k, sample_weight=weight) - expected) < 1e-12
    row_weight = weight * rng.uniform(0.5, 1.5, size=len(weight))
    mean_weight = [row_weight[qid == q].mean() for q in reference]
    expected = np.average([*reference.values()], weights=mean_weight)
    weighted = ndcg_score(relevance, score, qid=qid, k=k, sample_weight=row_weight)
    assert abs(weighted - expected) < 1e-12


def test_equal_sized_queries_match_one_weighted_sklearn_call():
    rng = np.random.default_rng(4)
    relevance = rng.integers(0, 4, size=(30, 8)).astype(float)
    score = rng.integers(0, 5, size=(30, 8)).astype(float)
    weight = rng.uniform(0, 2, size=30)
    qid = np.repeat(np.arange(30), 8)
    for k in (None, 4):
        ours = ndcg_score(
            relevance.ravel(), score.ravel(), qid=qid, k=k, sample_weight=np.repeat(weight, 8)
        )
        assert abs(ours - sklearn_ndcg_score(relevance, score, k=k, sample_weight=weight)) < 1e-12


# -- ndcg_score edge cases and errors -----------------------------------------------------
def test_single_document_queries_are_left_out():
    relevance, score, qid = ranking_data(5)
    value = ndcg_score(relevance, score, qid=qid)
    for extra_relevance in (0.0, 4.0):
        more = ndcg_score(
            np.r_[relevance, extra_relevance], np.r_[score, 1.0], qid=np.r_[qid, -1], k=2
        )
        assert more == pytest.approx(ndcg_score(relevance, score, qid=qid, k=2), rel=1e-15)
    with pytest.raises(ValueError, match="at least two documents"):
        ndcg_score([1.0, 0.0], [0.3, 0.2], qid=[1, 2])
    assert 0 < value < 1


def test_queries_without_relevant_documents_score_zero():
    assert ndcg_score([0, 0, 0], [1, 2, 3], qid=[4, 4, 4]) == 0.0
    assert sklearn_ndcg_score([[0, 0, 0]], [[1, 2, 3]]) == 0.0
    assert ndcg_score([0, 0, 2, 1], [1, 2, 3, 0], qid=[4, 4, 5, 5]) == 0.5


def test_perfect_and_reversed_rankings():
    relevance, _, qid = ranking_data(6)
    assert ndcg_score(relevance, relevance, qid=qid) == pytest.approx(
        np.mean([*sklearn_per_query(relevance, relevance, qid).values()]), abs=1e-15
    )
    relevant = [q for q in np.unique(qid) if (qid == q).sum() > 1 and relevance[qid == q].any()]
    keep = np.isin(qid, relevant)
    assert ndcg_score(relevance[keep], relevance[keep], qid=qid[keep]) == pytest.approx(1.0)
    assert ndcg_score(relevance[keep], -relevance[keep], qid=qid[keep]) < 0.9


def test_row_order_and_query_labels_do_not_matter():
    relevance, score, qid = ranking_data(7)
    order = np.random.default_rng(7).permutation(len(qid))
    names = np.array([f"query-{q}" for q in qid])
    for k in (None, 3):
        expected = ndcg_score(relevance, score, qid=qid, k=k)
        moved = ndcg_score(relevance[order], score[order], qid=names[order], k=k)
        assert moved == pytest.approx(expected, rel=1e-14)
    big_k = ndcg_score(relevance, score, qid=qid, k=10**6)
    assert big_k == pytest.approx(ndcg_score(relevance, score, qid=qid), rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"qid": None}, "needs qid.*enable_metadata_routing"),
        ({"qid": [1, 1, 2]}, "query of each of the 4 rows"),
        ({"qid": [[1, 1, 2, 2]]}, "query of each of the 4 rows"),
        ({"qid": [1.0, 1.0, np.nan, 2.0]}, "NaN"),
        ({"qid": [1, 1, 2, 2], "k": 0}, "k must be an integer"),
        ({"qid": [1, 1, 2, 2], "k": 2.5}, "k must be an integer"),
        ({"qid": [1, 1, 2, 2], "k": True}, "k must be an integer"),
        ({"qid": [1, 1, 2, 2], "sample_weight": [1, 1, -1, 1]}, "non-negative"),
        ({"qid": [1, 1, 2, 2], "sample_weight": [0, 0, 0, 0]}, "zero on every query"),
        ({"qid": [1, 1, 2, 2], "sample_weight": [1, 1, 1]}, "sample_weight has shape"),
    ],
)
def test_ndcg_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ndcg_score([1.0, 0.0, 2.0, 1.0], [0.1, 0.2, 0.3, 0.4], **kwargs)


def test_ndcg_input_errors():
    with pytest.raises(TypeError, match="qid"):
        ndcg_score([1.0, 0.0], [0.1, 0.2])
    with pytest.raises(ValueError, match="different lengths"):
        ndcg_score([1.0, 0.0], [0.1, 0.2, 0.3], qid=[1, 1])
    with pytest.raises(ValueError, match="non-negative relevances"):
        ndcg_score([1.0, -1.0], [0.1, 0.2], qid=[1, 1])
    with pytest.raises(ValueError, match="NaN"):
        ndcg_score([1.0, 0.0], [0.1, np.nan], qid=[1, 1])


# -- mean_loss of the ranking losses ------------------------------------------------------
class PairSquaredHingeLoss(BatchLoss):
    """``max(0, 1 - (f_i - f_j))**2`` over the pairs of a group with ``y_i > y_j``,
    weighted ``s_i s_j``, over ``S``: a ranking loss written in the test, by an
    explicit loop over the groups."""

    task = "ranking"
    needs_groups = True

    def weighted_sums(self, y_true, raw_prediction, sample_weight=None, groups=None):
        y, f = np.ravel(y_true), np.ravel(raw_prediction)
        s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        groups = np.zeros(len(y)) if groups is None else np.asarray(groups)
        total = 0.0
        for group in np.unique(groups):
            rows = np.flatnonzero(groups == group)
            above = y[rows][:, None] > y[rows][None, :]
            margin = np.maximum(0, 1 - (f[rows][:, None] - f[rows][None, :])) ** 2
            total += (np.sqrt(np.outer(s[rows], s[rows])) * margin)[above].sum()
        return np.array([total])

    def batch_loss(self, y_true, raw_prediction, sample_weight=None, groups=None):
        total = len(y_true) if sample_weight is None else np.sum(sample_weight)
        return self.weighted_sums(y_true, raw_prediction, sample_weight, groups) / total


def brute_force_pairs(phi, relevance, score, qid, weight):
    """The pairwise mean loss by a double loop over all pairs of rows (a pair weighs the
    geometric mean of its rows' weights)."""
    total = 0.0
    for i in range(len(relevance)):
        for j in range(len(relevance)):
            if qid[i] == qid[j] and relevance[i] > relevance[j]:
                total += np.sqrt(weight[i] * weight[j]) * phi(score[i] - score[j])
    return total / weight.sum()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", [*PAIR_LOSSES, "squared_pairs"])
def test_mean_loss_of_a_pairwise_loss_is_the_sum_over_pairs(name, weighted, monkeypatch):
    monkeypatch.setitem(LOSSES, "squared_pairs", PairSquaredHingeLoss)
    phi = PAIR_LOSSES.get(name, lambda d: max(0.0, 1.0 - d) ** 2)
    relevance, score, qid = ranking_data(8, n_queries=15)
    score = score + np.random.default_rng(8).normal(scale=0.5, size=len(score))
    weight = np.random.default_rng(9).uniform(0, 2, len(qid)) if weighted else None
    expected = brute_force_pairs(
        phi, relevance, score, qid, np.ones(len(qid)) if weight is None else weight
    )
    value = mean_loss(name, relevance, score, qid=qid, sample_weight=weight)
    assert value == pytest.approx(expected, rel=1e-12)
    names = np.array([f"q{q}" for q in qid])
    assert mean_loss(name, relevance, score, qid=names, sample_weight=weight) == pytest.approx(
        expected, rel=1e-12
    )


@pytest.mark.parametrize("name", RANKING_NAMES)
def test_mean_loss_of_a_ranking_loss_sums_over_queries(name):
    """The weighted total is the sum of each query's on its own; without qid the rows
    are one query; the order of the rows does not matter."""
    rng = np.random.default_rng(10)
    relevance, score, qid = ranking_data(10, n_queries=12)
    score = score + rng.normal(size=len(score))
    weight = rng.uniform(0.1, 2, len(qid))
    value = mean_loss(name, relevance, score, qid=qid, sample_weight=weight)
    totals = [
        weight[qid == q].sum()
        * mean_loss(name, relevance[qid == q], score[qid == q], sample_weight=weight[qid == q])
        for q in np.unique(qid)
    ]
    assert value == pytest.approx(sum(totals) / weight.sum(), rel=1e-10)
    assert value != pytest.approx(mean_loss(name, relevance, score, qid=qid), rel=1e-6)
    order = rng.permutation(len(qid))
    moved = mean_loss(
        name, relevance[order], score[order], qid=qid[order], sample_weight=weight[order]
    )
    assert moved == pytest.approx(value, rel=1e-12)
    one_query = mean_loss(name, relevance, score, qid=np.zeros(len(qid)))
    assert mean_loss(name, relevance, score) == pytest.approx(one_query, rel=1e-12)
    with pytest.raises(ValueError, match="query of each of"):
        mean_loss(name, relevance, score, qid=qid[1:])
    with pytest.raises(ValueError, match="labels and pos_label"):
        mean_loss(name, relevance, score, qid=qid, labels=[0, 1])


@pytest.mark.parametrize("name", ["squared_error", "huber"])
def test_qid_does_not_change_a_per_sample_loss(name):
    relevance, score, qid = ranking_data(11)
    assert mean_loss(name, relevance, score, qid=qid) == mean_loss(name, relevance, score)
    with pytest.raises(ValueError, match="query of each of"):
        mean_loss(name, relevance, score, qid=qid[:-1])


# -- scorers ------------------------------------------------------------------------------
class TinyRanker(BaseEstimator):
    """Ridge regression of the relevance centred within each query (a stand-in ranker:
    it needs ``qid`` in ``fit``, so a search that runs proves that ``qid`` was routed)."""

    __metadata_request__fit = {"qid": True}

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y, qid=None):
        if qid is None:
            raise ValueError("TinyRanker.fit needs qid")
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        codes = np.unique(qid, return_inverse=True)[1]
        sizes = np.bincount(codes)[:, None]
        X_centred = X - (np.vstack([np.bincount(codes, c) for c in X.T]).T / sizes)[codes]
        y_centred = y - (np.bincount(codes, y) / sizes[:, 0])[codes]
        gram = X_centred.T @ X_centred + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, X_centred.T @ y_centred)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_


@pytest.fixture(scope="module")
def ranking_set():
    return ranking_data(12, n_queries=60, max_size=15, n_features=5)


def test_scorers_are_the_metrics_of_predict(ranking_set):
    X, relevance, qid = ranking_set
    ranker = TinyRanker().fit(X, relevance, qid=qid)
    scores = ranker.predict(X)
    weight = np.random.default_rng(13).uniform(0, 2, len(qid))
    for name, k in [("ndcg", None), ("ndcg@10", 10), ("ndcg@1", 1)]:
        scorer = get_scorer(name)
        assert scorer(ranker, X, relevance, qid=qid) == ndcg_score(relevance, scores, qid=qid, k=k)
        assert scorer(ranker, X, relevance, qid=qid, sample_weight=weight) == ndcg_score(
            relevance, scores, qid=qid, k=k, sample_weight=weight
        )
    for name in RANKING_NAMES:
        for scorer in (get_scorer(scorer_name(name)), make_loss_scorer(name)):
            assert scorer(ranker, X, relevance, qid=qid) == pytest.approx(
                -mean_loss(name, relevance, scores, qid=qid), rel=1e-12
            )
            assert scorer(ranker, X, relevance, qid=qid, sample_weight=weight) == pytest.approx(
                -mean_loss(name, relevance, scores, qid=qid, sample_weight=weight), rel=1e-12
            )


def test_scorer_names_and_reprs():
    names = get_scorer_names()
    assert "ndcg" in names and names == sorted(names)
    assert {scorer_name(name) for name in RANKING_NAMES} <= set(names)
    assert repr(get_scorer("ndcg")) == "make_ndcg_scorer()"
    assert repr(get_scorer("ndcg@10")) == "make_ndcg_scorer(k=10)"
    assert (
        repr(make_ndcg_scorer(k=3, ignore_ties=True)) == "make_ndcg_scorer(k=3, ignore_ties=True)"
    )
    for bad in ("ndcg@0", "ndcg@", "ndcg@x", "ndcg@-2", "ndcg@+3", "ndcg@ 3", "ndcg@2.5"):
        with pytest.raises(ValueError, match="ndcg@k with an integer k >= 1"):
            get_scorer(bad)
    with pytest.raises(ValueError, match="k must be an integer"):
        make_ndcg_scorer(k=0)
    with pytest.raises(ValueError, match="ndcg and ndcg@k"):
        get_scorer("ndcg_at_10")


def test_scorers_request_qid_unless_told_otherwise():
    def requests(scorer):
        return scorer.get_metadata_routing().score.requests

    for scorer in (get_scorer("ndcg@5"), *(make_loss_scorer(name) for name in RANKING_NAMES)):
        assert requests(scorer)["qid"] is True
    for name in ("squared_error", "hinge", "dice"):
        assert requests(make_loss_scorer(name))["qid"] is False  # its value ignores queries
    with sklearn.config_context(enable_metadata_routing=True):
        weighted = requests(get_scorer("ndcg@5").set_score_request(sample_weight=True))
        assert weighted["qid"] is True and weighted["sample_weight"] is True
        assert requests(get_scorer("ndcg").set_score_request(qid=False))["qid"] is False
        assert requests(get_scorer("ndcg").set_score_request(qid="query"))["qid"] == "query"


def test_a_scorer_without_qid_says_how_to_route_it(ranking_set):
    X, relevance, qid = ranking_set
    ranker = TinyRanker().fit(X, relevance, qid=qid)
    with pytest.raises(ValueError, match="needs qid.*enable_metadata_routing"):
        get_scorer("ndcg@10")(ranker, X, relevance)
    search = GridSearchCV(
        TinyRanker(),
        {"alpha": [1.0]},
        cv=GroupKFold(3),
        scoring=get_scorer("ndcg@10"),
        error_score="raise",
    )
    with pytest.raises(ValueError, match="needs qid.*enable_metadata_routing"):
        search.fit(X, relevance, qid=qid, groups=qid)  # without routing qid reaches fit only


def test_scorers_pickle(ranking_set):
    X, relevance, qid = ranking_set
    ranker = TinyRanker().fit(X, relevance, qid=qid)
    for scorer in (get_scorer("ndcg@10"), get_scorer(scorer_name(RANKING_NAMES[0]))):
        copy = pickle.loads(pickle.dumps(scorer))
        assert copy(ranker, X, relevance, qid=qid) == scorer(ranker, X, relevance, qid=qid)


def manual_fold_scores(estimator, X, relevance, qid, metric):
    scores = []
    for train, test in GroupKFold(3).split(X, relevance, groups=qid):
        fold = clone(estimator).fit(X[train], relevance[train], qid=qid[train])
        scores.append(metric(relevance[test], fold.predict(X[test]), qid[test]))
    return scores


def grid_search_check(estimator, grid, X, relevance, qid):
    """GridSearchCV + GroupKFold + routed qid: every split score is the metric of the
    estimator refitted on the split's training queries, on its test queries."""
    loss_name = RANKING_NAMES[0]
    scoring = {
        "ndcg@10": get_scorer("ndcg@10"),
        "pairs": get_scorer(scorer_name(loss_name)),
        "mse": get_scorer("neg_mean_squared_error"),  # declines qid: it does not need it
    }
    metrics = {
        "ndcg@10": lambda y, f, q: ndcg_score(y, f, qid=q, k=10),
        "pairs": lambda y, f, q: -mean_loss(loss_name, y, f, qid=q),
        "mse": lambda y, f, q: -mean_loss("squared_error", y, f),
    }
    with sklearn.config_context(enable_metadata_routing=True):
        single = GridSearchCV(estimator, grid, cv=GroupKFold(3), scoring=get_scorer("ndcg@10"))
        single.fit(X, relevance, qid=qid, groups=qid)
        multi = GridSearchCV(estimator, grid, cv=GroupKFold(3), scoring=scoring, refit="ndcg@10")
        multi.fit(X, relevance, qid=qid, groups=qid)
    assert multi.best_params_ == single.best_params_
    for index, params in enumerate(multi.cv_results_["params"]):
        candidate = clone(estimator).set_params(**params)
        for key, metric in metrics.items():
            expected = manual_fold_scores(candidate, X, relevance, qid, metric)
            found = [multi.cv_results_[f"split{k}_test_{key}"][index] for k in range(3)]
            assert_allclose(found, expected, rtol=1e-10)
        found = [single.cv_results_[f"split{k}_test_score"][index] for k in range(3)]
        assert_allclose(found, manual_fold_scores(candidate, X, relevance, qid, metrics["ndcg@10"]))
    return single


def test_grid_search_with_group_kfold_and_routed_qid(ranking_set):
    X, relevance, qid = ranking_set
    search = grid_search_check(TinyRanker(), {"alpha": [1e-3, 1e2, 1e5]}, X, relevance, qid)
    assert search.best_params_["alpha"] < 1e5  # a huge ridge forgets the features
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            TinyRanker(),
            X,
            relevance,
            cv=GroupKFold(3),
            scoring=get_scorer("ndcg"),
            params={"qid": qid, "groups": qid},
        )
    expected = manual_fold_scores(
        TinyRanker(), X, relevance, qid, lambda y, f, q: ndcg_score(y, f, qid=q)
    )
    assert_allclose(scores, expected, rtol=1e-12)


def test_grid_search_of_sgd_ranker(ranking_set):
    X, relevance, qid = ranking_set
    ranker = SGDRanker(random_state=0, max_iter=5, tol=None)  # routing, not accuracy, is tested
    grid_search_check(ranker, {"alpha": [1e-4, 1e-1]}, X, relevance, qid)


@pytest.mark.parametrize("name", RANKING_NAMES)
def test_scorers_of_sgd_ranker(name, ranking_set):
    X, relevance, qid = ranking_set
    ranker = SGDRanker(loss=name, random_state=0, max_iter=5, tol=None).fit(X, relevance, qid=qid)
    scores = ranker.predict(X)
    assert get_scorer("ndcg@10")(ranker, X, relevance, qid=qid) == ndcg_score(
        relevance, scores, qid=qid, k=10
    )
    assert get_scorer(scorer_name(name))(ranker, X, relevance, qid=qid) == pytest.approx(
        -mean_loss(name, relevance, scores, qid=qid), rel=1e-12
    )
