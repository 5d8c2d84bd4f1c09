"""
sklosses on a Dask cluster: ``Incremental``, data-parallel training, grid search on workers
===========================================================================================

When to use Dask
----------------
* **The data is in chunks** -- larger than memory, or already spread over a cluster as the
  blocks of a ``dask.array`` or the partitions of a ``dask.dataframe`` (Parquet/CSV files,
  one per partition). ``dask_ml.wrappers.Incremental`` feeds the blocks one after another to
  ``partial_fit`` (one SGD epoch per block) as tasks on the workers, so no machine ever holds
  more than a block. Training stays sequential -- the blocks are visited in turn -- and a few
  passes reach the held-out loss of an in-memory ``fit`` (printed below, side by side).
* **All workers training at once** -- ``sklosses.parallel.fit_parameter_mixing`` runs one
  SGD epoch on every block in parallel, on the worker that holds it, and averages the block
  models between rounds (iterative parameter mixing). Only the model travels; a round costs
  one epoch over the largest block.
* **Many independent fits** -- grid searches, cross-validation: under
  ``joblib.parallel_backend("dask")`` a ``GridSearchCV(n_jobs=-1)`` sends its fits to the
  cluster's workers instead of local processes.
* If the data fits in memory on one machine, plain ``fit`` is simpler and at least as fast.

The script starts a ``LocalCluster`` (two worker processes, no dashboard) -- a stand-in for a
real cluster: pass the scheduler's address to ``Client`` instead. Worker processes re-import
this file, hence the ``if __name__ == "__main__":`` guard, which is required.

dask-ml (2025.1) details the script works around:

* pass ``scoring=`` to ``Incremental``: its default regression score is dask-ml's ``r2``,
  which fails on dask arrays with current dask versions;
* ``Incremental.score`` applies a scorer object such as ``make_loss_scorer(...)`` correctly
  only to NumPy/pandas test data (on dask collections it wraps it as if it were a metric);
  call the scorer directly, ``scorer(incremental, X_dask, y_dask)``, for dask test data;
* ``Incremental`` has no ``decision_function``, which the classification scorers call: score
  the fitted estimator, ``incremental.estimator_``;
* pass ``classes=`` to ``fit``/``partial_fit`` of a classifier: the first block may not
  contain every class.

Run: ``python examples/dask_cluster.py`` (needs ``pip install "dask[distributed,dataframe]"
dask-ml``)
"""

import time

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GridSearchCV

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import FocalLoss, QuantileLoss
from sklosses.metrics import get_scorer, make_loss_scorer, mean_loss

N_TRAIN, N_TEST, N_FEATURES, CHUNK_ROWS, PASSES = 40_000, 10_000, 10, 5_000, 3
COLUMNS = [f"x{i}" for i in range(N_FEATURES)]
Q90 = QuantileLoss(quantile=0.9)
FOCAL = FocalLoss(gamma=2.0)


