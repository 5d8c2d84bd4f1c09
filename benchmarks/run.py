"""Benchmarks of sklosses against scikit-learn, statsmodels and torch (issue 5).

Usage::

    python benchmarks/run.py [--quick] [--only SECTION ...]

Every data set is built in memory from fixed seeds; sklosses and its peers run
in the same process, one after the other (interleaved across repeats), so
their ratios are comparable even on a loaded machine. Times are medians of
repeats. Each section prints one table; the run ends with a summary of the
targets of issue 5, each marked met or not met with the measured figure.

Sections (see ``benchmarks/README.md`` for details): ``epoch``, ``sparse``,
``accuracy``, ``quantile``, ``focal``, ``memory``, ``scaling``. Optional peers
(statsmodels, torch) are skipped with a note when they are not installed.
"""

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
import sklearn.linear_model as sk
from exact_solvers import exact_solution
from exact_solvers import standardised_problem as _standardised_problem
from sklearn.exceptions import ConvergenceWarning

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import (
    AbsoluteLoss,
    FocalLoss,
    HingeLoss,
    HuberLoss,
    LogLoss,
    QuantileLoss,
    SquaredLoss,
)

ROOT = Path(__file__).resolve().parents[1]

try:
    import statsmodels.api as statsmodels
except ImportError:  # optional peer
    statsmodels = None

try:
    import torch
except ImportError:  # optional peer
    torch = None

SECTIONS = ("epoch", "sparse", "accuracy", "quantile", "focal", "memory", "scaling")
ALPHA = 1e-4  # the default regularisation of both libraries


# -- configuration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """Problem sizes and repeats of one run (full or ``--quick``).

    Shapes are ``(rows, features)``; ``sparse_shape`` adds the non-zeros per row.
    """

    quick: bool
    repeats: int = 3
    sparse_repeats: int = 3
    epoch_shape: tuple = (1_000_000, 100)
    sparse_shape: tuple = (1_000_000, 100_000, 50)
    accuracy_shape: tuple = (100_000, 50)
    quantile_shape: tuple = (100_000, 50)
    quantile_subsample: int = 10_000
    focal_shape: tuple = (100_000, 50)
    memory_shape: tuple = (1_000_000, 100)
    scaling_rows: tuple = (100_000, 1_000_000)
    scaling_features: int = 50
    sparse_scaling_rows: tuple = (100_000, 1_000_000, 4_000_000)
    sparse_scaling_shape: tuple = (1_000, 5)
    stream_rows: int | None = 10_000_000
    stream_chunk: int = 1_000_000

    @classmethod
    def for_mode(cls, quick):
        """The full configuration, or the reduced one of ``--quick``."""
        if not quick:
            return cls(quick=False)
        return cls(
            quick=True,
            sparse_repeats=2,
            epoch_shape=(200_000, 100),
            sparse_shape=(200_000, 100_000, 50),
            accuracy_shape=(20_000, 20),
            quantile_shape=(20_000, 20),
            focal_shape=(50_000, 50),
            memory_shape=(200_000, 100),
            stream_rows=None,
            sparse_scaling_rows=(100_000, 1_000_000),
        )


@dataclass
class Summary:
    """The targets of issue 5, as measured in this run."""

    rows: list = field(default_factory=list)

    def record(self, section, target, measured, met):
        """Add one target: its section, wording, the measured figure and whether it is met."""
        self.rows.append([section, target, measured, "met" if met else "NOT MET"])

    def print(self):
        """Print the summary table of targets."""
        met = sum(row[3] == "met" for row in self.rows)
        print_table(
            f"Summary of targets: {met} of {len(self.rows)} met",
            ["section", "target", "measured", "status"],
            self.rows,
        )


# -- helpers ------------------------------------------------------------------------------------
def seconds_of(function):
    """Wall-clock seconds of one call of ``function`` (after a garbage collection).

    Returns
    -------
    seconds : float
    result : object
        What ``function`` returned.
    """
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def median_seconds(function, repeats):
    """Median wall-clock seconds of ``repeats`` calls; also returns the last result."""
    times, result = [], None
    for _ in range(repeats):
        seconds, result = seconds_of(function)
        times.append(seconds)
    return statistics.median(times), result


def fixed_epochs(estimator, **options):
    """A factory ``max_iter -> estimator(max_iter=max_iter, tol=None, random_state=0, ...)``."""
    return lambda max_iter: estimator(max_iter=max_iter, tol=None, random_state=0, **options)


def epoch_times(factories, data, repeats, whole_fit=True):
    """Per-epoch, set-up and 5-epoch fit seconds of several estimators, interleaved.

    The per-epoch time is ``(t(max_iter=6) - t(max_iter=1)) / 5`` with ``tol=None``, so
    validation and set-up cancel; set-up is ``t(max_iter=1)`` minus one epoch.

    Parameters
    ----------
    factories : dict
        Name -> callable ``max_iter -> unfitted estimator``.
    data : dict
        Name -> ``(X, y)`` to fit that estimator on.
    repeats : int
    whole_fit : bool
        Also time a whole ``max_iter=5`` fit.

    Returns
    -------
    dict
        Name -> ``{"epoch": s, "setup": s, "fit5": s or None}`` (medians over repeats).
    """
    samples = {name: {1: [], 6: [], 5: []} for name in factories}
    epochs = (1, 6, 5) if whole_fit else (1, 6)
    for _ in range(repeats):
        for name, factory in factories.items():
            X, y = data[name]
            for max_iter in epochs:
                seconds, _ = seconds_of(lambda: factory(max_iter).fit(X, y))  # noqa: B023
                samples[name][max_iter].append(seconds)
    results = {}
    for name, times in samples.items():
        first, six = statistics.median(times[1]), statistics.median(times[6])
        epoch = (six - first) / 5
        results[name] = {
            "epoch": epoch,
            "setup": first - epoch,
            "fit5": statistics.median(times[5]) if whole_fit else None,
        }
    return results


def product_times(X, repeats=5):
    """Seconds of ``repeats`` passes of ``X @ w`` (the memory-bandwidth floor of an epoch)."""
    w = np.ones(X.shape[1], dtype=X.dtype)
    X @ w  # warm-up
    return [seconds_of(lambda: X @ w)[0] for _ in range(repeats)]


def test_loss(loss, y, raw):
    """Mean per-sample loss in float64 (the metric both libraries are compared on)."""
    return float(np.mean(loss.loss(np.asarray(y, np.float64), np.asarray(raw, np.float64))))


def raw_prediction(model, X):
    """Raw predictions ``X @ coef + intercept`` of a fitted linear model."""
    return X @ np.ravel(model.coef_) + np.ravel(model.intercept_)[0]


def coefficients(model):
    """``(coef, intercept)`` of a fitted binary or single-output linear model, as float64."""
    return (np.ravel(model.coef_).astype(np.float64), float(np.ravel(model.intercept_)[0]))


def training_objective(loss, X, y, coef, intercept, alpha=ALPHA):
    """``mean loss(y, X @ coef + intercept) + alpha/2 ||coef||^2``."""
    return test_loss(loss, y, X @ coef + intercept) + 0.5 * alpha * float(coef @ coef)


def excess_percent(value, optimum):
    """How far ``value`` lies above ``optimum``, in percent of ``optimum``."""
    return 100 * (value / optimum - 1)


def fmt(value, spec=".3f"):
    """Format a number for a table; None or NaN print as a dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return format(value, spec)


