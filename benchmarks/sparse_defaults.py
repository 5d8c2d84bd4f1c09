"""Sparse fits at default settings against the exact solvers of the same objective (issue 15).

Usage::

    python benchmarks/sparse_defaults.py [--quick] [--repeats N]

For every CSR data set x loss it fits sklosses at its defaults (only ``loss``, ``alpha=1e-4``
and ``random_state=0``), the exact solvers a user would otherwise pick at THEIR defaults
(``LogisticRegression`` lbfgs / liblinear / newton-cg, ``LinearSVC``, ``Ridge`` sparse_cg /
lsqr / sag) and scikit-learn's SGD at its defaults, all on the sklosses objective
``mean loss + alpha/2 ||w||^2`` (intercept unpenalised, squared error without the 1/2):

* ``LogisticRegression(C=1/(n alpha))`` and ``LinearSVC(loss="hinge", C=1/(n alpha))``
  minimise ``C sum loss + 1/2 ||w||^2``, the same minimiser; ``Ridge(alpha=n alpha/2)``
  minimises ``sum r^2 + alpha_ridge ||w||^2``, and ``SGDRegressor(alpha=alpha/2)`` its
  half-scaled squared loss, the same minimiser again.
* liblinear penalises the intercept as the coefficient of a constant column of value
  ``intercept_scaling``, i.e. by ``alpha/2 (b / intercept_scaling)^2``, another objective,
  scored on ours all the same. ``LogisticRegression(solver="liblinear")`` gets
  ``intercept_scaling=1e3`` (a negligible penalty; its primal Newton solver does not mind).
  ``LinearSVC`` keeps its default of 1: its dual coordinate descent crawls on a large
  constant column (20,000 x 20,000 hinge at its default tol and iterations: +0.00% in
  0.2 s at 1, +145% at 100, +570,000% at 1e3), and the intercepts here are near 0
  (labels split at the median), so ``alpha/2 b^2`` is ~1e-10 of the objective.

Every model is scored with ONE function per loss, ``real_data.objective`` (the losses
written again, independently of sklosses), and its gap is measured against the lowest
objective reached by any implementation run once more with tight settings (``tol=1e-10``,
many iterations; sklosses too for the losses of ``OURS_TIGHT``): "objective gap %".
Fit seconds are medians of ``--repeats`` with the implementations interleaved in each
repeat; the tight runs are timed once and only serve as the reference. All fits run inside
``threadpoolctl.threadpool_limits(1)``: BLAS threads fight on the loaded 2-core machine.
The summary says, per (data, loss), whether sklosses at defaults is within 0.1% of the
reference and its time ratio to the fastest exact peer at the peer's default tol.
"""

import argparse
import os
import statistics
import time
import warnings

import real_data
import sklearn.linear_model as sk
import text_scale
from run import machine_description, note, print_table, seconds_of
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC
from text_scale import Config, linear_targets
from threadpoolctl import threadpool_limits

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import HingeLoss, LogLoss, SquaredLoss

ALPHA = 1e-4  # the default of sklosses and of scikit-learn's SGD
TIGHT_TOL, TIGHT_MAX_ITER = 1e-10, 10_000
INTERCEPT_SCALING = 1e3
"""``LogisticRegression(solver="liblinear")``'s constant column: its intercept's penalty
is ``alpha/2 (b / 1e3)^2``."""
WITHIN = 0.1
"""Target of issue 15 item 2: sklosses' objective gap at defaults, in percent."""
LOSSES = {"log_loss": LogLoss(), "hinge": HingeLoss(), "squared_error": SquaredLoss()}
OURS_TIGHT = ("log_loss", "squared_error")
"""Losses whose reference also includes a tight sklosses fit. Not hinge: at tol=1e-10 it
takes 4x its default fit (40 s on 5,000 documents), which the full sizes cannot afford;
``LinearSVC`` at tol=1e-10 reaches the lowest objective there."""


