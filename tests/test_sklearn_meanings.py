"""scikit-learn's meaning of ``max_iter`` / ``n_iter_``, of early stopping's validation
split, and per-sample steps of ``batch_size="auto"`` on a few rows (issue 13)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sklearn_linear_model
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import TrainingConfig
from sklosses.linear_model._early_stopping import validation_split


def _data(Estimator, make_classification_data, make_regression_data, n_samples=300):
    if Estimator is SGDClassifier:
        return make_classification_data(n_samples=n_samples, separable=False)
    return make_regression_data(n_samples=n_samples, noise=1.0)


def _sklearn_max_iter_sentence():
    """The first sentence of scikit-learn's own warning when ``max_iter`` ends a fit."""
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning) as record:
        sklearn_linear_model.SGDClassifier(max_iter=1, tol=1e-3).fit(X, y)
    return str(record[0].message).split(".")[0]


# -- max_iter caps n_iter_, which counts passes ---------------------------------------
@pytest.mark.parametrize(
    "Estimator, loss",
    [
        (SGDClassifier, "hinge"),
        (SGDClassifier, "log_loss"),
        (SGDRegressor, "huber"),
        (SGDRegressor, "absolute_error"),
    ],
)
@pytest.mark.parametrize("max_iter", [1, 3, 5, 40])
def test_max_iter_caps_n_iter(Estimator, loss, max_iter, make_classification_data,
                              make_regression_data):  # fmt: skip
    X, y = _data(Estimator, make_classification_data, make_regression_data)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = Estimator(loss=loss, max_iter=max_iter, random_state=0).fit(X, y)
    assert 1 <= model.n_iter_ <= max_iter
    assert model.n_full_batch_iter_ <= model.n_iter_
    if model.n_iter_ == max_iter and max_iter < 40:
        sentence = _sklearn_max_iter_sentence()
        assert any(sentence in str(warning.message) for warning in record), loss


@pytest.mark.parametrize("Estimator", [SGDClassifier, SGDRegressor])
def test_tol_none_runs_max_iter_epochs(Estimator, make_classification_data, make_regression_data):
    X, y = _data(Estimator, make_classification_data, make_regression_data)
    model = Estimator(tol=None, max_iter=7, random_state=0).fit(X, y)
    assert model.n_iter_ == 7 and model.n_full_batch_iter_ == 0


@pytest.mark.parametrize("Estimator", [SGDClassifier, SGDRegressor])
def test_a_budget_of_one_pass_is_an_sgd_epoch(Estimator, make_classification_data,
                                              make_regression_data):  # fmt: skip
    """Below three passes ``fit`` runs SGD epochs, as scikit-learn: reproducible for a seed,
    different for another (the shuffling), and no full-batch iteration."""
    X, y = _data(Estimator, make_classification_data, make_regression_data)
    coefs = []
    for seed in (0, 0, 1):
        with pytest.warns(ConvergenceWarning):
            model = Estimator(max_iter=1, random_state=seed).fit(X, y)
        assert model.n_iter_ == 1 and model.n_full_batch_iter_ == 0
        coefs.append(model.coef_)
    np.testing.assert_array_equal(coefs[0], coefs[1])
    assert np.abs(coefs[0] - coefs[2]).max() > 0


def test_the_full_batch_phase_shares_its_budget_over_smoothing_stages(make_classification_data):
    """The hinge loss's continuation solves several envelopes: their iterations together stay
    within what the epochs left of ``max_iter``."""
    X, y = make_classification_data(n_samples=300, separable=False)
    unbounded = SGDClassifier(loss="hinge", random_state=0).fit(X, y)
    assert unbounded.n_full_batch_iter_ > 10  # else the cap below tests nothing
    with pytest.warns(ConvergenceWarning):
        capped = SGDClassifier(loss="hinge", max_iter=10, random_state=0).fit(X, y)
    assert capped.n_iter_ == capped.n_full_batch_iter_ == 10


# -- early stopping: scikit-learn's split, the training rows alone --------------------
@pytest.mark.parametrize("Estimator", [SGDClassifier, SGDRegressor])
def test_the_validation_split_is_scikit_learns(Estimator, make_classification_data,
                                               make_regression_data):  # fmt: skip
    X, y = _data(Estimator, make_classification_data, make_regression_data)
    splitter = StratifiedShuffleSplit if Estimator is SGDClassifier else ShuffleSplit
    theirs = splitter(test_size=0.2, random_state=np.random.RandomState(3))
    their_train, their_validation = next(theirs.split(X, y))
    estimator = Estimator(validation_fraction=0.2, random_state=np.random.RandomState(3))
    train, validation = validation_split(estimator, y, None)
    np.testing.assert_array_equal(validation, their_validation)
    np.testing.assert_array_equal(train, np.sort(their_train))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("Estimator", [SGDClassifier, SGDRegressor])
def test_early_stopping_trains_as_a_fit_on_the_training_rows(
    Estimator, sparse, make_classification_data, make_regression_data
):
    """Same batches, same start-up statistics (the automatic step, the preconditioner), so
    the same model as a fit on the training rows alone."""
    X, y = _data(Estimator, make_classification_data, make_regression_data)
    X = sp.csr_matrix(X) if sparse else X
    params = dict(tol=None, max_iter=4, random_state=5, solver="sgd")
    stopped = Estimator(early_stopping=True, validation_fraction=0.3, **params).fit(X, y)
    train, _ = validation_split(Estimator(validation_fraction=0.3, random_state=5), y, None)
    alone = Estimator(**params).fit(X[train], y[train])
    np.testing.assert_allclose(stopped.coef_, alone.coef_, rtol=1e-12)
    np.testing.assert_allclose(stopped.intercept_, alone.intercept_, rtol=1e-12)
    assert len(stopped.validation_scores_) == stopped.n_iter_


# -- batch_size="auto" on a few rows -------------------------------------------------
def test_auto_batch_size_takes_per_sample_steps_on_a_few_rows():
    config = TrainingConfig()
    for n_samples in [1, 2, 5, 31, 32, 100, 255, 256, 1000, 1600, 50_000, 10**7]:
        batch_size = config.rows_per_batch(n_samples)
        steps = -(-n_samples // batch_size)
        if n_samples < 32:
            assert batch_size == 1
        assert steps >= min(n_samples, 16)
        if n_samples >= 256:  # unchanged there: about 100 steps, 16 to 4096 rows
            assert batch_size == int(np.clip(n_samples // 100, 16, 4096))
    assert TrainingConfig(batch_size=64).rows_per_batch(20) == 20


def test_partial_fit_on_a_few_rows_separates_the_classes():
    """scikit-learn's case: two ``partial_fit`` calls on 2 and 4 rows."""
    X = np.array([[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1]], dtype=float)
    y = np.array([1, 1, 1, 2, 2, 2])
    order = [0, 3, 1, 4, 2, 5]
    model = SGDClassifier(alpha=0.01, random_state=0)
    model.partial_fit(X[order[:2]], y[order[:2]], classes=np.array([1, 2]))
    model.partial_fit(X[order[2:]], y[order[2:]])
    assert model.t_ == len(X) + 1
    np.testing.assert_array_equal(model.predict([[-1, -1], [2, 2], [3, 2]]), [1, 2, 2])
