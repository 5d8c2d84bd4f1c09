"""Sparse, text-scale SGD: sklosses against scikit-learn's SGD and Vowpal Wabbit (issue 15).

Usage::

    python benchmarks/text_scale.py [--quick | --medium] [--only uniform wide text]

Three CSR float64 data sets, built in memory from fixed seeds (no downloads):

* ``uniform``: n x 100,000 with 50 non-zeros per row at uniformly random columns;
* ``wide``: 2,000 x 1,000,000 with 100 non-zeros per row (the hashing trick's width);
* ``text``: bag of words, Zipf-distributed term frequencies over a large vocabulary,
  50-200 tokens per document, hashed into 2**20 columns by scikit-learn's
  ``FeatureHasher``, log counts (``1 + log tf``) with L2-normalised rows.

Targets come from a sparse linear model with noise (regression targets for ``squared_error``
and ``quantile`` 0.5, +-1 labels for ``hinge`` and ``log_loss``); the last 20% of the rows
are the test set. For every data set x loss x penalty (``l2``, ``elasticnet``) each
implementation trains 1 and 5 epochs (``tol=None``; sklosses with ``solver="sgd"``) and
Vowpal Wabbit 1 and 5 passes over its cache; "per epoch" is ``(t(5) - t(1)) / 4``, so
input checks, set-up and VW's parse of its text file cancel. Test losses are all scored
with ``sklosses.metrics.mean_loss``. Times are medians of repeats, the implementations
interleaved in every repeat. The run ends with the targets of issue 15, met or NOT MET.
Vowpal Wabbit (``pip install -e ".[benchmark]"``) is skipped with a note when absent.
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn.linear_model as sk
from run import Summary, fmt, machine_description, note, print_table, seconds_of, sparse_problem
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import QuantileLoss
from sklosses.metrics import mean_loss

try:
    import vowpalwabbit
except ImportError:  # optional peer: the `benchmark` extra
    vowpalwabbit = None

ALPHA, L1_RATIO = 1e-4, 0.15  # scikit-learn's defaults, given to all three
TEST_FRACTION = 0.2
EPOCHS = (1, 5)
COEF_DENSITY, NOISE = 0.1, 0.5  # the true model: 10% non-zero; noise sd = 0.5 x signal sd
ZIPF_EXPONENT = 1.0  # Zipf's law: the k-th most frequent term has frequency ~ 1 / k
DOCUMENT_LENGTHS = (50, 200)  # tokens per document, uniform
EQUAL_LOSS = 1e-3
"""Relative margin within which a test loss counts as equal to VW's ("equal or lower")."""

# loss -> (task, sklosses loss, scikit-learn options, the factor on scikit-learn's alpha that
# gives the sklosses minimiser, Vowpal Wabbit options). scikit-learn's squared loss is r**2 / 2;
# its epsilon-insensitive loss with epsilon=0 is |r|, twice the pinball loss of quantile 0.5.
LOSSES = {
    "squared_error": ("regression", "squared_error", {}, 0.5, "--loss_function squared"),
    "quantile": (
        "regression",
        QuantileLoss(0.5),
        {"loss": "epsilon_insensitive", "epsilon": 0.0},
        2.0,
        "--loss_function quantile --quantile_tau 0.5",
    ),
    "hinge": ("binary", "hinge", {"loss": "hinge"}, 1.0, "--loss_function hinge"),
    "log_loss": ("binary", "log_loss", {"loss": "log_loss"}, 1.0, "--loss_function logistic"),
}
PENALTIES = ("l2", "elasticnet")


@dataclass(frozen=True)
class Config:
    """Sizes and repeats of one run: ``(rows, features, non-zeros per row)`` for ``uniform``
    and ``wide``, ``(documents, vocabulary, hashed features)`` for ``text``."""

    name: str = "full"
    uniform: tuple = (1_000_000, 100_000, 50)
    wide: tuple = (2_000, 1_000_000, 100)
    text: tuple = (1_000_000, 500_000, 2**20)
    repeats: int = 3


