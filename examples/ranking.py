"""
Learning to rank: SGDRanker against a pointwise regression, by NDCG@10 on held-out queries
==========================================================================================

A search-like data set, generated here: 1,200 queries of 20 documents with 10 features.
Relevance is relative, as in search: within each query the documents are graded 3, 2, 2,
1, 1, 1 (the rest 0) by a noisy linear score, and every query shifts three of the features
by an offset of its own (a query effect that changes no order within the query, as a
query's popularity would). A pointwise model (``SGDRegressor`` on the grades) has to explain the
offsets; the ranking losses only compare documents of the same query.

The script trains ``SGDRanker`` with each ranking loss (``pairwise_hinge`` = RankSVM,
``pairwise_logistic`` = RankNet, ``listwise_softmax`` = ListNet) on 1,000 queries and
prints NDCG@10 on the 200 others, with the pointwise model for comparison; then it tunes
``alpha`` by grouped cross-validation with the ``ndcg@10`` scorer, ``qid`` routed through
scikit-learn's metadata routing.

Run: ``python examples/ranking.py``
"""

import time

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklosses import SGDRanker, SGDRegressor
from sklosses.metrics import get_scorer, ndcg_score


def make_queries(n_queries, per_query=20, n_features=10, seed=0):
    """Features, graded relevance and query ids (rows in random order)."""
    rng = np.random.default_rng(seed)
    qid = rng.permutation(np.repeat(np.arange(n_queries), per_query))
    coef = rng.normal(size=n_features)
    offsets = np.zeros((n_queries, n_features))
    offsets[:, :3] = 4 * rng.normal(size=(n_queries, 3))  # e.g. a query's popularity
    X = rng.normal(size=(len(qid), n_features)) + offsets[qid]
    noisy = X @ coef + 2 * rng.normal(size=len(qid))
    grades = np.zeros(per_query)
    grades[:6] = [3, 2, 2, 1, 1, 1]
    relevance = np.empty(len(qid))
    for query in range(n_queries):
        rows = np.flatnonzero(qid == query)
        relevance[rows[np.argsort(-noisy[rows])]] = grades
    return X, relevance, qid


def main():
    X, relevance, qid = make_queries(1200)
    train, test = qid < 1000, qid >= 1000

    def held_out_ndcg(model):
        return ndcg_score(relevance[test], model.predict(X[test]), qid=qid[test], k=10)

    print(f"{train.sum():,} training rows in 1,000 queries; NDCG@10 on 200 held-out queries\n")
    print(f"{'model':<38}{'NDCG@10':>9}{'fit s':>8}")
    start = time.perf_counter()
    pointwise = SGDRegressor(random_state=0).fit(X[train], relevance[train])
    seconds = time.perf_counter() - start
    print(
        f"{'pointwise SGDRegressor (squared)':<38}{held_out_ndcg(pointwise):>9.4f}{seconds:>8.2f}"
    )
    for loss in ("pairwise_hinge", "pairwise_logistic", "listwise_softmax"):
        start = time.perf_counter()
        ranker = SGDRanker(loss=loss, random_state=0).fit(
            X[train], relevance[train], qid=qid[train]
        )
        seconds = time.perf_counter() - start
        print(f"{'SGDRanker(' + loss + ')':<38}{held_out_ndcg(ranker):>9.4f}{seconds:>8.2f}")

    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            SGDRanker(loss="pairwise_logistic", random_state=0),
            {"alpha": [1e-5, 1e-3, 1e-1]},
            cv=GroupKFold(n_splits=3),
            scoring=get_scorer("ndcg@10"),
        ).fit(X[train], relevance[train], qid=qid[train], groups=qid[train])
    print(
        f"\nGridSearchCV over alpha (GroupKFold, routed ndcg@10): best {search.best_params_}, "
        f"cross-validated NDCG@10 {search.best_score_:.4f}, "
        f"held out {held_out_ndcg(search.best_estimator_):.4f}"
    )


if __name__ == "__main__":
    main()
