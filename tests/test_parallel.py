"""Data-parallel training by parameter mixing (``sklosses.parallel``, issue 6).

Most tests run on Dask's local threads (no cluster needed: the mixing is the
same); the headline accuracy test runs on a ``LocalCluster`` of two worker
processes, like the issue asks.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklosses import SGDClassifier, SGDRegressor
from sklosses._engine import SGDState
from sklosses._engine._preconditioner import Preconditioner
from sklosses.losses import FocalLoss, LogLoss, QuantileLoss, SquaredLoss
from sklosses.metrics import mean_loss
from sklosses.parallel import mix_states

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklosses.parallel import _holders, fit_parameter_mixing  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def unscaled_regression_data(n_samples=24000, n_features=8, seed=0):
    """Columns of scales 0.5 to 4 offset by 3, a target offset by 10 with Student-t(3)
    noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * rng.uniform(0.5, 4, n_features) + 3
    y = X @ rng.normal(size=n_features) + 2 * rng.standard_t(3, size=n_samples) + 10
    return X, y


def classification_data(n_samples=24000, seed=0, **kwargs):
    """scikit-learn's default ``make_classification`` (two clusters per class, 1% flipped
    labels) on ten features."""
    return make_classification(
        n_samples=n_samples, n_features=10, n_informative=6, random_state=seed, **kwargs
    )


def held_out_loss(model, loss, X, y):
    raw = model.predict(X) if isinstance(model, SGDRegressor) else model.decision_function(X)
    return mean_loss(loss, y, raw)


def split(X, y, n_test=4000):
    return X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]


def as_dask(X, y, n_blocks):
    rows = -(-len(X) // n_blocks)
    chunks_y = (rows,) + ((-1,) if y.ndim == 2 else ())
    return da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=chunks_y)


# -- the mixing rule -------------------------------------------------------------------
def state_with(coef, intercept, preconditioner, t=1.0, average=None, n_averaged=0):
    state = SGDState.zeros(coef.shape[0], coef.shape[1], coef.dtype, 0.1, preconditioner)
    state.start_from(coef, intercept)
    state.t, state.loss_curve = t, [1.0]
    if average is not None:
        state.average_coef, state.average_intercept = preconditioner.parameters(*average)
        state.n_averaged = n_averaged
    return state


def test_mixing_averages_models_in_model_coordinates():
    """Iterates under different preconditioners are averaged as models, with weights."""
    rng = np.random.default_rng(0)
    models = [(rng.normal(size=(3, 1)), rng.normal(size=1)) for _ in range(2)]
    preconditioners = [Preconditioner(rng.normal(size=3), rng.uniform(0.5, 2, 3)) for _ in range(2)]
    states = [state_with(*model, p) for model, p in zip(models, preconditioners, strict=True)]
    mixed = mix_states(None, states, weights=[1, 3])
    coef, intercept = mixed.model()
    np.testing.assert_allclose(coef, 0.25 * models[0][0] + 0.75 * models[1][0])
    np.testing.assert_allclose(intercept, 0.25 * models[0][1] + 0.75 * models[1][1])
    assert mixed.t == 1 + 0 + 0


def test_mixing_polyak_average_is_the_average_over_every_step():
    """Start averaged N=4 steps into A; two blocks add 2 and 6 steps with means B1, B2:
    the mixed average is (4 A + 2 B1 + 6 B2) / 12 whatever the block weights."""
    p = Preconditioner(np.zeros(2), np.ones(2))
    A, B1, B2 = (np.array([[1.0], [2.0]]), np.array([[5.0], [-1.0]]), np.array([[0.0], [3.0]]))
    start = state_with(A, np.zeros(1), p, t=10, average=(A, np.array([1.0])), n_averaged=4)
    block1 = state_with(
        A, np.zeros(1), p, t=30, average=((4 * A + 2 * B1) / 6, np.array([1.0])), n_averaged=6
    )
    block2 = state_with(
        A, np.zeros(1), p, t=50, average=((4 * A + 6 * B2) / 10, np.array([1.0])), n_averaged=10
    )
    mixed = mix_states(start, [block1, block2], weights=[1, 1])
    np.testing.assert_allclose(mixed.model()[0], (4 * A + 2 * B1 + 6 * B2) / 12)
    np.testing.assert_allclose(mixed.model()[1], [1.0])
    assert mixed.n_averaged == 12
    assert mixed.t == 10 + 20 + 40


