"""Time to the optimum: sklosses at default settings against the exact solvers a user
would otherwise pick and scikit-learn's SGD, on real and synthetic data, in one run.

Usage::

    python benchmarks/time_to_optimum.py [--quick] [--repeats 3] [--only randhie ...]

For every (data set, loss) pair it fits sklosses with default settings
(``random_state=0``) and each peer with its own defaults (mapped to the same
objective where the peer can express it), and reports each one's fit time (median of
``--repeats`` rounds, implementations interleaved; a round of a fast fit repeats it for
``ROUND_SECONDS``) and its **training-objective gap** to the
certified exact minimiser of the sklosses objective (``benchmarks/real_data.py``:
L-BFGS / Newton / continuation with a Fenchel duality-gap certificate), then the
ratio of sklosses' time to the fastest exact peer's. The objective is
``mean loss + alpha_/2 ||w||^2`` with the ``alpha_`` the sklosses model used (1e-4,
or what ``alpha='auto'`` resolved to for a robust regression loss); peers that cannot
express it (unpenalised ``QuantReg``/``QuantileRegressor``, ``LinearSVC`` with its
penalised intercept) are scored on it all the same, so a small negative or positive
gap for them reflects that, not a failure.

Targets (issue 12): gap <= 0.1% everywhere; time <= the fastest exact peer's on data
sets of >= 10k rows and <= 2x on smaller ones, "at equal accuracy": an exact peer whose
defaults end more than 0.1% above the optimum is also run with its ``tol`` tightened
until it is within (a row of its own, ``LogisticRegression (tol=1e-05)``), and the
verdict compares with the fastest exact peer within 0.1% (with the fastest at its
defaults where none gets within: peers minimising another objective). The summary shows
the ratio to the fastest exact peer at its defaults as well. ``--quick`` leaves out the 1e6 x 100
problem and the kinked losses on 100k rows (``QUICK_SYNTHETIC``).
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
import real_data
import sklearn.linear_model as sk
from exact_solvers import standardised_problem
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import (
    HingeLoss,
    HuberLoss,
    LogLoss,
    MultinomialLogLoss,
    PoissonLoss,
    QuantileLoss,
    SquaredLoss,
)

try:
    import statsmodels.api as statsmodels
except ImportError:  # optional peer
    statsmodels = None

CASES = {
    "diabetes": [SquaredLoss(), HuberLoss(), QuantileLoss(0.5), QuantileLoss(0.9)],
    "engel": [SquaredLoss(), QuantileLoss(0.1), QuantileLoss(0.5), QuantileLoss(0.9)],
    "stackloss": [SquaredLoss(), QuantileLoss(0.5)],
    "star98": [SquaredLoss(), QuantileLoss(0.9)],
    "randhie": [PoissonLoss(), SquaredLoss()],
    "fair": [SquaredLoss(), QuantileLoss(0.5)],
    "breast_cancer": [LogLoss(), HingeLoss()],
    "digits_8": [LogLoss(), HingeLoss()],
    "iris": [MultinomialLogLoss()],
    "wine": [MultinomialLogLoss()],
    "digits": [MultinomialLogLoss(), LogLoss()],
}
SYNTHETIC = {
    "synthetic 100k x 50": (
        100_000,
        50,
        [SquaredLoss(), LogLoss(), QuantileLoss(0.9), HingeLoss()],
    ),
    "synthetic 1e6 x 100": (1_000_000, 100, [SquaredLoss(), LogLoss()]),
}
QUICK_SYNTHETIC = {"synthetic 100k x 50": (100_000, 50, [SquaredLoss(), LogLoss()])}
"""``--quick``: the kinked losses on 100k rows need minutes of reference (continuation on
100k rows) and of peers (QuantReg, LinearSVC); the full run has them."""
HIGHS_MAX_ROWS = 20_000
"""scikit-learn's ``QuantileRegressor`` (HiGHS) grows about with the square of the rows; on
100k rows one fit did not end within ten minutes."""


def peers(loss, n_samples, alpha):
    """``{name: (factory, exact)}``: the solvers a user would otherwise reach for, on
    the sklosses objective where they can express it (``exact`` marks exact solvers)."""
    name = type(loss).__name__
    if name == "SquaredLoss":  # scikit-learn's squared loss and SGD carry a factor 1/2
        return {
            "Ridge": (lambda: sk.Ridge(alpha=n_samples * alpha / 2), True),
            "sklearn SGD": (lambda: sk.SGDRegressor(alpha=alpha / 2, random_state=0), False),
        }
    if name == "HuberLoss":
        return {
            "sklearn SGD": (
                lambda: sk.SGDRegressor(
                    loss="huber", epsilon=loss.delta, alpha=alpha, random_state=0
                ),
                False,
            )
        }
    if name == "QuantileLoss":
        found = {}
        if n_samples <= HIGHS_MAX_ROWS:
            found["QuantileRegressor (HiGHS)"] = (
                lambda: sk.QuantileRegressor(quantile=loss.quantile, alpha=0.0, solver="highs"),
                True,
            )
        if statsmodels is not None:
            found["statsmodels QuantReg"] = (lambda: _QuantReg(loss.quantile), True)
        return found
    if name == "PoissonLoss":
        return {"PoissonRegressor": (lambda: sk.PoissonRegressor(alpha=alpha / 2), True)}
    if name in ("LogLoss", "MultinomialLogLoss"):
        return {
            "LogisticRegression": (lambda: sk.LogisticRegression(C=1 / (n_samples * alpha)), True),
            **(
                {}
                if name == "MultinomialLogLoss"
                else {
                    "sklearn SGD": (
                        lambda: sk.SGDClassifier(loss="log_loss", alpha=alpha, random_state=0),
                        False,
                    )
                }
            ),
        }
    if name == "HingeLoss":
        # LinearSVC penalises its intercept, so it minimises another objective: at its
        # defaults it ends 4-38% above ours on digits_8 / breast_cancer, and with
        # intercept_scaling=100-1000 and tol=1e-6-1e-8, to approach our unpenalised
        # intercept, it takes 0.5-55 s and still ends 8-105% above (liblinear's dual
        # coordinate descent crawls on the rescaled column). Not an exact peer, then.
        return {
            "LinearSVC": (
                lambda: LinearSVC(C=1 / (n_samples * alpha), loss="hinge", dual=True),
                False,
            ),
            "sklearn SGD": (lambda: sk.SGDClassifier(alpha=alpha, random_state=0), False),
        }
    return {}


class _QuantReg:
    """statsmodels ``QuantReg`` behind ``fit``/``coef_``/``intercept_``."""

    def __init__(self, quantile):
        self.quantile = quantile

    def fit(self, X, y):
        design = np.column_stack([np.ones(len(X)), X])
        params = statsmodels.QuantReg(y, design).fit(q=self.quantile).params
        self.coef_, self.intercept_ = params[1:], np.array([params[0]])
        return self


ROUND_SECONDS = 0.05
"""Each round of a fast fit repeats it for at least this long and counts the mean: a
millisecond fit timed once measures the cache and the clock as much as the fit."""


def fit_seconds(factory, X, y):
    """Seconds of one ``factory().fit(X, y)`` (the mean of as many fits as fill
    ``ROUND_SECONDS``, a fresh estimator each) and the last fitted model (warnings kept
    quiet: a peer that stops at its own max_iter is reported by its gap)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        n_fits, start = 0, time.perf_counter()
        while n_fits == 0 or time.perf_counter() - start < ROUND_SECONDS:
            model = factory().fit(X, y)
            n_fits += 1
        return (time.perf_counter() - start) / n_fits, model


