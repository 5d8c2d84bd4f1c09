"""Ranking: SGDRanker against the exact RankSVM, side by side in one run.

RankSVM minimises ``1/2 |w|^2 + C sum_pairs max(0, 1 - w (x_i - x_j))`` over the pairs of
rows of a query with ``y_i > y_j``; ``SGDRanker(loss="pairwise_hinge", alpha=a)``
minimises the same objective divided by ``C``, with ``C = 1 / (a n)``. The exact peer is
``LinearSVC`` (liblinear's dual coordinate descent) on the explicit pair differences, the
standard RankSVM reduction; its time is given with and without forming the pairs. Also a
pointwise ``SGDRegressor`` on the relevances, for held-out NDCG@10.

Data: queries of 10 rows in shuffled row order; within each query the rows are graded
3, 2, 2, 1, 1, 0, ... by a noisy linear score, and each query shifts three features by
an offset of its own (relative relevance and a query effect, as in search). SGDRanker is
timed on the rows in random order and sorted by query (then its batches are views).

    python benchmarks/ranking.py [--queries 10000] [--repeats 3]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.svm import LinearSVC

from sklosses import SGDRanker, SGDRegressor
from sklosses.losses import PairwiseHingeLoss
from sklosses.metrics import ndcg_score

ALPHA = 1e-4


def ranking_data(n_queries, per_query=10, n_features=20, seed=0):
    rng = np.random.default_rng(seed)
    qid = np.repeat(np.arange(n_queries), per_query)
    rng.shuffle(qid)
    coef = rng.normal(size=n_features)
    offsets = np.zeros((n_queries, n_features))
    offsets[:, :3] = 4 * rng.normal(size=(n_queries, 3))  # e.g. a query's popularity
    X = rng.normal(size=(len(qid), n_features)) + offsets[qid]
    noisy = X @ coef + rng.normal(size=len(qid))
    order = np.lexsort((-noisy, qid))
    rank = np.empty(len(qid), dtype=int)
    rank[order] = np.arange(len(qid)) - np.repeat(np.arange(n_queries) * per_query, per_query)
    grades = np.zeros(per_query)
    grades[:5] = [3, 2, 2, 1, 1]
    return X, grades[rank], qid


def pair_differences(X, relevance, qid):
    order = np.argsort(qid, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(qid[order]) != 0])
    size = int(np.diff(np.r_[starts, len(qid)]).max())
    i, j = np.triu_indices(size, 1)
    first, second = order[starts[:, None] + i].ravel(), order[starts[:, None] + j].ravel()
    above = relevance[first] > relevance[second]
    below = relevance[first] < relevance[second]
    hi = np.r_[first[above], second[below]]
    lo = np.r_[second[above], first[below]]
    return X[hi] - X[lo]


def objective(X, relevance, qid, coef):
    sums = PairwiseHingeLoss(max_pairs_per_group=None).weighted_sums(
        relevance[:, None], (X @ coef)[:, None], groups=qid
    )
    return float(sums.sum()) / len(X) + ALPHA / 2 * coef @ coef


def ranksvm(X, relevance, qid):
    start = time.perf_counter()
    D = pair_differences(X, relevance, qid)
    formed = time.perf_counter()
    svc = LinearSVC(loss="hinge", fit_intercept=False, C=1 / (2 * ALPHA * len(X)), tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svc.fit(np.vstack([D, -D]), np.r_[np.ones(len(D)), -np.ones(len(D))])
    end = time.perf_counter()
    return svc.coef_[0], end - start, end - formed, len(D)


def median_time(fit, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, relevance, qid = ranking_data(args.queries + args.queries // 4)
    train = qid < args.queries
    test = ~train
    Xt, yt, qt = X[train], relevance[train], qid[train]

    ours_s, ranker = median_time(
        lambda: SGDRanker(alpha=ALPHA, random_state=0).fit(Xt, yt, qid=qt), args.repeats
    )
    by_query = np.argsort(qt, kind="stable")  # rows sorted by query, as LTR files are
    Xs, ys, qs = np.ascontiguousarray(Xt[by_query]), yt[by_query], qt[by_query]
    sorted_s, sorted_ranker = median_time(
        lambda: SGDRanker(alpha=ALPHA, random_state=0).fit(Xs, ys, qid=qs), args.repeats
    )
    runs = [ranksvm(Xt, yt, qt) for _ in range(args.repeats)]
    exact_coef, _, _, n_pairs = runs[0]
    exact_total = statistics.median(run[1] for run in runs)
    exact_solve = statistics.median(run[2] for run in runs)
    point_s, pointwise = median_time(lambda: SGDRegressor(random_state=0).fit(Xt, yt), args.repeats)
    lambda_s, lambdarank = median_time(
        lambda: SGDRanker(loss="lambdarank", random_state=0).fit(Xt, yt, qid=qt), args.repeats
    )

    exact_objective = objective(Xt, yt, qt, exact_coef)
    print(
        f"ranking: {len(Xt):,} rows in {args.queries:,} queries x {X.shape[1]} features, "
        f"{n_pairs:,} ordered pairs; held out {test.sum():,} rows; alpha={ALPHA}; "
        f"medians of {args.repeats} fits"
    )
    header = f"{'model':<36} {'fit s':>8} {'objective':>11} {'gap %':>9} {'NDCG@10':>8}"
    print(header)
    print("-" * len(header))
    rows = [
        ("SGDRanker(pairwise_hinge) defaults", ours_s, ranker.coef_),
        ("  same, rows sorted by query", sorted_s, sorted_ranker.coef_),
        ("RankSVM: LinearSVC on pairs (total)", exact_total, exact_coef),
        ("  of which LinearSVC.fit", exact_solve, None),
        ("pointwise SGDRegressor defaults", point_s, pointwise.coef_),
        ("SGDRanker(lambdarank) defaults", lambda_s, lambdarank.coef_),
    ]
    for name, seconds, coef in rows:
        if coef is None:
            print(f"{name:<36} {seconds:>8.3f}")
            continue
        value = objective(Xt, yt, qt, coef)
        ndcg = ndcg_score(relevance[test], X[test] @ coef, qid=qid[test], k=10)
        gap = 100 * (value / exact_objective - 1)
        print(f"{name:<36} {seconds:>8.3f} {value:>11.6f} {gap:>+9.4f} {ndcg:>8.4f}")
    print(
        f"time ratio SGDRanker / RankSVM: {ours_s / exact_total:.2f} (total), "
        f"{ours_s / exact_solve:.2f} (LinearSVC.fit alone); rows sorted by query: "
        f"{sorted_s / exact_total:.2f}, {sorted_s / exact_solve:.2f}"
    )


if __name__ == "__main__":
    main()