def test_one_block_is_partial_fit_epochs():
    """With one block, every round is one partial_fit epoch: same model as calling
    partial_fit on the in-memory data the same number of times."""
    X, y = unscaled_regression_data(6000)
    estimator = SGDRegressor(loss=QuantileLoss(0.9), random_state=0, max_iter=4, tol=None)
    X_dask, y_dask = as_dask(X, y, 1)
    with dask.config.set(scheduler="threads"):
        mixed = fit_parameter_mixing(estimator, X_dask, y_dask)
    streamed = clone(estimator)
    for _ in range(4):
        streamed.partial_fit(X, y)
    np.testing.assert_allclose(mixed.coef_, streamed.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mixed.intercept_, streamed.intercept_, rtol=1e-10)
    assert mixed.n_iter_ == 4 and len(mixed.loss_curve_) == 4
    assert mixed.t_ == streamed.t_


# -- accuracy on a real cluster -------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator, loss, data",
    [
        (
            SGDRegressor(loss=QuantileLoss(0.9), random_state=0),
            QuantileLoss(0.9),
            unscaled_regression_data,
        ),
        (SGDRegressor(random_state=0), SquaredLoss(), unscaled_regression_data),
        (
            SGDClassifier(loss=FocalLoss(), random_state=0),
            FocalLoss(),
            lambda: classification_data(weights=[0.85]),
        ),
        (
            SGDClassifier(loss="log_loss", random_state=0),
            LogLoss(),
            lambda: classification_data(weights=[0.7]),
        ),
    ],
    ids=["quantile", "squared", "focal", "log_loss"],
)
@pytest.mark.parametrize("n_blocks", [2, 4])
def test_mixing_on_a_cluster_matches_one_machine(dask_client, estimator, loss, data, n_blocks):
    X_train, y_train, X_test, y_test = split(*data())
    single = clone(estimator).fit(X_train, y_train)
    mixed = fit_parameter_mixing(estimator, *as_dask(X_train, y_train, n_blocks))
    ratio = held_out_loss(mixed, loss, X_test, y_test) / held_out_loss(single, loss, X_test, y_test)
    assert ratio < 1.01
    assert mixed.n_iter_ <= estimator.max_iter
    assert not hasattr(estimator, "coef_")  # the given estimator is left unfitted