SIZES = {
    "full": Config(),
    "medium": Config(
        name="medium",
        uniform=(200_000, 100_000, 50),
        text=(200_000, 500_000, 2**20),
        repeats=2,
    ),
    "quick": Config(
        name="quick",
        uniform=(20_000, 100_000, 50),
        wide=(500, 1_000_000, 100),
        text=(5_000, 100_000, 2**20),
        repeats=1,
    ),
}


# -- data ---------------------------------------------------------------------------------------
def linear_targets(X, seed):
    """Regression targets and +-1 labels of a sparse linear model with noise.

    ``y = 1 + X @ w + noise``, ``w`` standard normal on a random ``COEF_DENSITY`` of the
    columns, the noise Gaussian with ``NOISE`` times the signal's standard deviation; the
    labels are ``y`` above its median (+1) or not (-1).
    """
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    coef = np.where(rng.random(n_features) < COEF_DENSITY, rng.standard_normal(n_features), 0.0)
    signal = X @ coef
    y = 1 + signal + NOISE * signal.std() * rng.standard_normal(X.shape[0])
    return y, np.where(y > np.median(y), 1.0, -1.0)


def random_columns(n_samples, n_features, nnz_per_row, seed):
    """CSR with ``nnz_per_row`` uniformly random columns per row (``run.sparse_problem``'s
    matrix, not kept in its cache)."""
    return sparse_problem.__wrapped__(n_samples, n_features, nnz_per_row, seed)[0]


def bag_of_words(n_documents, vocabulary, n_features, seed, chunk=50_000):
    """Hashed log term counts of documents whose tokens follow Zipf's law, rows L2-normalised.

    Each document draws 50-200 tokens from ``vocabulary`` terms with probability ~
    ``rank**-ZIPF_EXPONENT``. Term ``j`` is the string ``"t{j}"``, hashed once by
    ``FeatureHasher``; the counts matrix times that terms x features map is exactly what
    ``FeatureHasher`` gives on the token lists, without a Python loop over the tokens.
    """
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(np.arange(1, vocabulary + 1, dtype=np.float64) ** -ZIPF_EXPONENT)
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    term_columns = hasher.transform([f"t{j}"] for j in range(vocabulary)).tocsr()
    blocks = []
    for start in range(0, n_documents, chunk):
        size = min(chunk, n_documents - start)
        lengths = rng.integers(DOCUMENT_LENGTHS[0], DOCUMENT_LENGTHS[1] + 1, size=size)
        tokens = np.searchsorted(cumulative, rng.random(lengths.sum()) * cumulative[-1])
        rows = np.repeat(np.arange(size), lengths)
        counts = sp.csr_matrix(
            (np.ones(len(tokens)), (rows, tokens)), shape=(size, vocabulary)
        )  # duplicates summed: term counts
        blocks.append(counts @ term_columns)
    X = sp.vstack(blocks, format="csr")
    X.data = 1 + np.log(X.data)
    return normalize(X, copy=False)


def data_sets(config, only):
    """``name -> (description, builder)``: the data sets of this run, built when called."""
    n, d, k = config.uniform
    wide_n, wide_d, wide_k = config.wide
    documents, vocabulary, hashed = config.text
    found = {
        "uniform": (
            f"(a) uniform: CSR {n:,} x {d:,}, {k} non-zeros per row",
            lambda: random_columns(n, d, k, seed=1),
        ),
        "wide": (
            f"(b) wide: CSR {wide_n:,} x {wide_d:,}, {wide_k} non-zeros per row",
            lambda: random_columns(wide_n, wide_d, wide_k, seed=2),
        ),
        "text": (
            f"(c) text: {documents:,} documents, Zipf over {vocabulary:,} terms, "
            f"{DOCUMENT_LENGTHS[0]}-{DOCUMENT_LENGTHS[1]} tokens, hashed to {hashed:,}",
            lambda: bag_of_words(documents, vocabulary, hashed, seed=3),
        ),
    }
    return {name: found[name] for name in only}