# text_scale's sizes: (rows, features, non-zeros per row) for (a) and (b), (documents,
# vocabulary, hashed features) for (c); smaller (a) and (c), where a tight reference fits
SIZES = {
    "full": Config(uniform=(100_000, 20_000, 20), text=(20_000, 500_000, 2**20)),
    "quick": Config(
        name="quick",
        uniform=(20_000, 20_000, 20),
        wide=(500, 1_000_000, 100),
        text=(5_000, 100_000, 2**20),
        repeats=2,
    ),
}


def data_sets(config):
    """``name -> (shape text, builder)``: text_scale's data sets of this run, built when
    called."""
    found = text_scale.data_sets(config, ("uniform", "wide", "text"))
    return {
        description.split(": ")[0]: (description.split(": ", 1)[1], builder)
        for description, builder in found.values()
    }


def implementations(loss_name, n_samples):
    """``(timed, tight)``: ``name -> (factory, exact)`` at each implementation's defaults,
    and ``name -> factory`` with tight settings (the reference optimum)."""
    C = 1 / (n_samples * ALPHA)
    if loss_name == "log_loss":
        solvers = {
            "lbfgs": {},
            "liblinear": {"intercept_scaling": INTERCEPT_SCALING},
            "newton-cg": {},
        }

        def logistic(solver, **tight):
            return lambda: sk.LogisticRegression(C=C, solver=solver, **solvers[solver], **tight)

        timed = {f"LogisticRegression {solver}": (logistic(solver), True) for solver in solvers}
        timed["sklearn SGD"] = (
            lambda: sk.SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=0),
            False,
        )
        tight = {
            f"LogisticRegression {solver} tight": logistic(
                solver, tol=TIGHT_TOL, max_iter=TIGHT_MAX_ITER
            )
            for solver in solvers
        }
    elif loss_name == "hinge":

        def svc(**tight):
            return lambda: LinearSVC(loss="hinge", C=C, dual=True, **tight)

        timed = {
            "LinearSVC": (svc(), True),
            "sklearn SGD": (lambda: sk.SGDClassifier(alpha=ALPHA, random_state=0), False),
        }
        tight = {"LinearSVC tight": svc(tol=TIGHT_TOL, max_iter=TIGHT_MAX_ITER)}
    else:  # scikit-learn's squared loss carries a factor 1/2

        def ridge(solver, **tight):
            return lambda: sk.Ridge(alpha=n_samples * ALPHA / 2, solver=solver, **tight)

        solvers = ("sparse_cg", "lsqr", "sag")
        timed = {f"Ridge {solver}": (ridge(solver), True) for solver in solvers}
        timed["sklearn SGD"] = (lambda: sk.SGDRegressor(alpha=ALPHA / 2, random_state=0), False)
        tight = {
            f"Ridge {solver} tight": ridge(solver, tol=TIGHT_TOL, max_iter=TIGHT_MAX_ITER)
            for solver in solvers
        }
    return timed, tight


def ours(loss_name, **settings):
    """sklosses at its defaults (plus ``settings``)."""
    estimator = SGDRegressor if loss_name == "squared_error" else SGDClassifier
    return lambda: estimator(loss=loss_name, alpha=ALPHA, random_state=0, **settings)


def fit(factory, X, y):
    """Seconds of one ``factory().fit(X, y)`` and the fitted model; a peer stopping at its
    own ``max_iter`` is reported by its gap, not by its warning."""
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return seconds_of(lambda: model.fit(X, y))[0], model


def objective(loss, X, Y, model):
    """The sklosses objective of a fitted model, from the independent formulas of
    ``real_data`` (``Y`` encoded as ``real_data.encode`` does)."""
    W, b = real_data.model_coefficients(model)
    return real_data.objective(real_data.spec(loss), X, Y, W, b, ALPHA)


