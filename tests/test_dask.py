"""sklosses on a real Dask cluster (issue #6).

Every test runs on the session's ``LocalCluster`` (two worker processes, one thread each, no
dashboard; the ``dask_client`` fixture of ``conftest.py``).

* ``dask_ml.wrappers.Incremental`` streams the blocks of a chunked dask array, or the
  partitions of a dask dataframe, into ``partial_fit`` on the cluster's workers (several
  passes); the held-out loss is within 2% of an in-memory ``fit`` on the same rows.
* ``GridSearchCV(n_jobs=-1)`` under ``joblib.parallel_backend("dask")`` runs its fits as
  tasks on the workers and selects exactly what the sequential search selects.
* Our scorers score the fitted estimators: equal to minus ``mean_loss``.

dask-ml 2025.1 quirks these tests work around (see the notes in the tests):

* ``Incremental.score`` with the default scoring computes dask-ml's ``r2_score``, which
  fails on dask arrays with the current dask ("cannot broadcast shape (nan,)"): always pass
  ``scoring=``.
* ``Incremental.score`` on *dask* inputs wraps a scorer callable in ``make_scorer`` as if it
  were a metric, so our scorer (or any scorer object) raises ``TypeError`` there; on NumPy
  inputs it works, and calling the scorer directly, ``scorer(inc, X_dask, y_dask)``, works.
* Registry scorer names such as ``"neg_mean_quantile_loss"`` are not known to dask-ml's or
  scikit-learn's ``get_scorer``: pass ``sklosses.metrics.get_scorer(name)`` instead.
* ``Incremental`` has no ``decision_function``, which our classification scorers call:
  score the fitted estimator ``inc.estimator_`` instead.
"""

import re

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from sklosses import SGDClassifier, SGDRegressor
from sklosses.losses import FocalLoss, QuantileLoss
from sklosses.metrics import get_scorer, make_loss_scorer, mean_loss

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("dask_ml")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from dask_ml.wrappers import Incremental  # noqa: E402
from distributed import get_task_stream  # noqa: E402