def write_vw(path, X, labels, chunk=20_000):
    """Rows of ``X`` in Vowpal Wabbit's text format, ``label |f index:value ...`` (VW takes
    a numeric feature name as the feature's index)."""
    with open(path, "w") as file:
        for start in range(0, X.shape[0], chunk):
            block = X[start : start + chunk]
            indices, values = block.indices.tolist(), block.data.tolist()
            bounds = block.indptr.tolist()
            lines = [
                f"{label:.9g} |f "
                + " ".join(map("{}:{:.9g}".format, indices[begin:end], values[begin:end]))
                for label, begin, end in zip(
                    labels[start : start + chunk].tolist(), bounds[:-1], bounds[1:], strict=True
                )
            ]
            file.write("\n".join(lines) + "\n")


# -- the three implementations ------------------------------------------------------------------
def ours(loss, penalty):
    """``epochs -> estimator``: sklosses, SGD epochs only."""
    task, our_loss = LOSSES[loss][:2]
    estimator = SGDRegressor if task == "regression" else SGDClassifier
    return lambda epochs: estimator(
        loss=our_loss,
        penalty=penalty,
        alpha=ALPHA,
        l1_ratio=L1_RATIO,
        solver="sgd",
        max_iter=epochs,
        tol=None,
        random_state=0,
    )


def sklearn_sgd(loss, penalty):
    """``epochs -> estimator``: scikit-learn's SGD on the sklosses objective."""
    task, _, options, alpha_factor, _ = LOSSES[loss]
    estimator = sk.SGDRegressor if task == "regression" else sk.SGDClassifier
    return lambda epochs: estimator(
        penalty=penalty,
        alpha=ALPHA * alpha_factor,
        l1_ratio=L1_RATIO,
        max_iter=epochs,
        tol=None,
        random_state=0,
        **options,
    )


def fitted(factory, epochs, X, y, X_test):
    """Seconds of ``factory(epochs).fit(X, y)`` and the model's raw test predictions."""
    model = factory(epochs)
    seconds, _ = seconds_of(lambda: model.fit(X, y))
    return seconds, (model.decision_function if is_classifier(model) else model.predict)(X_test)


def vw_options(loss, penalty, n_features):
    """Vowpal Wabbit's options for one case: its loss, the same penalty weights, and enough
    hash bits that the features' indices do not collide (``index + namespace hash`` modulo
    ``2**bits`` is one-to-one on ``range(2**bits)``)."""
    l1 = ALPHA * L1_RATIO if penalty == "elasticnet" else 0.0
    bits = max(18, int(np.ceil(np.log2(n_features))))
    return (
        f"{LOSSES[loss][4]} --l2 {ALPHA - l1:g}" + (f" --l1 {l1:g}" if l1 else "") + f" -b {bits}"
    )


def vw_fitted(options, passes, folder):
    """Seconds of Vowpal Wabbit learning ``passes`` passes from ``folder/train.vw`` through
    its cache, and its predictions of ``folder/test.vw`` (from the saved model, untimed).

    VW bounds its predictions to the range of the training labels ([-1, 1] for the hinge
    loss); they are scored as it outputs them, which can only lower its test loss.
    """
    model, predictions = folder / "model.vw", folder / "predictions.txt"
    arguments = (
        f"-d {folder / 'train.vw'} -c --cache_file {folder / 'train.cache'} -k "
        f"--passes {passes} --holdout_off {options} -f {model} --quiet"
    )

    def learn():
        workspace = vowpalwabbit.Workspace(arguments)
        workspace.run_parser()
        return workspace

    seconds, workspace = seconds_of(learn)
    workspace.finish()  # writes the model
    tester = vowpalwabbit.Workspace(
        f"-i {model} -t -d {folder / 'test.vw'} -p {predictions} --quiet"
    )
    tester.run_parser()
    tester.finish()
    return seconds, np.loadtxt(predictions, ndmin=1)