def test_mixing_is_reproducible_on_a_cluster(dask_client):
    """Two runs give the same model up to the last bits: the blocks land at different
    memory addresses in the workers each run, and vectorised kernels may then round
    differently (differences of ~1e-16 relative were seen)."""
    X, y = unscaled_regression_data(8000)
    estimator = SGDRegressor(loss="huber", random_state=3)
    first = fit_parameter_mixing(estimator, *as_dask(X, y, 2))
    second = fit_parameter_mixing(estimator, *as_dask(X, y, 2))
    np.testing.assert_allclose(first.coef_, second.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(first.intercept_, second.intercept_, rtol=1e-12)
    different_seed = fit_parameter_mixing(
        clone(estimator).set_params(random_state=4), *as_dask(X, y, 2)
    )
    assert not np.allclose(first.coef_, different_seed.coef_, rtol=1e-9, atol=0)


def test_blocks_train_on_the_worker_that_holds_them(dask_client):
    """No block travels between workers: every training task runs where its block is
    (the scheduler otherwise now and then moves tasks, and so blocks, between workers)."""
    X, y = unscaled_regression_data(40000, n_features=20)
    X_dask, y_dask = dask.persist(*as_dask(X, y, 2))
    distributed.wait([X_dask, y_dask])
    holders = dask_client.who_has(X_dask)
    with distributed.get_task_stream(dask_client) as stream:
        fit_parameter_mixing(SGDRegressor(random_state=0, max_iter=6, tol=None), X_dask, y_dask)
    training = [task for task in stream.data if "_train_on_block" in str(task["key"])]
    assert len(training) == 2 * 6
    assert {task["worker"] for task in training} == {
        worker for workers in holders.values() for worker in workers
    }
    assert not [
        step for task in training for step in task["startstops"] if step["action"] == "transfer"
    ]
    # the restriction behind it: each block's task may run only on the block's holders
    blocks = X_dask.to_delayed().ravel().tolist()
    assert _holders(X_dask, blocks) == [
        {"workers": list(holders[block.key]), "allow_other_workers": True} for block in blocks
    ]


# -- inputs ---------------------------------------------------------------------------------
def test_dataframe_input_keeps_feature_names():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = unscaled_regression_data(8000, n_features=4)
    frame = pd.DataFrame(X, columns=list("abcd"))
    X_frame = dd.from_pandas(frame, npartitions=2)
    y_series = dd.from_pandas(pd.Series(y, name="target"), npartitions=2)
    with dask.config.set(scheduler="threads"):
        from_frame = fit_parameter_mixing(SGDRegressor(random_state=0), X_frame, y_series)
        from_array = fit_parameter_mixing(SGDRegressor(random_state=0), *as_dask(X, y, 2))
    assert list(from_frame.feature_names_in_) == list("abcd")
    np.testing.assert_allclose(from_frame.coef_, from_array.coef_, rtol=1e-10)


def test_classifier_finds_classes_and_trains_one_vs_rest():
    X, y = classification_data(9000, n_classes=3, n_clusters_per_class=1)
    labels = np.array(["low", "mid", "high"])[y]
    X_train, y_train, X_test, y_test = split(X, labels, 2000)
    with dask.config.set(scheduler="threads"):
        model = fit_parameter_mixing(
            SGDClassifier(loss="log_loss", random_state=0),
            *as_dask(X_train, y_train.astype(object), 3),
        )
    single = SGDClassifier(loss="log_loss", random_state=0).fit(X_train, y_train)
    assert list(model.classes_) == ["high", "low", "mid"]
    assert model.coef_.shape == (3, 10)
    assert model.score(X_test, y_test) >= single.score(X_test, y_test) - 0.02


def test_balanced_class_weight_from_the_class_counts():
    """``partial_fit`` alone refuses "balanced"; one pass over the blocks counts the
    classes, giving sklearn's balanced weights and a model like the in-memory one."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.utils.class_weight import compute_class_weight

    X, y = classification_data(12000, weights=[0.9])
    X_train, y_train, X_test, y_test = split(X, y, 3000)
    estimator = SGDClassifier(loss="log_loss", class_weight="balanced", random_state=0)
    with dask.config.set(scheduler="threads"):
        model = fit_parameter_mixing(estimator, *as_dask(X_train, y_train, 3))
    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train)
    np.testing.assert_allclose([model.class_weight[0], model.class_weight[1]], expected)
    assert estimator.class_weight == "balanced"  # the given estimator is untouched
    single = clone(estimator).fit(X_train, y_train)
    unweighted = SGDClassifier(loss="log_loss", random_state=0).fit(X_train, y_train)
    mixed_score = balanced_accuracy_score(y_test, model.predict(X_test))
    assert mixed_score == pytest.approx(
        balanced_accuracy_score(y_test, single.predict(X_test)), abs=0.01
    )
    assert mixed_score > balanced_accuracy_score(y_test, unweighted.predict(X_test)) + 0.02


def test_soft_labels_multinomial():
    X, y = classification_data(9000, n_classes=3, n_clusters_per_class=1)
    targets = np.eye(3)[y]
    X_train, Y_train, X_test, Y_test = split(X, targets, 2000)
    with dask.config.set(scheduler="threads"):
        model = fit_parameter_mixing(
            SGDClassifier(loss="multinomial_log_loss", random_state=0),
            *as_dask(X_train, Y_train, 3),
        )
    single = SGDClassifier(loss="multinomial_log_loss", random_state=0).fit(
        X_train, Y_train.argmax(axis=1)
    )
    np.testing.assert_allclose(model.predict_proba(X_test).sum(axis=1), 1)
    assert (model.predict(X_test) == Y_test.argmax(axis=1)).mean() >= (
        single.score(X_test, Y_test.argmax(axis=1)) - 0.02
    )


def test_sample_weight_follows_the_blocks():
    """Weights that repeat a block count like the repeated rows; constant weights
    change nothing."""
    X, y = unscaled_regression_data(8000)
    estimator = SGDRegressor(random_state=0, max_iter=5, tol=None)
    X_dask, y_dask = as_dask(X, y, 2)
    with dask.config.set(scheduler="threads"):
        plain = fit_parameter_mixing(estimator, X_dask, y_dask)
        doubled = fit_parameter_mixing(
            estimator, X_dask, y_dask, sample_weight=da.full(len(y), 2.0, chunks=4000)
        )
        tilted = fit_parameter_mixing(
            estimator,
            X_dask,
            y_dask,
            sample_weight=da.from_array(np.r_[np.full(4000, 3.0), np.ones(4000)], chunks=4000),
        )
    np.testing.assert_allclose(doubled.coef_, plain.coef_, rtol=1e-10)
    assert not np.allclose(tilted.coef_, plain.coef_)


def test_rounds_stop_on_tol_and_max_iter():
    X, y = unscaled_regression_data(8000)
    X_dask, y_dask = as_dask(X, y, 2)
    with dask.config.set(scheduler="threads"):
        capped = fit_parameter_mixing(
            SGDRegressor(random_state=0, max_iter=2, tol=None), X_dask, y_dask
        )
        stopped = fit_parameter_mixing(
            SGDRegressor(random_state=0, tol=1e-2, n_iter_no_change=1), X_dask, y_dask
        )
    assert capped.n_iter_ == 2 and len(capped.loss_curve_) == 2
    with dask.config.set(scheduler="threads"), pytest.warns(ConvergenceWarning, match="rounds"):
        fit_parameter_mixing(SGDRegressor(random_state=0, max_iter=2), X_dask, y_dask)
    assert 2 <= stopped.n_iter_ < 1000
    assert len(stopped.loss_curve_) == stopped.n_iter_


def test_float32_blocks_stay_float32():
    X, y = unscaled_regression_data(6000)
    X_dask, y_dask = as_dask(X.astype(np.float32), y.astype(np.float32), 2)
    with dask.config.set(scheduler="threads"):
        model = fit_parameter_mixing(SGDRegressor(random_state=0), X_dask, y_dask)
    assert model.coef_.dtype == np.float32


def test_unaligned_blocks_are_made_aligned():
    """Blocks that arrive as unaligned views (as after a transfer between processes,
    where a BLAS product runs ~6x slower) are copied; aligned blocks and labels of
    object dtype are passed through."""
    from sklosses.parallel import _item_aligned

    X, _ = unscaled_regression_data(2000, n_features=3)
    buffer = np.empty(X.nbytes + 1, dtype=np.uint8)
    unaligned = buffer[1:].view(X.dtype).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    block = _item_aligned(unaligned)
    assert block.flags.aligned and block.flags.c_contiguous
    np.testing.assert_array_equal(block, X)
    assert _item_aligned(block) is block
    labels = np.array(["a", "b"], dtype=object)
    assert _item_aligned(labels) is labels


@pytest.mark.parametrize(
    "make_call, error, match",
    [
        (
            lambda X, y: fit_parameter_mixing(SGDRegressor(), X.compute(), y),
            TypeError,
            "Dask collections",
        ),
        (
            lambda X, y: fit_parameter_mixing(SGDRegressor(early_stopping=True), X, y),
            ValueError,
            "early_stopping",
        ),
        (
            lambda X, y: fit_parameter_mixing(
                SGDRegressor(),
                X,
                y,
                sample_weight=__import__("dask.dataframe").dataframe.from_array(
                    np.ones(len(y)), chunksize=1000
                ),
            ),
            ValueError,
            "blocks of rows",
        ),
    ],
    ids=["numpy", "early_stopping", "misaligned_blocks"],
)
def test_clear_errors(make_call, error, match):
    X, y = unscaled_regression_data(4000, n_features=3)
    X_dask, y_dask = as_dask(X, y, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(error, match=match):
            make_call(X_dask, y_dask)