def regression_data():
    """A linear signal plus skewed (Gumbel) noise: its 90th percentile is not its mean."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_TRAIN + N_TEST, N_FEATURES))
    y = X @ rng.normal(size=N_FEATURES) + 3 + rng.gumbel(size=len(X))
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def classification_data():
    """Imbalanced binary labels, about 10% positives."""
    X, y = make_classification(
        n_samples=N_TRAIN + N_TEST,
        n_features=N_FEATURES,
        n_informative=6,
        weights=[0.9],
        flip_y=0.01,
        random_state=0,
    )
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def as_dask(X, y):
    """The training rows as a chunked dask array and as a partitioned dask dataframe."""
    import dask.array as da
    import dask.dataframe as dd

    arrays = da.from_array(X, chunks=(CHUNK_ROWS, N_FEATURES)), da.from_array(y, CHUNK_ROWS)
    frame = dd.from_pandas(
        pd.DataFrame(X, columns=COLUMNS).assign(y=y), npartitions=N_TRAIN // CHUNK_ROWS
    )
    return {"dask array": arrays, "dask dataframe": (frame[COLUMNS], frame["y"])}


def stream(incremental, X, y, **fit_kwargs):
    """``PASSES`` passes over the blocks; each pass is a chain of ``partial_fit`` tasks."""
    for _ in range(PASSES):
        incremental.partial_fit(X, y, **fit_kwargs)
    return incremental


def row(name, metric, reference, seconds):
    return f"  {name:<28} {metric:10.5f}   {metric / reference:8.4f}   {seconds:6.2f} s"


def quantile_regression():
    from dask_ml.wrappers import Incremental

    X_train, y_train, X_test, y_test = regression_data()
    test_frame = pd.DataFrame(X_test, columns=COLUMNS)
    print(
        f"\n90th-percentile regression, {N_TRAIN:,} x {N_FEATURES} training rows in blocks "
        f"of {CHUNK_ROWS:,}, {PASSES} passes; held-out pinball loss (q = 0.9)"
    )
    print(f"  {'training':<28} {'pinball':>10}   {'/ memory':>8}   {'time':>8}")
    start = time.perf_counter()
    in_memory = SGDRegressor(loss=Q90, random_state=0).fit(X_train, y_train)
    reference = mean_loss(Q90, y_test, in_memory.predict(X_test))
    print(row("in-memory fit", reference, reference, time.perf_counter() - start))

    scorer = make_loss_scorer(Q90)
    fitted = {}
    for name, (X, y) in as_dask(X_train, y_train).items():
        start = time.perf_counter()
        incremental = Incremental(
            SGDRegressor(loss=Q90, random_state=0), scoring=scorer, random_state=0
        )
        fitted[name] = stream(incremental, X, y)
        seconds = time.perf_counter() - start
        X_eval = test_frame if name == "dask dataframe" else X_test  # as trained on
        pinball = mean_loss(Q90, y_test, incremental.predict(X_eval))
        print(row(f"Incremental, {name}", pinball, reference, seconds))

    # scoring the array-trained model: Incremental.score with our scorer (in-memory test
    # data), or the scorer called directly (dask test data too); both are -pinball
    import dask.array as da

    incremental = fitted["dask array"]
    X_test_dask = da.from_array(X_test, chunks=(CHUNK_ROWS, N_FEATURES))
    y_test_dask = da.from_array(y_test, chunks=CHUNK_ROWS)
    print(
        f"  incremental.score(X_test, y_test)             = {incremental.score(X_test, y_test):.5f}"
    )
    print(
        f"  scorer(incremental, dask X_test, dask y_test) = "
        f"{scorer(incremental, X_test_dask, y_test_dask):.5f}"
    )
    print(
        f"  -mean_loss(Q90, y_test, predict(X_test))      = "
        f"{-mean_loss(Q90, y_test, incremental.predict(X_test)):.5f}"
    )


def focal_classification():
    from dask_ml.wrappers import Incremental

    X_train, y_train, X_test, y_test = classification_data()
    test_frame = pd.DataFrame(X_test, columns=COLUMNS)
    print(
        f"\nFocal-loss classifier, {y_train.mean():.1%} positives; held-out focal loss "
        "(gamma = 2) and average precision"
    )
    print(f"  {'training':<28} {'focal':>10}   {'/ memory':>8}   {'time':>8}   {'AP':>6}")
    start = time.perf_counter()
    in_memory = SGDClassifier(loss=FOCAL, random_state=0).fit(X_train, y_train)
    scores = in_memory.decision_function(X_test)
    reference = mean_loss(FOCAL, y_test, scores)
    print(
        row("in-memory fit", reference, reference, time.perf_counter() - start)
        + f"   {average_precision_score(y_test, scores):6.3f}"
    )

    for name, (X, y) in as_dask(X_train, y_train).items():
        start = time.perf_counter()
        incremental = Incremental(SGDClassifier(loss=FOCAL, random_state=0), random_state=0)
        stream(incremental, X, y, classes=[0, 1])  # every label, on the first partial_fit
        seconds = time.perf_counter() - start
        X_eval = test_frame if name == "dask dataframe" else X_test
        scores = incremental.estimator_.decision_function(X_eval)
        focal = mean_loss(FOCAL, y_test, scores)
        print(
            row(f"Incremental, {name}", focal, reference, seconds)
            + f"   {average_precision_score(y_test, scores):6.3f}"
        )

    # the classification scorers call decision_function, which Incremental lacks: score the
    # fitted estimator (a registry name gives the scorer of the loss with its defaults)
    model = incremental.estimator_
    print(
        f"  make_loss_scorer(FocalLoss())(model, ...)    = "
        f"{make_loss_scorer(FOCAL)(model, test_frame, y_test):.5f}"
    )
    print(
        f"  get_scorer('neg_mean_focal_loss')(model, ...) = "
        f"{get_scorer('neg_mean_focal_loss')(model, test_frame, y_test):.5f}"
    )
    print(f"  -mean_loss(FocalLoss(), y_test, decision)      = {-focal:.5f}")


def grid_search_on_cluster(client):
    import joblib
    from distributed import get_task_stream

    X_train, y_train, X_test, y_test = regression_data()
    X_train, y_train = X_train[:10_000], y_train[:10_000]
    grid = {"loss__quantile": [0.5, 0.7, 0.9, 0.95], "alpha": [1e-4, 1e-2]}
    search = GridSearchCV(
        SGDRegressor(loss=QuantileLoss(), random_state=0),
        grid,
        cv=3,
        scoring=make_loss_scorer(Q90),
        n_jobs=-1,
    )
    print(
        "\nGridSearchCV over loss__quantile x alpha, scored by pinball(0.9), fits on the "
        "cluster (joblib's dask backend)"
    )
    start = time.perf_counter()
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        search.fit(X_train, y_train)
    per_worker = pd.Series([task["worker"] for task in tasks.data]).value_counts()
    n_fits = 3 * len(grid["loss__quantile"]) * len(grid["alpha"])
    print(
        f"  {n_fits} fits ran as {len(tasks.data)} dask tasks (joblib batches them) in "
        f"{time.perf_counter() - start:.1f} s; tasks per worker: "
        + ", ".join(f"{worker} {count}" for worker, count in per_worker.items())
    )
    results = pd.DataFrame(search.cv_results_)
    for _, result in results.sort_values("rank_test_score").iterrows():
        print(
            f"  quantile {result.param_loss__quantile:<5} alpha {result.param_alpha:<7g}"
            f" mean pinball(0.9) {-result.mean_test_score:.4f}"
        )
    print("  best:", search.best_params_)

    model = search.best_estimator_
    prediction = model.predict(X_test)
    print(
        f"  held-out: make_loss_scorer(Q90)  {make_loss_scorer(Q90)(model, X_test, y_test):.5f}"
        f"   search.score {search.score(X_test, y_test):.5f}"
        f"   -mean_loss {-mean_loss(Q90, y_test, prediction):.5f}"
    )


def parameter_mixing():
    """Every block trains at once on its worker; the block models are averaged each round."""
    import dask.array as da

    from sklosses.parallel import fit_parameter_mixing

    X_train, y_train, X_test, y_test = regression_data()
    print(
        "\nData-parallel training (sklosses.parallel.fit_parameter_mixing), 90th percentile:"
        " one SGD epoch per block per round, all blocks at once, models averaged"
    )
    print(f"  {'training':<28} {'pinball':>10}   {'/ memory':>8}   {'time':>8}   rounds")
    start = time.perf_counter()
    in_memory = SGDRegressor(loss=Q90, random_state=0).fit(X_train, y_train)
    reference = mean_loss(Q90, y_test, in_memory.predict(X_test))
    print(
        row("in-memory fit", reference, reference, time.perf_counter() - start)
        + f"   {in_memory.n_iter_:6d} epochs"
    )
    for n_blocks in (2, 4):  # about one block per worker thread
        rows = N_TRAIN // n_blocks
        X = da.from_array(X_train, chunks=(rows, N_FEATURES))
        y = da.from_array(y_train, chunks=rows)
        start = time.perf_counter()
        model = fit_parameter_mixing(SGDRegressor(loss=Q90, random_state=0), X, y)
        pinball = mean_loss(Q90, y_test, model.predict(X_test))
        print(
            row(
                f"parameter mixing, {n_blocks} blocks",
                pinball,
                reference,
                time.perf_counter() - start,
            )
            + f"   {model.n_iter_:6d}"
        )


def main():
    try:
        import dask_ml  # noqa: F401
        from distributed import Client, LocalCluster
    except ImportError:
        print('This example needs Dask: pip install "dask[distributed,dataframe]" dask-ml')
        return

    # No dashboard; the scheduler's other HTTP endpoints on any free port (not 8787, which
    # another cluster may hold). For a real cluster: Client("tcp://scheduler:8786").
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        print(
            f"cluster: {len(client.scheduler_info()['workers'])} worker processes, "
            f"scheduler {client.scheduler.address}"
        )
        quantile_regression()
        focal_classification()
        grid_search_on_cluster(client)

        parameter_mixing()


if __name__ == "__main__":
    main()
