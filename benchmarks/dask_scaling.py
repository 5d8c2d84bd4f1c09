"""Data-parallel training on a Dask cluster: accuracy and time against one machine (issue 6).

Usage::

    python benchmarks/dask_scaling.py [--quick]

For each loss (0.9-quantile regression, focal binary classification) on one
data set, in the same run:

* ``single``: ``estimator.fit`` on the whole training set in this process
  (NumPy/BLAS with their default threads);
* ``mixing``: :func:`sklosses.parallel.fit_parameter_mixing` on a
  ``LocalCluster`` of 1 and of 2 single-threaded worker processes, the data
  split into as many blocks as workers (and 2 blocks on 1 worker, the same
  computation as on 2 workers, run one block after the other);
* ``incremental``: ``dask_ml.wrappers.Incremental`` (blocks visited one after
  the other), as many passes as ``single`` took epochs.

Blocks are generated on the workers from per-block seeds (no transfer of the
data from this process) and persisted before the clock starts; the same
blocks are concatenated here for ``single``. Printed: epochs or rounds,
seconds, seconds per round, the held-out loss and its ratio to ``single``,
and the time ratio to 1 worker. Needs the ``dask`` extra.
"""

import argparse
import os
import time
import warnings

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, wait
from sklearn.base import clone, is_classifier, is_regressor

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import FocalLoss, QuantileLoss
from sklosses.metrics import mean_loss
from sklosses.parallel import fit_parameter_mixing

N_FEATURES = 50
TRUE_COEF = np.random.default_rng(42).normal(size=N_FEATURES)


def make_block(seed, n_rows, task):
    """Rows of one block: standard normal features, heavy-tailed regression
    noise or imbalanced (about 10% positive) logistic labels."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES))
    score = X @ TRUE_COEF / np.sqrt(N_FEATURES)
    if task == "regression":
        return X, 3 * score + rng.standard_t(3, size=n_rows) + 5
    return X, (rng.random(n_rows) < 1 / (1 + np.exp(-(3 * score - 3)))).astype(float)


def dask_blocks(n_rows, n_blocks, task, seed):
    """``(X, y)`` dask arrays whose blocks are made on the workers."""
    rows = n_rows // n_blocks
    parts = [dask.delayed(make_block, nout=2)(seed + k, rows, task) for k in range(n_blocks)]
    X = da.concatenate([da.from_delayed(X_part, (rows, N_FEATURES), float) for X_part, _ in parts])
    y = da.concatenate([da.from_delayed(y_part, (rows,), float) for _, y_part in parts])
    return X, y


def in_memory(n_rows, n_blocks, task, seed):
    blocks = [make_block(seed + k, n_rows // n_blocks, task) for k in range(n_blocks)]
    return np.concatenate([X for X, _ in blocks]), np.concatenate([y for _, y in blocks])


def held_out_loss(model, loss, X_test, y_test):
    raw = model.predict(X_test) if is_regressor(model) else (model.decision_function(X_test))
    return mean_loss(loss, y_test, raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400,000 rows instead of 2,000,000")
    args = parser.parse_args()
    n_train = 400_000 if args.quick else 2_000_000
    warnings.simplefilter("ignore")
    print(
        f"{os.cpu_count()} CPUs; {n_train} training rows x {N_FEATURES} float64 "
        f"({n_train * N_FEATURES * 8 / 1e6:.0f} MB), 200,000 test rows"
    )
    problems = [
        (
            "quantile 0.9",
            "regression",
            QuantileLoss(quantile=0.9),
            SGDRegressor(loss=QuantileLoss(quantile=0.9), random_state=0),
        ),
        ("focal", "classification", FocalLoss(), SGDClassifier(loss=FocalLoss(), random_state=0)),
    ]
    for name, task, loss, estimator in problems:
        X_test, y_test = make_block(10_000, 200_000, task)
        rows = []
        X, y = in_memory(n_train, 2, task, seed=0)
        start = time.perf_counter()
        single = clone(estimator).fit(X, y)
        rows.append(
            (
                "single",
                "-",
                "-",
                single.n_iter_,
                time.perf_counter() - start,
                held_out_loss(single, loss, X_test, y_test),
            )
        )
        del X, y
        for n_workers, n_blocks in ((1, 1), (1, 2), (2, 2)):
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                Client(cluster),
            ):
                X_dask, y_dask = dask.persist(*dask_blocks(n_train, n_blocks, task, seed=0))
                wait([X_dask, y_dask])
                start = time.perf_counter()
                model = fit_parameter_mixing(estimator, X_dask, y_dask)
                rows.append(
                    (
                        "mixing",
                        n_workers,
                        n_blocks,
                        model.n_iter_,
                        time.perf_counter() - start,
                        held_out_loss(model, loss, X_test, y_test),
                    )
                )
                if n_workers == 2:
                    rows.append(
                        incremental(estimator, X_dask, y_dask, single.n_iter_, loss, X_test, y_test)
                    )
        report(name, rows)


def incremental(estimator, X_dask, y_dask, passes, loss, X_test, y_test):
    from dask_ml.wrappers import Incremental

    wrapper = Incremental(clone(estimator))
    fit_params = {"classes": [0.0, 1.0]} if is_classifier(estimator) else {}
    start = time.perf_counter()
    for _ in range(passes):
        wrapper.partial_fit(X_dask, y_dask, **fit_params)
    return (
        "incremental",
        2,
        X_dask.numblocks[0],
        passes,
        time.perf_counter() - start,
        held_out_loss(wrapper.estimator_, loss, X_test, y_test),
    )


def report(name, rows):
    single_loss = rows[0][5]
    one_worker = next(
        seconds / count
        for method, workers, blocks, count, seconds, _ in rows
        if method == "mixing" and workers == 1 and blocks == 2
    )
    print(f"\n{name}")
    print(
        f"{'method':<12} {'workers':>7} {'blocks':>6} {'epochs/rounds':>13} {'seconds':>8} "
        f"{'s/round':>8} {'x 1 worker':>10} {'test loss':>10} {'x single':>9}"
    )
    for method, workers, blocks, count, seconds, test_loss in rows:
        per_round = seconds / count
        speed = f"{one_worker / per_round:.2f}" if method != "single" else "-"
        print(
            f"{method:<12} {workers!s:>7} {blocks!s:>6} {count:>13} {seconds:>8.2f} "
            f"{per_round:>8.3f} {speed:>10} {test_loss:>10.5f} "
            f"{test_loss / single_loss:>9.4f}"
        )


if __name__ == "__main__":
    main()