def print_table(title, columns, rows, notes=()):
    """Print an aligned text table: text columns left-aligned, numbers right-aligned.

    Parameters
    ----------
    title : str
    columns : list of str
    rows : list of list of str
        Already formatted cells.
    notes : sequence of str
        Lines printed under the table.
    """
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [
        max([len(column)] + [len(row[i]) for row in rows]) for i, column in enumerate(columns)
    ]

    def numeric(cell):
        return cell == "-" or cell.lstrip("+-").replace(".", "", 1).replace("e", "").isdigit()

    def line(cells):
        return "  ".join(
            cell.rjust(width) if numeric(cell) else cell.ljust(width)
            for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    print(f"\n== {title}")
    print(line(columns))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
    for note in notes:
        print(f"   {note}")
    sys.stdout.flush()


def note(message):
    """Print a note (e.g. a skipped peer)."""
    print(f"   note: {message}", flush=True)


# -- data ---------------------------------------------------------------------------------------
@cache
def dense_problem(n_samples, n_features, seed):
    """Independent standard-normal features, a noisy linear target and binary labels.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64, C order
    y : ndarray of shape (n_samples,)
        ``X @ w + 1 + noise``.
    labels : ndarray of shape (n_samples,)
        ``y > median(y)`` as 0/1 floats.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ rng.normal(size=n_features) + 1 + rng.standard_normal(n_samples)
    labels = (y > np.median(y)).astype(np.float64)
    return X, y, labels


@cache
def float32_copy(n_samples, n_features, seed):
    """The ``X`` of :func:`dense_problem` in float32."""
    return dense_problem(n_samples, n_features, seed)[0].astype(np.float32)


@cache
def sparse_problem(n_samples, n_features, nnz_per_row, seed):
    """A CSR matrix with about ``nnz_per_row`` random columns per row, target and labels.

    The column indices are drawn uniformly (duplicates within a row are summed, so a
    few rows have one non-zero fewer); values are standard normal.
    """
    rng = np.random.default_rng(seed)
    nnz = n_samples * nnz_per_row
    X = sp.csr_matrix(
        (
            rng.standard_normal(nnz),
            rng.integers(0, n_features, size=nnz).astype(np.int32),
            np.arange(0, nnz + 1, nnz_per_row),
        ),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    y = X @ rng.normal(size=n_features) + 1 + rng.standard_normal(n_samples)
    labels = (y > np.median(y)).astype(np.float64)
    return X, y, labels


standardised_problem = cache(_standardised_problem)
"""The test problems of ``exact_solvers.py``, built once per run."""


@cache
def quantreg_fit(n_samples, n_features, quantile, seed):
    """statsmodels ``QuantReg`` on :func:`standardised_problem` (cached: it is slow).

    Returns
    -------
    coef, intercept, seconds
    """
    X, y, _, _ = standardised_problem(n_samples, n_features, "regression", seed)
    seconds, result = seconds_of(
        lambda: statsmodels.QuantReg(y, statsmodels.add_constant(X)).fit(q=quantile)
    )
    return result.params[1:], result.params[0], seconds


# -- sections -----------------------------------------------------------------------------------
def section_epoch(config, summary):
    """Dense per-epoch cost: sklosses vs scikit-learn SGD, ``X @ w``, float32 vs float64.

    The ``X @ w`` passes are timed before every loss's fits, and their median over the
    whole section is the reference, so that it sees the same machine load as the fits.
    """
    n_samples, n_features = config.epoch_shape
    X, y, labels = dense_problem(n_samples, n_features, seed=0)
    arrays = {"float64": X, "float32": float32_copy(n_samples, n_features, seed=0)}
    cases = [
        ("squared_error", SGDRegressor, sk.SGDRegressor, {}, y),
        ("huber", SGDRegressor, sk.SGDRegressor, {"epsilon": 1.0}, y),
        ("hinge", SGDClassifier, sk.SGDClassifier, {}, labels),
        ("log_loss", SGDClassifier, sk.SGDClassifier, {}, labels),
    ]
    product_samples = {dtype: [] for dtype in arrays}
    results = {}
    for loss, ours, theirs, their_options, target in cases:
        for dtype, array in arrays.items():
            product_samples[dtype] += product_times(array)
        factories = {
            "sklosses float64": fixed_epochs(ours, loss=loss),
            "sklosses float32": fixed_epochs(ours, loss=loss),
            "sklearn float64": fixed_epochs(theirs, loss=loss, **their_options),
        }
        data = {name: (arrays[name.split()[1]], target) for name in factories}
        results[loss] = epoch_times(factories, data, config.repeats)
    product = {dtype: statistics.median(times) for dtype, times in product_samples.items()}

    rows = []
    for loss, times in results.items():
        ours64, ours32 = times["sklosses float64"]["epoch"], times["sklosses float32"]["epoch"]
        sklearn_epoch = times["sklearn float64"]["epoch"]
        for name, result in times.items():
            is_ours = name.startswith("sklosses")
            rows.append(
                [
                    loss,
                    name,
                    fmt(result["epoch"], ".4f"),
                    fmt(result["setup"], ".3f"),
                    fmt(result["fit5"], ".3f"),
                    fmt(result["epoch"] / product[name.split()[1]], ".2f"),
                    fmt(result["epoch"] / sklearn_epoch, ".3f") if is_ours else "-",
                    fmt(ours32 / ours64, ".3f") if name == "sklosses float32" else "-",
                ]
            )
        summary.record(
            "epoch",
            f"{loss}: epoch <= 1/5 of sklearn SGD",
            f"{ours64 / sklearn_epoch:.3f}x",
            ours64 <= sklearn_epoch / 5,
        )
        summary.record(
            "epoch",
            f"{loss}: epoch <= 3x one X@w pass",
            f"{ours64 / product['float64']:.2f}x",
            ours64 <= 3 * product["float64"],
        )
        summary.record(
            "epoch",
            f"{loss}: float32 epoch <= 0.6x float64",
            f"{ours32 / ours64:.3f}x",
            ours32 <= 0.6 * ours64,
        )
    print_table(
        f"epoch: dense {n_samples:,} x {n_features}, tol=None; per-epoch time = "
        "(fit(max_iter=6) - fit(max_iter=1)) / 5",
        [
            "loss",
            "implementation",
            "s/epoch",
            "set-up s",
            "fit 5 ep s",
            "epoch/(X@w)",
            "epoch/sklearn",
            "f32/f64",
        ],
        rows,
        notes=[
            f"one X @ w pass: {product['float64']:.4f} s (float64), "
            f"{product['float32']:.4f} s (float32), medians of "
            f"{len(product_samples['float64'])} passes spread over the section; "
            "epoch/(X@w) uses the same dtype",
            "set-up = fit(max_iter=1) - one epoch; fit 5 ep = whole fit(max_iter=5); "
            f"medians of {config.repeats} repeats, implementations interleaved",
        ],
    )


def section_sparse(config, summary):
    """CSR per-epoch cost: sklosses vs scikit-learn SGD (squared and hinge)."""
    n_samples, n_features, nnz_per_row = config.sparse_shape
    X, y, labels = sparse_problem(n_samples, n_features, nnz_per_row, seed=1)
    rows = []
    for loss, ours, theirs, target in [
        ("squared_error", SGDRegressor, sk.SGDRegressor, y),
        ("hinge", SGDClassifier, sk.SGDClassifier, labels),
    ]:
        times = epoch_times(
            {"sklosses": fixed_epochs(ours, loss=loss), "sklearn": fixed_epochs(theirs, loss=loss)},
            {"sklosses": (X, target), "sklearn": (X, target)},
            config.sparse_repeats,
            whole_fit=False,
        )
        ratio = times["sklosses"]["epoch"] / times["sklearn"]["epoch"]
        for name, result in times.items():
            rows.append(
                [
                    loss,
                    name,
                    fmt(result["epoch"], ".4f"),
                    fmt(result["setup"], ".3f"),
                    fmt(ratio, ".2f") if name == "sklosses" else "-",
                ]
            )
        summary.record("sparse", f"{loss}: CSR epoch <= sklearn SGD", f"{ratio:.2f}x", ratio <= 1)
    print_table(
        f"sparse: CSR {n_samples:,} x {n_features:,}, {X.nnz / n_samples:.1f} non-zeros per row "
        f"({X.nnz:,} in all), tol=None",
        ["loss", "implementation", "s/epoch", "set-up s", "epoch/sklearn"],
        rows,
        notes=[f"medians of {config.sparse_repeats} repeats, implementations interleaved"],
    )


def _accuracy_cases():
    """``(name, loss, sklosses estimator, sklearn factory or None, sklearn label)``.

    sklearn objectives are matched to sklosses' ``mean loss + alpha/2 ||w||^2``: its
    squared loss has a factor 1/2, so it gets ``alpha/2``; its Huber ``epsilon=1.0`` is
    ``HuberLoss(delta=1)``; ``epsilon_insensitive`` with ``epsilon=0`` is the absolute loss.
    """
    return [
        (
            "squared_error",
            SquaredLoss(),
            SGDRegressor,
            lambda: sk.SGDRegressor(alpha=ALPHA / 2, random_state=0),
            "sklearn (alpha/2)",
        ),
        (
            "huber",
            HuberLoss(),
            SGDRegressor,
            lambda: sk.SGDRegressor(loss="huber", epsilon=1.0, random_state=0),
            "sklearn (epsilon=1)",
        ),
        (
            "absolute_error",
            AbsoluteLoss(),
            SGDRegressor,
            lambda: sk.SGDRegressor(loss="epsilon_insensitive", epsilon=0.0, random_state=0),
            "sklearn (eps_insens., eps=0)",
        ),
        ("quantile 0.9", QuantileLoss(0.9), SGDRegressor, None, None),
        (
            "hinge",
            HingeLoss(),
            SGDClassifier,
            lambda: sk.SGDClassifier(loss="hinge", random_state=0),
            "sklearn",
        ),
        (
            "log_loss",
            LogLoss(),
            SGDClassifier,
            lambda: sk.SGDClassifier(loss="log_loss", random_state=0),
            "sklearn",
        ),
        ("focal", FocalLoss(), SGDClassifier, None, None),
    ]


def _exact_reference(loss, shape, config):
    """The exact optimum: ``(coef, intercept)``, solver name, seconds, data shape, alpha.

    Pinball and absolute losses use statsmodels ``QuantReg`` when installed, else
    scikit-learn's ``QuantileRegressor`` (HiGHS) on the quick size (it grows ~n^2); both
    solve the unpenalised problem (``alpha`` 0 is returned for them).
    """
    n_samples, n_features = shape
    if isinstance(loss, (AbsoluteLoss, QuantileLoss)):
        quantile = getattr(loss, "quantile", 0.5)
        if statsmodels is not None:
            coef, intercept, seconds = quantreg_fit(n_samples, n_features, quantile, seed=0)
            return (coef, intercept), "statsmodels QuantReg", seconds, shape, 0.0
        shape = Config.for_mode(quick=True).accuracy_shape
        note(
            f"statsmodels not installed: {loss!r} uses the exact LP (QuantileRegressor) on "
            f"{shape[0]:,} x {shape[1]} instead"
        )
    X, y, _, _ = standardised_problem(*shape, loss.task, seed=0)
    seconds, solution = seconds_of(lambda: exact_solution(loss, X, y, alpha=ALPHA))
    solver = {
        SquaredLoss: "closed form",
        LogLoss: "LogisticRegression",
        HingeLoss: "smoothed-hinge L-BFGS",
        AbsoluteLoss: "QuantileRegressor (HiGHS)",
        QuantileLoss: "QuantileRegressor (HiGHS)",
    }.get(type(loss), "L-BFGS")
    return solution, solver, seconds, shape, 0.0 if solver.startswith("Quantile") else ALPHA


def section_accuracy(config, summary):
    """Default settings vs the exact optimum, for every loss, with sklearn SGD defaults."""
    rows = []
    for name, loss, ours, theirs, their_label in _accuracy_cases():
        (coef, intercept), solver, exact_seconds, shape, alpha = _exact_reference(
            loss, config.accuracy_shape, config
        )
        X, y, X_test, y_test = standardised_problem(*shape, loss.task, seed=0)
        optimum = test_loss(loss, y_test, X_test @ coef + intercept)
        best_objective = training_objective(loss, X, y, coef, intercept, alpha)
        label = f"{name} ({shape[0] // 1000}k x {shape[1]})"
        our_seconds, model = median_seconds(
            lambda: ours(loss=loss, random_state=0).fit(X, y),  # noqa: B023
            config.repeats,
        )
        ours_excess = excess_percent(
            test_loss(loss, y_test, raw_prediction(model, X_test)), optimum
        )
        entries = [
            (f"exact: {solver}", exact_seconds, "-", coef, intercept),
            ("sklosses defaults", our_seconds, model.n_iter_, *coefficients(model)),
        ]
        if theirs is not None:
            their_seconds, their_model = median_seconds(
                lambda: theirs().fit(X, y),  # noqa: B023
                config.repeats,
            )
            entries.append(
                (
                    f"{their_label} defaults",
                    their_seconds,
                    their_model.n_iter_,
                    *coefficients(their_model),
                )
            )
            summary.record(
                "accuracy",
                f"{name}: defaults no slower than sklearn SGD",
                f"{our_seconds:.3f} s vs {their_seconds:.3f} s",
                our_seconds <= their_seconds,
            )
        for implementation, seconds, epochs, entry_coef, entry_intercept in entries:
            value = test_loss(loss, y_test, X_test @ entry_coef + entry_intercept)
            train = training_objective(loss, X, y, entry_coef, entry_intercept, alpha)
            is_ours = implementation.startswith("sklosses")
            rows.append(
                [
                    label,
                    implementation,
                    fmt(seconds, ".3f"),
                    str(epochs),
                    fmt(value, ".6f"),
                    fmt(excess_percent(value, optimum), "+.3f"),
                    fmt(excess_percent(train, best_objective), "+.4f"),
                    "-" if is_ours else fmt(our_seconds / seconds, ".3f"),
                ]
            )
        summary.record(
            "accuracy",
            f"{name}: defaults <= 1% excess test loss",
            f"{ours_excess:+.3f}%",
            ours_excess <= 1,
        )
    print_table(
        f"accuracy: standardised {config.accuracy_shape[0]:,} x {config.accuracy_shape[1]} "
        "problems (train; test of the same size), default settings, random_state=0",
        [
            "loss (data)",
            "implementation",
            "fit s",
            "epochs",
            "test loss",
            "excess %",
            "train obj. excess %",
            "sklosses/peer s",
        ],
        rows,
        notes=[
            "excess % = test loss / test loss of the exact optimum - 1 (negative: below it "
            "on the test half); train obj. excess % = the same for the reference's training "
            "objective (negative: the reference is not exactly optimal)",
            "objective: mean loss + alpha/2 ||w||^2, alpha=1e-4; the pinball/absolute "
            "references are unpenalised (alpha=0 in their train obj. column)",
            f"sklosses and sklearn times are medians of {config.repeats} repeats; exact "
            "solvers timed once",
        ],
    )


def section_quantile(config, summary):
    """0.9-quantile regression: sklosses vs statsmodels QuantReg and QuantileRegressor."""
    n_samples, n_features = config.quantile_shape
    loss = QuantileLoss(0.9)
    X, y, X_test, y_test = standardised_problem(n_samples, n_features, "regression", seed=0)
    our_seconds, model = median_seconds(
        lambda: SGDRegressor(loss=loss, random_state=0).fit(X, y), config.repeats
    )
    ours_loss = test_loss(loss, y_test, model.predict(X_test))
    entries = [("sklosses defaults", f"{n_samples:,}", our_seconds, ours_loss)]
    reference = None
    if statsmodels is None:
        note(
            "statsmodels not installed: QuantReg skipped; excess is relative to the "
            "QuantileRegressor subsample fit"
        )
    else:
        coef, intercept, seconds = quantreg_fit(n_samples, n_features, 0.9, seed=0)
        reference = test_loss(loss, y_test, X_test @ coef + intercept)
        entries.append(("statsmodels QuantReg", f"{n_samples:,}", seconds, reference))
    subsample = min(config.quantile_subsample, n_samples)
    seconds, highs = seconds_of(
        lambda: sk.QuantileRegressor(quantile=0.9, alpha=0.0, solver="highs").fit(
            X[:subsample], y[:subsample]
        )
    )
    highs_loss = test_loss(loss, y_test, highs.predict(X_test))
    entries.append(("sklearn QuantileRegressor (HiGHS)", f"{subsample:,}", seconds, highs_loss))
    reference = highs_loss if reference is None else reference
    rows = [
        [
            name,
            fit_rows,
            fmt(seconds, ".3f"),
            fmt(value, ".6f"),
            fmt(excess_percent(value, reference), "+.3f"),
            "-" if name.startswith("sklosses") else fmt(seconds / our_seconds, ".1f"),
        ]
        for name, fit_rows, seconds, value in entries
    ]
    print_table(
        f"quantile: 0.9-quantile regression, standardised {n_samples:,} x {n_features}, "
        f"test on {len(y_test):,} rows",
        ["implementation", "fit rows", "fit s", "test pinball", "excess %", "peer s / sklosses s"],
        rows,
        notes=[
            f"sklosses: median of {config.repeats} repeats; QuantReg and HiGHS timed once",
            "excess % relative to QuantReg on all rows (the exact optimum)",
        ],
    )
    if statsmodels is not None:
        speedup = entries[1][2] / our_seconds
        excess = excess_percent(ours_loss, reference)
        summary.record("quantile", ">= 25x faster than QuantReg", f"{speedup:.1f}x", speedup >= 25)
        summary.record("quantile", "<= 0.5% excess pinball loss", f"{excess:+.3f}%", excess <= 0.5)


def _torch_focal_loss(logits, targets, gamma, alpha):
    """torchvision's ``sigmoid_focal_loss`` formula, per sample."""
    probability = torch.sigmoid(logits)
    cross_entropy = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, targets, reduction="none"
    )
    p_t = probability * targets + (1 - probability) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return alpha_t * cross_entropy * (1 - p_t) ** gamma


