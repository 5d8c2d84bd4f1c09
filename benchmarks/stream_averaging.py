"""partial_fit on a stream: the averaged model (``average="auto"``, the default) against the
last iterate (``average=False``), as the gap of each to the exact optimum.

Usage::

    python benchmarks/stream_averaging.py

100k rows of 50 correlated standardised columns (``exact_solvers.standardised_problem``)
arrive in chunks of 10 to 10,000 rows, each passed to ``partial_fit`` once; the optimum is
a default ``fit`` at ``tol=1e-10`` on all the rows.
"""

import warnings

import numpy as np
from exact_solvers import standardised_problem

from sklosses import SGDClassifier, SGDRegressor

N_SAMPLES, N_FEATURES = 100_000, 50
CHUNKS = (10, 100, 1_000, 10_000)


def objective(task, X, y, model):
    raw = X @ model.coef_.ravel() + model.intercept_[0]
    if task == "regression":
        loss = np.mean((y - raw) ** 2)
    else:
        loss = np.mean(np.logaddexp(0, raw) - y * raw)
    return loss + model.alpha_ * 0.5 * np.sum(model.coef_**2)


def streamed(estimator, X, y, chunk, classes):
    for start in range(0, len(X), chunk):
        rows = slice(start, start + chunk)
        estimator.partial_fit(X[rows], y[rows], **({"classes": classes} if classes else {}))
    return estimator


def main():
    warnings.simplefilter("ignore")
    print("loss | chunk rows | averaged gap % | last iterate gap %")
    for task, estimator, settings in (
        ("regression", SGDRegressor, {}),
        ("binary", SGDClassifier, {"loss": "log_loss"}),
    ):
        X, y, _, _ = standardised_problem(N_SAMPLES, N_FEATURES, task, seed=0)
        best = estimator(**settings, tol=1e-10, max_iter=1000).fit(X, y).objective_
        classes = [0, 1] if task == "binary" else None
        name = "log_loss" if settings else "squared_error"
        for chunk in CHUNKS:
            gaps = []
            for average in ("auto", False):
                model = estimator(**settings, average=average, random_state=0)
                value = objective(task, X, y, streamed(model, X, y, chunk, classes))
                gaps.append(100 * (value / best - 1))
            print(f"{name} | {chunk} | {gaps[0]:.3f} | {gaps[1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