# -- one data set -------------------------------------------------------------------------------
@dataclass
class Result:
    """Medians of one implementation on one case, and its test losses after 1 and 5 epochs."""

    epoch: float
    setup: float
    losses: dict

    def nnz_per_second(self, nnz):
        return nnz / self.epoch


def measure(X, config, folder):
    """Time every implementation on every (loss, penalty) of one data set.

    Returns ``{(loss, penalty): {implementation: Result}}`` and the training non-zeros.
    """
    n_train = round((1 - TEST_FRACTION) * X.shape[0])
    X_train, X_test = X[:n_train], X[n_train:]
    y, labels = linear_targets(X, seed=4)
    targets = {"regression": y, "binary": labels}
    if vowpalwabbit is not None:
        for task, values in targets.items():  # untimed: VW learns from these files
            (folder / task).mkdir(exist_ok=True)
            write_vw(folder / task / "train.vw", X_train, values[:n_train])
            write_vw(folder / task / "test.vw", X_test, values[n_train:])

    def runners(loss, penalty):
        task = LOSSES[loss][0]
        y_train = targets[task][:n_train]
        found = {
            name: lambda epochs, factory=factory: fitted(factory, epochs, X_train, y_train, X_test)
            for name, factory in [
                ("sklosses", ours(loss, penalty)),
                ("sklearn", sklearn_sgd(loss, penalty)),
            ]
        }
        if vowpalwabbit is not None:
            options = vw_options(loss, penalty, X.shape[1])
            found["VW"] = lambda epochs: vw_fitted(options, epochs, folder / task)
        return found

    times, losses = {}, {}
    for _ in range(config.repeats):  # implementations interleaved within every repeat
        for loss, (task, metric, *_) in LOSSES.items():
            for penalty in PENALTIES:
                for name, run in runners(loss, penalty).items():
                    for epochs in EPOCHS:
                        seconds, raw = run(epochs)
                        key = (loss, penalty, name)
                        times.setdefault(key, {e: [] for e in EPOCHS})[epochs].append(seconds)
                        test = targets[task][n_train:]
                        losses.setdefault(key, {})[epochs] = mean_loss(metric, test, raw)
    results = {}
    for (loss, penalty, name), samples in times.items():
        first, last = (statistics.median(samples[e]) for e in EPOCHS)
        epoch = (last - first) / (EPOCHS[1] - EPOCHS[0])
        results.setdefault((loss, penalty), {})[name] = Result(
            epoch, first - epoch, losses[loss, penalty, name]
        )
    return results, X_train.nnz


def print_results(description, results, nnz, config):
    """One table row per (loss, penalty, implementation), sklosses' ratios on its rows."""
    rows = []
    for (loss, penalty), found in results.items():
        for name, result in found.items():
            ratios = [
                fmt(result.epoch / found[peer].epoch, ".2f")
                if name == "sklosses" and peer in found
                else "-"
                for peer in ("sklearn", "VW")
            ]
            rows.append(
                [
                    loss,
                    penalty,
                    name,
                    fmt(result.epoch, ".4f"),
                    fmt(result.setup, ".3f"),
                    fmt(result.nnz_per_second(nnz), ".3g"),
                    *(fmt(result.losses[e], ".5f") for e in EPOCHS),
                    *ratios,
                ]
            )
    print_table(
        f"{description} ({nnz:,} training non-zeros), tol=None",
        ["loss", "penalty", "implementation", "s/epoch", "set-up s", "nnz/s"]
        + [f"test loss {e} ep" for e in EPOCHS]
        + ["epoch/sklearn", "epoch/VW"],
        rows,
        notes=[
            f"per epoch = (t({EPOCHS[1]}) - t({EPOCHS[0]})) / {EPOCHS[1] - EPOCHS[0]}, "
            f"set-up = t({EPOCHS[0]}) - one epoch; medians of {config.repeats} repeats, "
            "implementations interleaved; VW: passes over its cache, set-up includes parsing "
            "its text file",
            "test losses: sklosses.metrics.mean_loss of the raw predictions; VW's are bounded "
            "to the training labels' range as VW outputs them",
        ],
    )