def torch_focal_fit(X, y, gamma, alpha, epochs=5, batch_size=512, learning_rate=1e-2, seed=0):
    """A plain torch CPU loop: ``nn.Linear``, focal loss + alpha/2 ||w||^2, Adam.

    ``X`` and ``y`` are float32 tensors. Returns ``(coef, intercept)`` as float64 arrays.
    """
    torch.manual_seed(seed)
    model = torch.nn.Linear(X.shape[1], 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    for _ in range(epochs):
        order = torch.randperm(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            rows = order[start : start + batch_size]
            logits = model(X[rows]).squeeze(1)
            objective = (
                _torch_focal_loss(logits, y[rows], gamma, alpha).mean()
                + 0.5 * ALPHA * (model.weight**2).sum()
            )
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
    return (
        model.weight.detach().numpy().ravel().astype(np.float64),
        float(model.bias.detach().numpy()[0]),
    )


def section_focal(config, summary):
    """Focal loss on an imbalanced problem: sklosses vs a plain torch CPU training loop."""
    n_samples, n_features = config.focal_shape
    loss = FocalLoss(gamma=2.0, alpha=0.25)
    X, y, X_test, y_test = standardised_problem(
        n_samples, n_features, "binary", seed=3, intercept=-3.5
    )
    exact_seconds, (coef, intercept) = seconds_of(lambda: exact_solution(loss, X, y, alpha=ALPHA))
    optimum = test_loss(loss, y_test, X_test @ coef + intercept)
    entries = [("exact: L-BFGS", exact_seconds, optimum)]
    our_seconds, model = median_seconds(
        lambda: SGDClassifier(loss=loss, random_state=0).fit(X, y), config.repeats
    )
    ours_loss = test_loss(loss, y_test, raw_prediction(model, X_test))
    entries.append((f"sklosses defaults ({model.n_iter_} epochs)", our_seconds, ours_loss))
    X32 = X.astype(np.float32)
    seconds32, model32 = median_seconds(
        lambda: SGDClassifier(loss=loss, random_state=0).fit(X32, y), config.repeats
    )
    entries.append(
        (
            f"sklosses defaults, float32 ({model32.n_iter_} epochs)",
            seconds32,
            test_loss(loss, y_test, raw_prediction(model32, X_test)),
        )
    )
    if torch is None:
        note(
            "torch not installed: the torch loop is skipped "
            "(pip install torch==2.13.0 for the CPU build)"
        )
    else:
        X_torch, y_torch = torch.from_numpy(X32), torch.from_numpy(y.astype(np.float32))
        torch_seconds, (torch_coef, torch_intercept) = median_seconds(
            lambda: torch_focal_fit(X_torch, y_torch, loss.gamma, loss.alpha), config.repeats
        )
        torch_loss = test_loss(loss, y_test, X_test @ torch_coef + torch_intercept)
        entries.append(
            ("torch loop (Adam lr=1e-2, batch 512, 5 epochs)", torch_seconds, torch_loss)
        )
        summary.record(
            "focal",
            "faster than the torch loop",
            f"{our_seconds:.3f} s vs {torch_seconds:.3f} s",
            our_seconds < torch_seconds,
        )
        summary.record(
            "focal",
            "test focal loss <= the torch loop's",
            f"{ours_loss:.6f} vs {torch_loss:.6f}",
            ours_loss <= torch_loss,
        )
    rows = [
        [
            name,
            fmt(seconds, ".3f"),
            fmt(value, ".6f"),
            fmt(excess_percent(value, optimum), "+.3f"),
            "-" if name.startswith(("exact", "sklosses")) else fmt(our_seconds / seconds, ".3f"),
        ]
        for name, seconds, value in entries
    ]
    print_table(
        f"focal: FocalLoss(gamma=2, alpha=0.25), standardised {n_samples:,} x {n_features}, "
        f"{100 * y.mean():.1f}% positives",
        ["implementation", "fit s", "test focal", "excess %", "sklosses/peer s"],
        rows,
        notes=[
            "torch: float32 tensors prepared outside the timing; same objective (mean focal "
            f"+ alpha/2 ||w||^2); torch threads: "
            f"{torch.get_num_threads() if torch else '-'}",
            f"medians of {config.repeats} repeats (exact solver timed once)",
        ],
    )


def peak_fit_bytes(estimator, X, y):
    """Peak bytes allocated (and traced by ``tracemalloc``) during ``estimator.fit(X, y)``."""
    gc.collect()
    tracemalloc.start()
    try:
        estimator.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def section_memory(config, summary):
    """Peak extra memory during ``fit`` relative to the size of ``X``."""
    n_samples, n_features = config.memory_shape
    X, y, labels = dense_problem(n_samples, n_features, seed=0)
    sparse_rows = config.sparse_shape[0]
    X_sparse, y_sparse, labels_sparse = sparse_problem(*config.sparse_shape, seed=1)
    inputs = [
        ("dense float64", X, y, labels, X.nbytes),
        (
            "dense float32",
            float32_copy(n_samples, n_features, seed=0),
            y,
            labels,
            float32_copy(n_samples, n_features, seed=0).nbytes,
        ),
        (
            "CSR float64",
            X_sparse,
            y_sparse,
            labels_sparse,
            X_sparse.data.nbytes + X_sparse.indices.nbytes + X_sparse.indptr.nbytes,
        ),
    ]
    models = [
        ("SGDRegressor squared_error", SGDRegressor, sk.SGDRegressor, "squared_error", 1),
        ("SGDClassifier log_loss", SGDClassifier, sk.SGDClassifier, "log_loss", 2),
    ]
    rows = []
    for input_name, X_in, y_in, labels_in, nbytes in inputs:
        for model_name, ours, theirs, loss, target_index in models:
            target = (y_in, labels_in)[target_index - 1]
            for implementation, estimator in [("sklosses", ours), ("sklearn", theirs)]:
                peak = peak_fit_bytes(
                    estimator(loss=loss, max_iter=5, tol=None, random_state=0), X_in, target
                )
                rows.append(
                    [
                        input_name,
                        model_name,
                        implementation,
                        fmt(nbytes / 2**20, ".1f"),
                        fmt(peak / 2**20, ".1f"),
                        fmt(100 * peak / nbytes, ".2f"),
                    ]
                )
                if implementation == "sklosses":
                    summary.record(
                        "memory",
                        f"{input_name}, {model_name}: peak <= 10% of X",
                        f"{100 * peak / nbytes:.2f}%",
                        peak <= 0.1 * nbytes,
                    )
    print_table(
        f"memory: peak extra bytes during fit (tracemalloc), dense {n_samples:,} x "
        f"{n_features}, CSR {sparse_rows:,} x {config.sparse_shape[1]:,}; 5 epochs",
        ["input", "model", "implementation", "X MiB", "peak extra MiB", "extra % of X"],
        rows,
        notes=[
            "tracemalloc sees numpy/scipy buffers and Python objects, not BLAS's own "
            "work space; X and y exist before fit and are not counted"
        ],
    )


def _stream_chunks(n_rows, chunk_rows, n_features, seed):
    """Yield ``(X, y)`` chunks of a linear problem, generated on the fly."""
    rng = np.random.default_rng(seed)
    coef = np.random.default_rng(seed + 1).normal(size=n_features)
    for _ in range(0, n_rows, chunk_rows):
        X = rng.standard_normal((chunk_rows, n_features))
        yield X, X @ coef + 1 + rng.standard_normal(chunk_rows)


def _in_memory_scaling(X, y, repeats):
    """Epoch seconds and one-pass seconds (set-up included) of a default SGDRegressor."""
    times = epoch_times(
        {"sklosses": fixed_epochs(SGDRegressor)}, {"sklosses": (X, y)}, repeats, whole_fit=False
    )["sklosses"]
    return times["epoch"], times["setup"] + times["epoch"]


def _record_linearity(summary, kind, one_pass):
    """One target per pair of consecutive sizes: cost per 1e6 rows grows <= 1.25x."""
    sizes = sorted(one_pass)
    for smaller, larger in zip(sizes, sizes[1:], strict=False):
        growth = one_pass[larger] / one_pass[smaller]
        summary.record(
            "scaling",
            f"{kind} linear: 1-pass cost per 1e6 rows at {larger:.0e} "
            f"<= 1.25x that at {smaller:.0e}",
            f"{growth:.2f}x",
            growth <= 1.25,
        )


def section_scaling(config, summary):
    """Cost against the number of rows: dense (and a 1e7-row ``partial_fit`` stream), CSR.

    Two figures per size: the epoch time (set-up excluded, by differencing) and the
    one-pass time including set-up (``fit(max_iter=1)``; for the stream, every
    ``partial_fit`` call is one pass over its chunk, set-up included). Linearity is
    checked on the one-pass cost per 1e6 rows between consecutive sizes.
    """
    n_features = config.scaling_features
    sparse_features, sparse_nnz = config.sparse_scaling_shape
    rows, dense_pass, sparse_pass = [], {}, {}
    notes = [
        "in memory: s/epoch = (fit(max_iter=6) - fit(max_iter=1)) / 5, 1 pass = "
        f"fit(max_iter=1) incl. set-up, tol=None, medians of {config.repeats} repeats "
        f"({config.sparse_repeats} for CSR)"
    ]
    cases = [("dense", n_samples) for n_samples in config.scaling_rows] + [
        ("CSR", n_samples) for n_samples in config.sparse_scaling_rows
    ]
    for kind, n_samples in cases:
        if kind == "dense":
            X, y, _ = dense_problem(n_samples, n_features, seed=5)
            epoch, one_pass = _in_memory_scaling(X, y, config.repeats)
            dense_pass[n_samples] = one_pass / n_samples * 1e6
            how = f"dense x {n_features}, fit"
        else:
            X, y, _ = sparse_problem(n_samples, sparse_features, sparse_nnz, seed=6)
            epoch, one_pass = _in_memory_scaling(X, y, config.sparse_repeats)
            sparse_pass[n_samples] = one_pass / n_samples * 1e6
            how = f"CSR x {sparse_features:,}, {sparse_nnz} nnz/row, fit"
        rows.append(
            [
                f"{n_samples:,}",
                how,
                fmt(epoch, ".4f"),
                fmt(epoch / n_samples * 1e6, ".4f"),
                fmt(one_pass, ".4f"),
                fmt(one_pass / n_samples * 1e6, ".4f"),
            ]
        )
    if config.stream_rows is None:
        note("--quick: the 1e7-row stream is skipped")
    else:
        model, chunk_seconds = SGDRegressor(random_state=0), []
        for X, y in _stream_chunks(config.stream_rows, config.stream_chunk, n_features, seed=5):
            chunk_seconds.append(seconds_of(lambda: model.partial_fit(X, y))[0])  # noqa: B023
        total = sum(chunk_seconds)
        dense_pass[config.stream_rows] = total / config.stream_rows * 1e6
        rows.insert(
            len(config.scaling_rows),
            [
                f"{config.stream_rows:,}",
                f"dense x {n_features}, partial_fit, "
                f"{len(chunk_seconds)} chunks of {config.stream_chunk:,}",
                "-",
                "-",
                fmt(total, ".4f"),
                fmt(dense_pass[config.stream_rows], ".4f"),
            ],
        )
        notes.append(
            f"stream: seconds inside partial_fit only (data generated on the fly, "
            f"not timed); first chunk {chunk_seconds[0]:.3f} s, median chunk "
            f"{statistics.median(chunk_seconds):.3f} s"
        )
    print_table(
        "scaling: SGDRegressor squared_error, cost against rows",
        ["rows", "data, how", "s/epoch", "epoch s/1e6 rows", "1 pass s", "1 pass s/1e6 rows"],
        rows,
        notes=notes,
    )
    _record_linearity(summary, "dense", dense_pass)
    _record_linearity(summary, "CSR", sparse_pass)


# -- entry point --------------------------------------------------------------------------------
def machine_description():
    """One line per fact about the machine and the library versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    from threadpoolctl import threadpool_info

    blas = ", ".join(
        f"{info['internal_api']} {info.get('version')} ({info['num_threads']} threads)"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "sklosses"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (+ uncommitted changes in sklosses/)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    peers = [
        f"statsmodels {statsmodels.__version__}" if statsmodels else "statsmodels: absent",
        f"torch {torch.__version__}" if torch else "torch: absent",
    ]
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, {', '.join(peers)}",
        f"BLAS: {blas or 'unknown'}; load average at start: {load}",
        f"sklosses at commit {commit}",
    ]


SECTION_FUNCTIONS = {
    "epoch": section_epoch,
    "sparse": section_sparse,
    "accuracy": section_accuracy,
    "quantile": section_quantile,
    "focal": section_focal,
    "memory": section_memory,
    "scaling": section_scaling,
}


def main(argv=None):
    """Parse the arguments, run the chosen sections and print the summary of targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller problems (about 3 minutes in all)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only these sections: {', '.join(SECTIONS)}",
    )
    arguments = parser.parse_args(argv)
    config = Config.for_mode(arguments.quick)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"sklosses benchmarks ({'quick' if config.quick else 'full'} run)")
    for line in machine_description():
        print(line)
    summary = Summary()
    start = time.perf_counter()
    for name in arguments.only or SECTIONS:
        section_start = time.perf_counter()
        SECTION_FUNCTIONS[name](config, summary)
        print(f"   ({name} took {time.perf_counter() - section_start:.0f} s)", flush=True)
    summary.print()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - start:.0f} s; load average at the end: {load}")


if __name__ == "__main__":
    main()
