"""A loss registered at run time travels with the estimators and scorers that hold its
name: to joblib's worker processes (the default ``loky`` backend) and through a pickle
loaded in a fresh process (issue 13, item 3)."""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV, cross_val_score
from travelling_losses import PseudoHuberLoss, TemperedLogLoss

from sklosses import SGDClassifier, SGDRegressor
from sklosses.intervals import MultiQuantileRegressor
from sklosses.losses import LOSSES, register_loss, run_time_registration
from sklosses.metrics import get_scorer, make_loss_scorer

TESTS = Path(__file__).parent
CARRIED = b"_sklosses_loss_registrations"  # the key of the registrations in a pickle


@pytest.fixture
def pseudo_huber():
    register_loss("pseudo_huber", PseudoHuberLoss)
    yield "pseudo_huber"
    LOSSES.pop("pseudo_huber", None)


@pytest.fixture
def tempered_log():
    register_loss("tempered_log", TemperedLogLoss)
    yield "tempered_log"
    LOSSES.pop("tempered_log", None)


@pytest.fixture
def regression_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.5 * rng.standard_t(2, size=300)
    return X, y


@pytest.fixture
def classification_problem():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.logistic(size=300) > 0).astype(int)
    return X, y


def run_python(code, cwd):
    """Run ``code`` in a fresh interpreter that can import the test helpers; its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    script = Path(cwd) / "script.py"
    script.write_text(textwrap.dedent(code))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_registry_tells_run_time_names_from_built_in_ones(pseudo_huber):
    assert run_time_registration(pseudo_huber) is PseudoHuberLoss
    assert run_time_registration("huber") is None
    assert run_time_registration("no_such_loss") is None
    assert run_time_registration(PseudoHuberLoss()) is None  # an instance pickles its class


def test_grid_search_in_worker_processes_knows_the_name(pseudo_huber, regression_problem):
    X, y = regression_problem
    grid = {"alpha": [1e-4, 1e-1]}
    searches = [
        GridSearchCV(SGDRegressor(loss=pseudo_huber, random_state=0), grid, cv=3, n_jobs=n_jobs)
        for n_jobs in (1, 2)
    ]
    for search in searches:
        search.fit(X, y)
    in_process, in_workers = (search.cv_results_["mean_test_score"] for search in searches)
    assert_allclose(in_workers, in_process)
    assert searches[1].best_estimator_.get_params()["loss"] == pseudo_huber


def test_cross_val_score_in_worker_processes_with_the_loss_scorer(pseudo_huber, regression_problem):
    X, y = regression_problem
    model = SGDRegressor(loss=pseudo_huber, random_state=0)
    for scoring in (None, make_loss_scorer(pseudo_huber), get_scorer("neg_mean_pseudo_huber_loss")):
        in_process = cross_val_score(model, X, y, cv=3, scoring=scoring)
        in_workers = cross_val_score(model, X, y, cv=3, scoring=scoring, n_jobs=2)
        assert_allclose(in_workers, in_process)


def test_a_loss_defined_in_main_travels_to_worker_processes(tmp_path):
    """The user's case: a script defines and registers the loss; loky's workers cannot
    import ``__main__``, so cloudpickle sends the class by value with the estimator."""
    output = run_python(
        """
        import numpy as np
        from sklearn.model_selection import GridSearchCV, cross_val_score

        from sklosses import SGDRegressor
        from sklosses.losses import Loss, register_loss


        class ScriptLoss(Loss):
            smoothness = 2.0

            def loss(self, y_true, raw_prediction):
                return np.log(np.cosh(raw_prediction - y_true)) + (raw_prediction - y_true) ** 2

            def gradient(self, y_true, raw_prediction):
                return np.tanh(raw_prediction - y_true) + 2 * (raw_prediction - y_true)


        if __name__ == "__main__":
            register_loss("script_loss", ScriptLoss)
            rng = np.random.default_rng(0)
            X = rng.normal(size=(200, 3))
            y = X @ [1.0, -2.0, 0.5] + rng.normal(size=200)
            model = SGDRegressor(loss="script_loss", random_state=0)
            search = GridSearchCV(model, {"alpha": [1e-4, 1e-1]}, cv=3, n_jobs=2).fit(X, y)
            scores = cross_val_score(model, X, y, cv=3, n_jobs=2)
            in_process = cross_val_score(model, X, y, cv=3)
            print(search.best_estimator_.get_params()["loss"], np.allclose(scores, in_process))
        """,
        tmp_path,
    )
    assert output.split() == ["script_loss", "True"]


def test_a_pickled_model_keeps_its_loss_in_a_fresh_process(
    tempered_log, classification_problem, tmp_path
):
    X, y = classification_problem
    model = SGDClassifier(loss=tempered_log, random_state=0).fit(X, y)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    run_python(
        """
        import pickle

        import numpy as np

        from sklosses.losses import LOSSES

        assert "tempered_log" not in LOSSES  # a fresh process: only the pickle knows it
        with open("model.pkl", "rb") as file:
            model = pickle.load(file)
        assert model.get_params()["loss"] == "tempered_log" and "tempered_log" in LOSSES
        X = np.load("X.npy")
        np.save("proba.npy", model.predict_proba(X))
        np.save("refit.npy", model.fit(X, model.predict(X)).decision_function(X))
        """,
        tmp_path,
    )
    assert_array_equal(np.load(tmp_path / "proba.npy"), model.predict_proba(X))
    # the name also works for a new fit there (the refit on predicted labels is finite)
    assert np.isfinite(np.load(tmp_path / "refit.npy")).all()


def test_unpickling_registers_a_missing_name(pseudo_huber, regression_problem):
    X, y = regression_problem
    model = SGDRegressor(loss=pseudo_huber, max_iter=5, tol=None, random_state=0).fit(X, y)
    scorer = make_loss_scorer(pseudo_huber)
    data = pickle.dumps((model, scorer))
    del LOSSES[pseudo_huber]
    restored, restored_scorer = pickle.loads(data)
    assert LOSSES[pseudo_huber] is PseudoHuberLoss
    assert_array_equal(restored.predict(X), model.predict(X))
    assert restored_scorer(restored, X, y) == scorer(model, X, y)
    assert restored.get_params()["loss"] == pseudo_huber


def test_an_early_stopping_scorer_name_carries_its_loss(pseudo_huber, regression_problem):
    X, y = regression_problem
    scoring = "neg_mean_pseudo_huber_loss"
    data = pickle.dumps(SGDRegressor(early_stopping=True, scoring=scoring, random_state=0))
    del LOSSES[pseudo_huber]
    restored = pickle.loads(data).fit(X, y)
    assert LOSSES[pseudo_huber] is PseudoHuberLoss
    assert restored.get_params()["scoring"] == scoring and restored.best_validation_score_ < 0


def test_unpickling_refuses_a_name_registered_to_another_class(pseudo_huber):
    data = pickle.dumps(SGDRegressor(loss=pseudo_huber))
    del LOSSES[pseudo_huber]
    register_loss(pseudo_huber, TemperedLogLoss)
    with pytest.raises(ValueError, match="'pseudo_huber' is registered here to .*TemperedLogLoss"):
        pickle.loads(data)
    assert LOSSES[pseudo_huber] is TemperedLogLoss  # left as it was


def test_unpickling_takes_the_pickled_class_over_a_redefinition_of_it(pseudo_huber):
    """A reused worker process sees a class defined again by a script run again: the
    same qualified name, another object; the pickle brings the newer definition."""
    data = pickle.dumps(make_loss_scorer(pseudo_huber))
    older = type("PseudoHuberLoss", (PseudoHuberLoss,), {"__module__": PseudoHuberLoss.__module__})
    LOSSES[pseudo_huber] = older
    pickle.loads(data)
    assert LOSSES[pseudo_huber] is PseudoHuberLoss


def test_built_in_names_pickle_as_before(pseudo_huber, regression_problem):
    X, y = regression_problem
    for model in (SGDRegressor(loss="huber"), MultiQuantileRegressor(max_iter=3, tol=None)):
        data = pickle.dumps(model.fit(X, y))
        assert CARRIED not in data
        del LOSSES[pseudo_huber]
        assert pickle.dumps(model) == data  # not a byte more for a run-time registration
        register_loss(pseudo_huber, PseudoHuberLoss)
        assert_array_equal(pickle.loads(data).predict(X), model.predict(X))
    assert CARRIED not in pickle.dumps(make_loss_scorer("huber"))
    assert CARRIED in pickle.dumps(SGDRegressor(loss=pseudo_huber))