def gap_percent(loss, X, Y, model, alpha, optimum):
    W, b = real_data.model_coefficients(model)
    if W.shape[1] != Y.shape[1]:  # a two-class model stored as one row for two columns
        return float("nan")
    value = real_data.objective(real_data.spec(loss), X, Y, W, b, alpha)
    return 100 * (value - optimum) / abs(optimum)


GAP_TARGET = 0.1
"""The objective gap, in percent, every fit should reach (issue 12)."""
TIGHTER_TOLS = 6
"""Decades an exact peer's ``tol`` is tightened by, at most, to reach ``GAP_TARGET``."""


def at_equal_accuracy(name, factory, X, y, gap_of):
    """``{label: (factory, True)}``: the exact peer ``factory`` with its ``tol`` tightened
    tenfold at a time (``max_iter`` 10,000) until its gap is within ``GAP_TARGET``, when
    its defaults miss it; empty when they meet it, when it has no ``tol``, or when no
    ``tol`` gets there (a peer minimising another objective: unpenalised, or the
    multinomial objective for one-vs-rest outputs). Issue 12 asks for sklosses' time
    against the exact solvers' "at equal accuracy"."""
    model = factory()
    if "tol" not in getattr(model, "get_params", dict)() or gap_of(model.fit(X, y)) <= GAP_TARGET:
        return {}
    tol = model.get_params()["tol"]
    for _ in range(TIGHTER_TOLS):
        tol /= 10
        tighter = lambda tol=tol: factory().set_params(tol=tol, max_iter=10_000)  # noqa: E731
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if gap_of(tighter().fit(X, y)) <= GAP_TARGET:
                return {f"{name} (tol={tol:g})": (tighter, True)}
    return {}