def run_case(data, shape, X, targets, loss_name, repeats):
    """Table rows of one (data, loss) and its summary row."""
    loss = LOSSES[loss_name]
    task = "regression" if loss_name == "squared_error" else "binary"
    y = targets[task]
    Y = real_data.encode(real_data.DataSet(data, X, y, task), loss)
    timed, tight = implementations(loss_name, X.shape[0])
    timed = {"sklosses defaults": (ours(loss_name), False), **timed}
    if loss_name in OURS_TIGHT:
        tight = {"sklosses tol=1e-10": ours(loss_name, tol=TIGHT_TOL), **tight}
    times, models = {name: [] for name in timed}, {}
    for _ in range(repeats):  # implementations interleaved within every repeat
        for name, (factory, _) in timed.items():
            seconds, models[name] = fit(factory, X, y)
            times[name].append(seconds)
    values = {name: objective(loss, X, Y, model) for name, model in models.items()}
    tight_times = {}
    for name, factory in tight.items():
        tight_times[name], model = fit(factory, X, y)
        values[name] = objective(loss, X, Y, model)
    best_name = min(tight, key=values.get)
    best = values[best_name]
    median = {name: statistics.median(times[name]) for name in timed}
    median.update(tight_times)
    ours_time = median["sklosses defaults"]

    def gap(name):
        return 100 * (values[name] - best) / abs(best)

    rows = [
        [
            data,
            loss_name,
            shape,
            name + ("" if name in timed else " (1 run)"),
            f"{median[name]:.3f}",
            f"{gap(name):+.4f}",
            f"{ours_time / median[name]:.2f}",
        ]
        for name in [*timed, *tight]
    ]
    exact = {name: median[name] for name, (_, is_exact) in timed.items() if is_exact}
    fastest = min(exact, key=exact.get)
    ours_gap = gap("sklosses defaults")
    trained = models["sklosses defaults"]
    summary = [
        data,
        loss_name,
        f"{ours_gap:+.4f}",
        "yes" if ours_gap <= WITHIN else "NO",
        f"{ours_time:.3f}",
        f"{trained.n_iter_} / {trained.n_full_batch_iter_}",
        f"{fastest} ({exact[fastest]:.3f} s, {gap(fastest):+.4f}%)",
        f"{ours_time / exact[fastest]:.2f}",
        best_name,
    ]
    return rows, summary


def main(argv=None):
    """Parse the arguments, measure every data set x loss and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes")
    parser.add_argument("--repeats", type=int, help="default: 3 (2 with --quick)")
    arguments = parser.parse_args(argv)
    config = SIZES["quick" if arguments.quick else "full"]
    repeats = arguments.repeats or config.repeats
    print(f"sparse fits at default settings ({config.name} run, medians of {repeats})")
    start, rows, summaries = time.perf_counter(), [], []
    with threadpool_limits(1):
        for line in machine_description():
            print(line)
        note("every fit runs inside threadpool_limits(1): BLAS threads fight on this machine")
        for data, (shape, build) in data_sets(config).items():
            X = build()
            y, labels = linear_targets(X, seed=4)
            for loss_name in LOSSES:
                case_rows, summary = run_case(
                    data,
                    shape,
                    X,
                    {"regression": y, "binary": labels},
                    loss_name,
                    repeats,
                )
                for row in case_rows:
                    print(" | ".join(row), flush=True)
                rows += case_rows
                summaries.append(summary)
    print_table(
        "Every implementation (gap: sklosses objective over the lowest tight run's)",
        ["data", "loss", "shape", "implementation", "fit s", "gap %", "sklosses s / this s"],
        rows,
        notes=[
            "peers at their defaults on the sklosses objective; '(1 run)': tol=1e-10, "
            f"max_iter={TIGHT_MAX_ITER:,}, the reference optimum",
            "liblinear penalises the intercept: LogisticRegression liblinear by alpha/2 "
            f"(b/{INTERCEPT_SCALING:g})^2 (intercept_scaling={INTERCEPT_SCALING:g}), LinearSVC "
            "by alpha/2 b^2 (its default intercept_scaling=1; b ~ 0 here)",
        ],
    )
    within = sum(summary[3] == "yes" for summary in summaries)
    print_table(
        f"Summary: sklosses at defaults within {WITHIN}% in {within} of {len(summaries)} cases",
        [
            "data",
            "loss",
            "sklosses gap %",
            f"<= {WITHIN}%",
            "sklosses s",
            "epochs / full-batch it.",
            "fastest exact peer at its defaults (s, gap)",
            "sklosses s / peer s",
            "reference from",
        ],
        summaries,
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - start:.0f} s; load average at the end: {load}")


if __name__ == "__main__":
    main()
