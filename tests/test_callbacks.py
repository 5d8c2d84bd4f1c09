"""scikit-learn 1.9's callbacks (``sklearn.callback``) on the SGD estimators: a task per
``fit`` / ``partial_fit`` call, a subtask per epoch (and one for the full-batch phase), in
``GridSearchCV`` and ``Pipeline`` too (sklosses/linear_model/_callbacks.py)."""

import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import get_scorer as sklearn_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklosses.linear_model._base as estimator_base
from sklosses import SGDClassifier, SGDRanker, SGDRegressor, TripletMetricLearner
from sklosses.intervals import MultiQuantileRegressor
from sklosses.metrics import get_scorer

try:
    from sklearn.callback import ProgressBar, ScoringMonitor
except ImportError:  # scikit-learn < 1.9
    ProgressBar = ScoringMonitor = None

requires_callbacks = pytest.mark.skipif(
    ScoringMonitor is None, reason="scikit-learn < 1.9 has no sklearn.callback"
)
MSE = "neg_mean_squared_error"
README = Path(__file__).resolve().parents[1] / "README.md"


def _rows(monitor, task_prefix, log=None):
    """The rows of the monitor's most recent run (or of ``log``) whose task name starts
    with ``task_prefix``, in the order of their task ids."""
    log = monitor.get_logs() if log is None else log
    return [row for row in log.data if row["task_name"].startswith(task_prefix)]


def _score_name(row):
    """The name of the one score in a monitor's row (the other columns locate the task)."""
    (name,) = set(row) - {
        "task_id_path",
        "parent_task_id_path",
        "estimator_name",
        "task_name",
        "task_id",
        "sequential_subtasks",
    }
    return name


def _progress_bar():
    """A progress bar for every level of nested estimators."""
    pytest.importorskip("rich")  # ProgressBar draws with rich
    return ProgressBar(max_propagation_depth=None)


def _assert_bars_complete(output, names):
    """Every bar named in ``names`` was drawn, and every bar ended at 100%."""
    for name in names:
        assert re.search(name, output), (name, output)
    assert re.search(r"100%", output)
    assert not re.search(r"\b[0-9]{1,2}%", output), output


@requires_callbacks
def test_each_epoch_reports_the_model_fit_would_return_after_it(make_regression_data):
    """The score of epoch k is that of the model ``fit`` returns with ``max_iter=k``: the
    monitor sees each epoch's model in original coordinates, the average included."""
    X, y = make_regression_data(n_samples=300, noise=1.0)
    params = dict(solver="sgd", tol=None, random_state=0)
    monitor = ScoringMonitor(scoring=MSE)
    model = SGDRegressor(max_iter=5, **params).set_callbacks(monitor).fit(X, y)

    epochs = _rows(monitor, "epoch")
    assert [row["task_name"] for row in epochs] == [f"epoch {k}" for k in range(1, 6)]
    scorer = sklearn_scorer(MSE)
    for k, row in enumerate(epochs, start=1):
        stopped_early = SGDRegressor(max_iter=k, **params).fit(X, y)
        assert row[MSE] == pytest.approx(scorer(stopped_early, X, y), rel=1e-12)
    (root,) = _rows(monitor, "fit")
    assert root[MSE] == pytest.approx(scorer(model, X, y), rel=1e-12)
    assert epochs[-1][MSE] == pytest.approx(root[MSE], rel=1e-12)