N_TRAIN, N_TEST, N_FEATURES, CHUNK_ROWS, PASSES = 20_000, 5_000, 10, 4_000, 3
COLUMNS = [f"x{i}" for i in range(N_FEATURES)]
Q90 = QuantileLoss(quantile=0.9)
FOCAL = FocalLoss()
TOLERANCE = 0.02  # held-out loss of the Dask fit within 2% of the in-memory fit


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def regression():
    """Linear signal plus skewed (Gumbel) noise: its 90th percentile is not its mean."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_TRAIN + N_TEST, N_FEATURES))
    y = X @ rng.normal(size=N_FEATURES) + 3 + rng.gumbel(size=len(X))
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


@pytest.fixture(scope="module")
def classification():
    """Imbalanced binary labels: about 10% positives."""
    X, y = make_classification(
        n_samples=N_TRAIN + N_TEST,
        n_features=N_FEATURES,
        n_informative=6,
        weights=[0.9],
        flip_y=0.01,
        random_state=0,
    )
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


@pytest.fixture(scope="module")
def in_memory_q90(regression):
    X_train, y_train, X_test, y_test = regression
    model = SGDRegressor(loss=Q90, random_state=0).fit(X_train, y_train)
    return mean_loss(Q90, y_test, model.predict(X_test))


@pytest.fixture(scope="module")
def in_memory_focal(classification):
    X_train, y_train, X_test, y_test = classification
    model = SGDClassifier(loss=FOCAL, random_state=0).fit(X_train, y_train)
    return mean_loss(FOCAL, y_test, model.decision_function(X_test))


def _dask_array(X, y, rows=CHUNK_ROWS):
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


def _dask_frame(X, y, npartitions=N_TRAIN // CHUNK_ROWS):
    frame = dd.from_pandas(pd.DataFrame(X, columns=COLUMNS).assign(y=y), npartitions=npartitions)
    return frame[COLUMNS], frame["y"]


def _stream(incremental, X, y, **fit_kwargs):
    """``PASSES`` passes over the blocks, each a chain of ``partial_fit`` tasks."""
    for _ in range(PASSES):
        incremental.partial_fit(X, y, **fit_kwargs)
    return incremental


def _key_name(task):
    key = task["key"]
    return key[0] if isinstance(key, tuple) else str(key)


def _workers(client):
    return set(client.scheduler_info()["workers"])


def test_incremental_quantile_regression_on_dask_array(client, regression, in_memory_q90):
    X_train, y_train, X_test, y_test = regression
    X, y = _dask_array(X_train, y_train)
    scorer = make_loss_scorer(Q90)
    incremental = Incremental(
        SGDRegressor(loss=Q90, random_state=0), scoring=scorer, random_state=0
    )
    with get_task_stream(client) as stream:
        _stream(incremental, X, y)

    # every block of every pass went through partial_fit on a worker of the cluster
    # (the graph's ("fit-...", -1) key holds the unfitted model; blocks are 0, 1, ...)
    fit_tasks = [
        task for task in stream.data if _key_name(task).startswith("fit-") and task["key"][1] >= 0
    ]
    assert len(fit_tasks) == PASSES * X.numblocks[0]
    assert {task["worker"] for task in fit_tasks} <= _workers(client)
    assert incremental.estimator_.t_ == PASSES * N_TRAIN + 1

    pinball = mean_loss(Q90, y_test, incremental.predict(X_test))
    assert pinball == pytest.approx(in_memory_q90, rel=TOLERANCE)
    # predict on dask data is lazy, block-wise, and equal to the in-memory predict
    X_test_dask, y_test_dask = _dask_array(X_test, y_test, rows=2_500)
    lazy = incremental.predict(X_test_dask)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), incremental.predict(X_test))

    # Incremental.score with our scorer (NumPy test data; dask-ml breaks scorer objects
    # on dask inputs), and our scorer called directly on dask test data
    assert incremental.score(X_test, y_test) == pytest.approx(-pinball, rel=1e-12)
    assert scorer(incremental, X_test_dask, y_test_dask) == pytest.approx(-pinball, rel=1e-12)


def test_incremental_quantile_regression_on_dask_dataframe(client, regression, in_memory_q90):
    X_train, y_train, X_test, y_test = regression
    X, y = _dask_frame(X_train, y_train)
    incremental = Incremental(
        SGDRegressor(loss=Q90, random_state=0), scoring=make_loss_scorer(Q90), random_state=0
    )
    _stream(incremental, X, y)

    assert list(incremental.estimator_.feature_names_in_) == COLUMNS
    test_frame = pd.DataFrame(X_test, columns=COLUMNS)
    pinball = mean_loss(Q90, y_test, incremental.predict(test_frame))
    assert pinball == pytest.approx(in_memory_q90, rel=TOLERANCE)
    lazy = incremental.predict(dd.from_pandas(test_frame, npartitions=2))
    np.testing.assert_allclose(np.asarray(lazy.compute()), incremental.predict(test_frame))
    assert incremental.score(test_frame, y_test) == pytest.approx(-pinball, rel=1e-12)


def test_incremental_focal_classification_on_dask_array(client, classification, in_memory_focal):
    X_train, y_train, X_test, y_test = classification
    X, y = _dask_array(X_train, y_train)
    incremental = Incremental(SGDClassifier(loss=FOCAL, random_state=0), random_state=0)
    _stream(incremental, X, y, classes=[0, 1])  # all labels, on the first partial_fit

    model = incremental.estimator_
    np.testing.assert_array_equal(incremental.classes_, [0, 1])
    focal = mean_loss(FOCAL, y_test, model.decision_function(X_test))
    assert focal == pytest.approx(in_memory_focal, rel=TOLERANCE)
    proba = incremental.predict_proba(da.from_array(X_test, chunks=(2_500, N_FEATURES)))
    np.testing.assert_allclose(proba.compute(), model.predict_proba(X_test))

    # Incremental has no decision_function (our classification scorers need it): score the
    # fitted estimator, on NumPy or on dask test data
    X_test_dask, y_test_dask = _dask_array(X_test, y_test, rows=2_500)
    for scorer in (make_loss_scorer(FOCAL), get_scorer("neg_mean_focal_loss")):
        assert scorer(model, X_test, y_test) == pytest.approx(-focal, rel=1e-12)
        assert scorer(model, X_test_dask, y_test_dask) == pytest.approx(-focal, rel=1e-12)


def test_incremental_focal_classification_on_dask_dataframe(
    client, classification, in_memory_focal
):
    X_train, y_train, X_test, y_test = classification
    X, y = _dask_frame(X_train, y_train)
    incremental = Incremental(SGDClassifier(loss=FOCAL, random_state=0), random_state=0)
    _stream(incremental, X, y, classes=[0, 1])

    model = incremental.estimator_
    test_frame = pd.DataFrame(X_test, columns=COLUMNS)
    focal = mean_loss(FOCAL, y_test, model.decision_function(test_frame))
    assert focal == pytest.approx(in_memory_focal, rel=TOLERANCE)
    assert make_loss_scorer(FOCAL)(model, test_frame, y_test) == pytest.approx(-focal, rel=1e-12)


GRID = {"loss__quantile": [0.5, 0.7, 0.9, 0.95], "alpha": [1e-4, 1e-2]}
CV = 3


def _search(n_jobs):
    return GridSearchCV(
        SGDRegressor(loss=QuantileLoss(), random_state=0),
        GRID,
        cv=CV,
        scoring=make_loss_scorer(Q90),
        n_jobs=n_jobs,
    )


@pytest.fixture(scope="module")
def searches(client, regression):
    """The same grid search run sequentially and on the cluster (joblib's dask backend)."""
    X_train, y_train = regression[0][:6_000], regression[1][:6_000]
    sequential = _search(n_jobs=1).fit(X_train, y_train)
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        on_cluster = _search(n_jobs=-1).fit(X_train, y_train)
    return sequential, on_cluster, stream.data


def test_grid_search_runs_on_the_cluster_and_matches_sequential(client, searches):
    sequential, on_cluster, tasks = searches
    n_fits = CV * len(GRID["loss__quantile"]) * len(GRID["alpha"])

    # evidence that the fits ran on the workers: joblib's dask backend submits tasks
    # named "[mixed_]batch_of__fit_and_score_<n>_calls-<id>", n fits each (joblib's
    # auto-batching varies n from run to run)
    batches = [re.search(r"batch_of__fit_and_score_(\d+)_calls", _key_name(task)) for task in tasks]
    batches = [batch for batch in batches if batch]
    assert sum(int(batch.group(1)) for batch in batches) == n_fits
    assert {task["worker"] for task in tasks} <= _workers(client)

    assert on_cluster.best_params_ == sequential.best_params_
    assert on_cluster.best_params_["loss__quantile"] == 0.9  # pinball(0.9) picks q = 0.9
    assert on_cluster.cv_results_["params"] == sequential.cv_results_["params"]
    np.testing.assert_array_equal(
        on_cluster.cv_results_["rank_test_score"], sequential.cv_results_["rank_test_score"]
    )
    # bitwise equal in practice; a tolerance only for BLAS threading (dask sets one
    # thread per worker process)
    for key in [f"split{k}_test_score" for k in range(CV)] + ["mean_test_score"]:
        np.testing.assert_allclose(
            on_cluster.cv_results_[key], sequential.cv_results_[key], rtol=1e-9, err_msg=key
        )
    np.testing.assert_allclose(
        on_cluster.best_estimator_.coef_, sequential.best_estimator_.coef_, rtol=1e-9
    )


def test_our_scorers_score_the_fitted_estimator(searches, regression):
    _, on_cluster, _ = searches
    _, _, X_test, y_test = regression
    model = on_cluster.best_estimator_
    prediction = model.predict(X_test)
    assert make_loss_scorer(Q90)(model, X_test, y_test) == pytest.approx(
        -mean_loss(Q90, y_test, prediction), rel=1e-12
    )
    assert on_cluster.score(X_test, y_test) == pytest.approx(
        -mean_loss(Q90, y_test, prediction), rel=1e-12
    )
    assert get_scorer("neg_mean_quantile_loss")(model, X_test, y_test) == pytest.approx(
        -mean_loss("quantile", y_test, prediction), rel=1e-12
    )  # the registry default, q = 0.5
    assert get_scorer("neg_mean_absolute_error")(model, X_test, y_test) == pytest.approx(
        -mean_loss("absolute_error", y_test, prediction), rel=1e-12
    )
