"""L1 and elastic-net penalties at default settings: time and objective gap against the
solvers a user would otherwise pick, in one run.

Usage::

    python benchmarks/l1_penalties.py [--repeats 3]

For the squared loss the peers are scikit-learn's ``Lasso`` / ``ElasticNet`` (coordinate
descent; ``alpha / 2``: their squared loss carries a 1/2) and its ``SGDRegressor``; for the
log loss ``LogisticRegression(solver="saga")`` (the only solver of the elastic net) and
``SGDClassifier``, each at its own defaults, mapped to the sklosses objective
``mean loss + alpha (r ||w||_1 + (1 - r) / 2 ||w||^2)`` (``alpha = 1e-4``, or a larger one to
zero coefficients; ``r = 1`` for "l1", ``l1_ratio`` for "elasticnet"). The gap of each fit is
measured against the lowest objective any implementation reaches with tight settings
(sklosses ``tol=1e-10``, coordinate descent ``tol=1e-12``). Ratios are sklosses' time over
the implementation's (medians of ``--repeats``, implementations interleaved).
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import real_data
import sklearn.linear_model as sk
from exact_solvers import standardised_problem

from sklosses import SGDClassifier, SGDRegressor

L1_RATIO = 0.5


def objective(task, X, y, coef, intercept, alpha, l1):
    """The sklosses objective of ``(coef, intercept)`` (``l1``: the L1 share of ``alpha``)."""
    raw = X @ coef + intercept
    if task == "regression":
        loss = np.mean((y - raw) ** 2)
    else:
        loss = np.mean(np.logaddexp(0, raw) - y * raw)
    return loss + alpha * (l1 * np.abs(coef).sum() + (1 - l1) / 2 * coef @ coef)


def implementations(task, penalty, alpha, n_samples):
    """``{name: (factory, tight factory or None)}`` for this task and penalty."""
    l1 = 1.0 if penalty == "l1" else L1_RATIO
    settings = dict(penalty=penalty, alpha=alpha, l1_ratio=L1_RATIO, random_state=0)
    if task == "regression":
        ours = (
            lambda: SGDRegressor(**settings),
            lambda: SGDRegressor(**settings, tol=1e-10, max_iter=10_000),
        )
        cd = (
            (lambda: sk.Lasso(alpha=alpha / 2), lambda: sk.Lasso(alpha=alpha / 2, tol=1e-12))
            if penalty == "l1"
            else (
                lambda: sk.ElasticNet(alpha=alpha / 2, l1_ratio=l1),
                lambda: sk.ElasticNet(alpha=alpha / 2, l1_ratio=l1, tol=1e-12),
            )
        )
        sgd = sk.SGDRegressor(penalty=penalty, alpha=alpha / 2, l1_ratio=l1, random_state=0)
        return {
            "sklosses defaults": ours,
            "Lasso / ElasticNet": cd,
            "sklearn SGD": (lambda: sgd, None),
        }
    ours = (
        lambda: SGDClassifier(loss="log_loss", **settings),
        lambda: SGDClassifier(loss="log_loss", **settings, tol=1e-10, max_iter=10_000),
    )
    saga = sk.LogisticRegression(
        C=1 / (n_samples * alpha), solver="saga", l1_ratio=l1, penalty="elasticnet"
    )
    sgd = sk.SGDClassifier(
        loss="log_loss", penalty=penalty, alpha=alpha, l1_ratio=l1, random_state=0
    )
    return {
        "sklosses defaults": ours,
        "LogisticRegression saga": (lambda: saga, None),
        "sklearn SGD": (lambda: sgd, None),
    }


def _model(estimator):
    return np.ravel(estimator.coef_), float(np.ravel(estimator.intercept_)[0])


def run_case(label, task, X, y, penalty, alpha, repeats):
    """Rows ``(label, penalty, alpha, implementation, seconds, gap %, zeros, ratio)``."""
    l1 = 1.0 if penalty == "l1" else L1_RATIO
    found = implementations(task, penalty, alpha, X.shape[0])
    best = np.inf
    for _, tight in found.values():
        if tight is not None:
            best = min(best, objective(task, X, y, *_model(tight().fit(X, y)), alpha, l1))
    times = {name: [] for name in found}
    models = {}
    for _ in range(repeats):
        for name, (factory, _) in found.items():
            start = time.perf_counter()
            models[name] = factory().fit(X, y)
            times[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(values) for name, values in times.items()}
    rows = []
    for name, model in models.items():
        coef, intercept = _model(model)
        value = objective(task, X, y, coef, intercept, alpha, l1)
        gap = 100 * (value - best) / best
        ratio = seconds["sklosses defaults"] / seconds[name]
        zeros = int(np.sum(coef == 0))
        rows.append((label, penalty, alpha, name, seconds[name], gap, zeros, ratio))
    return rows


def cases():
    """``(label, task, X, y)``: correlated synthetic data and real data sets."""
    for task in ("regression", "binary"):
        X, y, _, _ = standardised_problem(100_000, 50, task, seed=0)
        yield f"synthetic 100k x 50 ({task})", task, X, y
    for name in ("diabetes", "breast_cancer", "digits_8"):
        data = real_data.load(name)
        yield name, data.task, data.X, data.y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the peers' ConvergenceWarnings at their defaults
    header = ("data", "penalty", "alpha", "implementation", "fit s", "gap %", "zeros", "ratio")
    print(" | ".join(header))
    for label, task, X, y in cases():
        for penalty in ("l1", "elasticnet"):
            for alpha in (1e-4, 1e-2):
                for row in run_case(label, task, X, y, penalty, alpha, args.repeats):
                    cells = [*row[:3], row[3], f"{row[4]:.4f}", f"{row[5]:+.4f}", *row[6:7]]
                    print(" | ".join(str(cell) for cell in cells) + f" | {row[7]:.2f}", flush=True)
    print(
        "ratio = sklosses defaults' time / the implementation's; gap % above the lowest "
        "objective of the tight fits (sklosses tol=1e-10, coordinate descent tol=1e-12)"
    )


if __name__ == "__main__":
    main()