@requires_callbacks
@pytest.mark.parametrize("n_samples, n_features", [(300, 5), (10_001, 32)])
def test_fit_reports_its_epochs_then_the_full_batch_phase(n_samples, n_features):
    """With the default solver: the SGD epochs ``fit`` runs first (none on small data),
    then one step for the full-batch phase, whose model is the fitted one; the scores
    improve."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features))
    y = X @ rng.normal(size=n_features) + rng.normal(size=n_samples)
    monitor = ScoringMonitor(scoring=MSE)
    model = SGDRegressor(random_state=0).set_callbacks(monitor).fit(X, y)

    steps = [row for row in monitor.get_logs().data if row["task_name"] != "fit"]
    n_epochs = model.n_iter_ - model.n_full_batch_iter_
    assert [row["task_name"] for row in steps] == [
        *(f"epoch {k}" for k in range(1, n_epochs + 1)),
        "full-batch",
    ]
    scores = np.array([row[MSE] for row in steps])
    assert np.isfinite(scores).all()
    assert scores[-1] == pytest.approx(sklearn_scorer(MSE)(model, X, y), rel=1e-12)
    # with a penalty this small the objective's minimiser has the best training error too
    assert scores[-1] >= scores.max() - 1e-9 * abs(scores.max())
    assert scores[-1] > scores[0] or n_epochs == 0


@requires_callbacks
def test_partial_fit_is_a_task_of_one_epoch_and_counting_goes_on(make_regression_data):
    X, y = make_regression_data(n_samples=200)
    monitor = ScoringMonitor(scoring=MSE)
    model = SGDRegressor(random_state=0).set_callbacks(monitor)
    for _ in range(3):
        model.partial_fit(X, y)

    runs = monitor.get_logs(select="all")
    assert len(runs) == 3
    for k, run in enumerate(runs, start=1):
        assert [row["task_name"] for row in run.data] == ["partial_fit", f"epoch {k}"]
    scores = [run.data[1][MSE] for run in runs]
    assert np.isfinite(scores).all() and scores[-1] > scores[0]
    assert runs[-1].data[0][MSE] == pytest.approx(sklearn_scorer(MSE)(model, X, y))


def _ranking_data():
    """Queries of 10 rows graded 0-2 by a noisy linear score."""
    rng = np.random.default_rng(0)
    qid = np.repeat(np.arange(40), 10)
    X = rng.normal(size=(len(qid), 4))
    score = X @ np.array([1.0, -1.0, 0.5, 0.0]) + 0.3 * rng.normal(size=len(qid))
    return X, np.digitize(score, [-0.5, 0.5]), {"qid": qid}


def _embedding_spread(estimator, X, y):
    return {"spread": float(np.linalg.norm(estimator.transform(X)))}


@requires_callbacks
@pytest.mark.parametrize(
    "estimator, data, scoring",
    [
        (SGDRegressor, "regression", "r2"),
        (MultiQuantileRegressor, "regression", {"score": lambda est, X, y: est.score(X, y)}),
        (SGDClassifier, "classification", "accuracy"),
        (SGDRanker, "ranking", {"ndcg": get_scorer("ndcg@5")}),  # needs the qid metadata
        (TripletMetricLearner, "classification", _embedding_spread),
    ],
    ids=lambda value: getattr(value, "__name__", None) if isinstance(value, type) else None,
)
def test_every_estimator_reports_its_epochs(
    estimator, data, scoring, make_regression_data, make_classification_data
):
    X, y, fit_params = {
        "regression": lambda: (*make_regression_data(n_samples=200), {}),
        "classification": lambda: (*make_classification_data(n_samples=200, n_classes=3), {}),
        "ranking": _ranking_data,
    }[data]()
    monitor = ScoringMonitor(scoring=scoring)
    model = estimator(max_iter=3, tol=None, random_state=0)
    if "solver" in model.get_params():  # a metric learner only runs SGD
        model.set_params(solver="sgd")
    model.set_callbacks(monitor).fit(X, y, **fit_params)

    epochs = _rows(monitor, "epoch")
    (root,) = _rows(monitor, "fit")
    name = _score_name(root)
    assert len(epochs) == model.n_iter_ == 3
    assert np.isfinite([row[name] for row in epochs]).all()
    assert epochs[-1][name] == pytest.approx(root[name])


@requires_callbacks
def test_progress_bar_steps_on_fit_and_partial_fit(capsys, make_regression_data):
    """One bar per call, complete at the end, fed one step per epoch."""
    pytest.importorskip("rich")
    X, y = make_regression_data(n_samples=200)
    ended = []

    class CountingProgressBar(ProgressBar):
        def on_fit_task_end(self, estimator, context):
            ended.append(context.task_name)
            super().on_fit_task_end(estimator, context)

    model = SGDRegressor(solver="sgd", random_state=0).set_callbacks(CountingProgressBar())
    model.fit(X, y)
    assert ended == [*(f"epoch {k}" for k in range(1, model.n_iter_ + 1)), "fit"]
    _assert_bars_complete(capsys.readouterr().out, ["SGDRegressor - fit"])

    ended.clear()
    epochs_of_fit = model.n_iter_
    model.partial_fit(X, y)  # goes on from the fitted model
    assert ended == [f"epoch {epochs_of_fit + 1}", "partial_fit"]
    _assert_bars_complete(capsys.readouterr().out, ["SGDRegressor - partial_fit"])


@requires_callbacks
def test_grid_search_shows_a_bar_per_fit_and_monitors_its_epochs(capsys, make_regression_data):
    X, y = make_regression_data(n_samples=200)
    monitor = ScoringMonitor(scoring=MSE)
    search = GridSearchCV(
        SGDRegressor(solver="sgd", random_state=0).set_callbacks(monitor),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    ).set_callbacks(_progress_bar())
    search.fit(X, y)

    n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1  # and the refit
    output = capsys.readouterr().out
    _assert_bars_complete(output, ["GridSearchCV - fit"])
    assert len(re.findall(r"SGDRegressor - fit #\d", output)) == n_fits

    (run,) = monitor.get_logs(select="all")  # the search is one run
    fits = _rows(monitor, "fit", run)
    assert len(fits) == n_fits
    epochs = {
        fit["task_id_path"]: [
            row for row in run.data if row["parent_task_id_path"] == fit["task_id_path"]
        ]
        for fit in fits
    }
    assert all(len(rows) >= 1 for rows in epochs.values())
    # the refit sits right under the search's root, the evaluations one level deeper
    refit = min(epochs, key=len)
    assert len(epochs[refit]) == search.best_estimator_.n_iter_
    assert np.isfinite([row[MSE] for row in _rows(monitor, "epoch", run)]).all()


@requires_callbacks
def test_pipeline_shows_its_steps_and_monitors_the_final_estimator(capsys, make_regression_data):
    X, y = make_regression_data(n_samples=200)
    X = 100 * X + 10  # far from scaled: scoring these rows would not give the same score
    monitor = ScoringMonitor(scoring=MSE)
    pipeline = make_pipeline(
        StandardScaler(), SGDRegressor(solver="sgd", random_state=0).set_callbacks(monitor)
    ).set_callbacks(_progress_bar())
    pipeline.fit(X, y)

    _assert_bars_complete(
        capsys.readouterr().out, ["Pipeline - fit", "StandardScaler - fit", "SGDRegressor - fit"]
    )
    epochs = _rows(monitor, "epoch")
    assert len(epochs) == pipeline[-1].n_iter_
    # the final estimator is scored on what it was trained on: the scaled rows
    final_score = sklearn_scorer(MSE)(pipeline[-1], pipeline[0].transform(X), y)
    assert epochs[-1][MSE] == pytest.approx(final_score)


@requires_callbacks
def test_the_engine_gets_no_hook_without_callbacks(monkeypatch, make_regression_data):
    """Without callbacks no epoch is reported, so no model is computed per epoch."""
    X, y = make_regression_data(n_samples=100)
    hooks = []
    train = estimator_base.train

    def recording_train(*args, on_epoch, **kwargs):
        hooks.append(on_epoch)
        return train(*args, on_epoch=on_epoch, **kwargs)

    monkeypatch.setattr(estimator_base, "train", recording_train)
    SGDRegressor(solver="sgd").fit(X, y)
    SGDRegressor(solver="sgd").set_callbacks(ScoringMonitor(scoring=MSE)).fit(X, y)
    assert hooks[0] is None and callable(hooks[1])


@requires_callbacks
def test_a_clone_reports_to_the_same_callbacks(make_regression_data):
    """As scikit-learn's ``clone``: callbacks are shared by reference, so a monitor
    follows every clone (the fits of a search, the folds of ``cross_validate``)."""
    X, y = make_regression_data(n_samples=100)
    monitor = ScoringMonitor(scoring=MSE)
    model = SGDRegressor(solver="sgd", random_state=0).set_callbacks(monitor)
    fitted_clone = clone(model).fit(X, y)
    assert len(_rows(monitor, "epoch")) == fitted_clone.n_iter_


@requires_callbacks
def test_an_estimator_with_callbacks_pickles_and_goes_on_logging(make_regression_data):
    """Before and after fit; the unpickled monitor keeps the runs logged before and
    adds the new ones (scikit-learn's callback pickling contract)."""
    pytest.importorskip("rich")
    X, y = make_regression_data(n_samples=100)
    model = SGDRegressor(solver="sgd", random_state=0)
    model.set_callbacks(ProgressBar(), ScoringMonitor(scoring=MSE))
    restored = pickle.loads(pickle.dumps(model))
    assert len(_rows(restored.fit(X, y)._skl_callbacks[1], "epoch")) == restored.n_iter_

    (run,) = model.fit(X, y)._skl_callbacks[1].get_logs(select="all")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    restored.fit(X, y)
    runs = restored._skl_callbacks[1].get_logs(select="all")
    assert len(runs) == 2
    assert runs[0].data == run.data


def test_estimators_fit_without_sklearn_callback():
    """On a scikit-learn without ``sklearn.callback`` the estimators have no
    ``set_callbacks`` and fit as before."""
    # scikit-learn 1.9 imports its callbacks itself: hide them from sklosses only
    code = textwrap.dedent(
        """
        import builtins
        real_import = builtins.__import__

        def import_without_callbacks(name, globals=None, *args, **kwargs):
            if name == "sklearn.callback" and (globals or {})["__name__"].startswith("sklosses"):
                raise ImportError(name)
            return real_import(name, globals, *args, **kwargs)

        builtins.__import__ = import_without_callbacks
        import numpy as np
        from sklosses import SGDRegressor
        X = np.random.default_rng(0).normal(size=(50, 3))
        model = SGDRegressor(solver="sgd", random_state=0).fit(X, X.sum(axis=1))
        model.partial_fit(X, X.sum(axis=1))
        assert not hasattr(model, "set_callbacks")
        print(model.score(X, X.sum(axis=1)) > 0.9)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@requires_callbacks
def test_readme_callbacks_example_runs(capsys):
    pytest.importorskip("rich")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [block for block in blocks if "set_callbacks" in block]
    exec(compile(block, str(README), "exec"), {})
    _assert_bars_complete(capsys.readouterr().out, ["SGDRegressor - fit"])