def run_case(label, X, y, task, loss, repeats):
    """One table row per implementation: time, gap, and sklosses' time ratios; and the
    summary row: sklosses' time against the fastest exact peer's, at the peers' defaults
    and at equal accuracy (:func:`at_equal_accuracy`), which the verdict reads."""
    estimator = SGDRegressor if task == "regression" else SGDClassifier
    ours = lambda: estimator(loss=loss, random_state=0)  # noqa: E731
    _, fitted = fit_seconds(ours, X, y)
    alpha = fitted.alpha_
    Y = real_data.encode(real_data.DataSet(label, X, y, task), loss)
    reference = real_data.exact_reference(loss, X, Y, alpha=alpha)
    gap_of = lambda model: gap_percent(loss, X, Y, model, alpha, reference.value)  # noqa: E731
    implementations = {"sklosses defaults": (ours, None), **peers(loss, len(y), alpha)}
    for name, (factory, exact) in list(implementations.items()):
        if exact:
            implementations.update(at_equal_accuracy(name, factory, X, y, gap_of))
    times = {name: [] for name in implementations}
    models = {}
    for _ in range(repeats):
        for name, (factory, _) in implementations.items():
            seconds, models[name] = fit_seconds(factory, X, y)
            times[name].append(seconds)
    ours_time = statistics.median(times["sklosses defaults"])
    gaps = {name: gap_of(models[name]) for name in implementations}
    exact = [name for name, (_, is_exact) in implementations.items() if is_exact]
    defaults = [statistics.median(times[name]) for name in exact if "(tol=" not in name]
    accurate = [statistics.median(times[name]) for name in exact if gaps[name] <= GAP_TARGET]
    rows = []
    for name in implementations:
        seconds, gap = statistics.median(times[name]), gaps[name]
        rows.append(
            [
                label,
                repr(loss),
                f"{X.shape[0]:,} x {X.shape[1]}",
                name,
                f"{seconds:.4f}",
                f"{gap:+.4f}",
                f"{ours_time / seconds:.2f}",
            ]
        )
    fastest = min(defaults) if defaults else None
    fastest_accurate = min(accurate) if accurate else None
    ours_gap = gaps["sklosses defaults"]
    limit = 1.0 if X.shape[0] >= 10_000 else 2.0
    # no exact peer within the gap target (one minimising another objective): its defaults
    compared = fastest if fastest_accurate is None else fastest_accurate
    verdict = (
        "met"
        if ours_gap <= GAP_TARGET and (compared is None or ours_time <= limit * compared)
        else "NOT MET"
    )
    ratio = lambda peer: "-" if peer is None else f"{ours_time / peer:.2f}"  # noqa: E731
    summary = [
        label,
        repr(loss),
        f"{ours_gap:+.4f}",
        f"{ours_time:.4f}",
        ratio(fastest),
        f"{ratio(fastest_accurate)} (<= {limit:g})",
        f"{reference.certified:.1e}",
        verdict,
    ]
    return rows, summary


def print_table(title, columns, rows):
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in enumerate(columns)]
    print(f"\n== {title}")
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    sys.stdout.flush()


def _progress(case_rows):
    """Print a case's rows as soon as they are measured (a long run stays readable)."""
    for row in case_rows:
        print(" | ".join(row), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="real data and the smooth losses on 100k x 50 only"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", help="data sets to run (default: all)")
    options = parser.parse_args(argv)
    rows, summaries = [], []
    for name, losses in CASES.items():
        if options.only and name not in options.only:
            continue
        dataset = real_data.load(name)
        for loss in losses:
            case_rows, summary = run_case(
                name, dataset.X, dataset.y, dataset.task, loss, options.repeats
            )
            rows += case_rows
            summaries.append(summary)
            _progress(case_rows)
    for name, (n_samples, n_features, losses) in (
        QUICK_SYNTHETIC if options.quick else SYNTHETIC
    ).items():
        if options.only and name not in options.only:
            continue
        for loss in losses:
            X, y, _, _ = standardised_problem(n_samples, n_features, loss.task, seed=0)
            task = "regression" if loss.task == "regression" else "binary"
            case_rows, summary = run_case(name, X, y, task, loss, options.repeats)
            rows += case_rows
            summaries.append(summary)
            _progress(case_rows)
    print_table(
        "Time to the optimum: every implementation",
        ["data", "loss", "shape", "implementation", "fit s", "gap %", "sklosses s / this s"],
        rows,
    )
    met = sum(summary[-1] == "met" for summary in summaries)
    print_table(
        f"Summary: {met} of {len(summaries)} targets met (gap <= 0.1%, time <= the "
        "fastest exact peer's at equal accuracy on >= 10k rows, <= 2x below)",
        [
            "data",
            "loss",
            "sklosses gap %",
            "sklosses s",
            "s / fastest exact peer",
            "at equal accuracy",
            "reference certified",
            "status",
        ],
        summaries,
    )


if __name__ == "__main__":
    main()