# -- targets ------------------------------------------------------------------------------------
def worst(results, value):
    """The largest ``value(found)`` over the cases of one data set, with its case."""
    case = max(results, key=lambda case: value(results[case]))
    return value(results[case]), "/".join(case)


def record_targets(summary, measured):
    """The targets of issue 15 from ``measured``: ``name -> (results, training nnz)``."""
    for name in ("uniform", "text"):
        if name in measured:
            ratio, case = worst(
                measured[name][0], lambda found: found["sklosses"].epoch / found["sklearn"].epoch
            )
            summary.record(
                name,
                "epoch <= 0.3x sklearn SGD (worst case)",
                f"{ratio:.2f}x ({case})",
                ratio <= 0.3,
            )
    if "uniform" in measured:
        results, nnz = measured["uniform"]
        slowest, case = worst(results, lambda found: -found["sklosses"].nnz_per_second(nnz))
        summary.record(
            "uniform",
            ">= 1e8 non-zeros/s per epoch (slowest case)",
            f"{-slowest:.3g} ({case})",
            -slowest >= 1e8,
        )
    if "uniform" in measured and "wide" in measured:
        (uniform, uniform_nnz), (wide, wide_nnz) = measured["uniform"], measured["wide"]
        ratio, case = max(
            (
                wide[case]["sklosses"].epoch
                / (wide_nnz * uniform[case]["sklosses"].epoch / uniform_nnz),
                "/".join(case),
            )
            for case in wide
        )
        summary.record(
            "wide", "epoch <= 2x nnz x (s per nnz on uniform)", f"{ratio:.2f}x ({case})", ratio <= 2
        )
    for name, (results, _) in measured.items():
        if vowpalwabbit is None:
            continue
        slower = [
            case for case, found in results.items() if found["sklosses"].epoch > found["VW"].epoch
        ]
        worse = [
            case
            for case, found in results.items()
            if any(
                found["sklosses"].losses[e] > (1 + EQUAL_LOSS) * found["VW"].losses[e]
                for e in EPOCHS
            )
        ]
        misses = set(slower) | set(worse)
        summary.record(
            name,
            f"per pass <= VW's at <= its test loss ({EPOCHS[0]} and {EPOCHS[1]})",
            f"{len(results) - len(misses)} of {len(results)} cases (slower in {len(slower)}, "
            f"higher test loss in {len(worse)})",
            not misses,
        )


def main(argv=None):
    """Parse the arguments, measure the chosen data sets and print the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes")
    size.add_argument("--medium", action="store_true", help="200,000 rows for uniform and text")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("uniform", "wide", "text"),
        default=("uniform", "wide", "text"),
    )
    arguments = parser.parse_args(argv)
    config = SIZES["quick" if arguments.quick else "medium" if arguments.medium else "full"]
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"sparse benchmarks ({config.name} run)")
    for line in machine_description():
        print(line)
    if vowpalwabbit is not None:
        print(f"Vowpal Wabbit {vowpalwabbit.__version__}")
    else:
        note('Vowpal Wabbit is absent (pip install -e ".[benchmark]"): its columns are skipped')
    summary, measured, start = Summary(), {}, time.perf_counter()
    for name, (description, build) in data_sets(config, arguments.only).items():
        section_start = time.perf_counter()
        X = build()
        print(f"\n   {name}: built in {time.perf_counter() - section_start:.0f} s", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            measured[name] = measure(X, config, Path(folder))
        del X
        print_results(description, *measured[name], config)
        print(f"   ({name} took {time.perf_counter() - section_start:.0f} s)", flush=True)
    record_targets(summary, measured)
    summary.print()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - start:.0f} s; load average at the end: {load}")


if __name__ == "__main__":
    main()
