"""Shared fixtures: a Dask cluster, and the data the test modules build their problems from.

The data fixtures are factories (they return functions), so each module asks for the sizes,
seeds and coefficients it needs; the same arguments always give the same arrays, bit for bit.
A recipe only one module uses stays in that module.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

# one cluster per class, well apart, no redundant features and no flipped labels: a nearly
# linearly separable problem
NEARLY_SEPARABLE = dict(n_redundant=0, n_clusters_per_class=1, class_sep=1.5, flip_y=0.0)


def regression_data(
    n_samples=500,
    n_features=5,
    *,
    coef=None,
    intercept=1.5,
    noise=0.1,
    noise_df=None,
    seed=0,
):
    """Standard normal features and a linear target with additive noise.

    ``y = X @ coef + intercept + noise * e``. ``X``, then the coefficients (when drawn), then
    ``e`` are drawn from ``np.random.default_rng(seed)`` in this order.

    Parameters
    ----------
    n_samples : int, default=500
        Number of rows.
    n_features : int, default=5
        Number of columns; ignored when ``coef`` is given.
    coef : array-like of shape (n_features,), default=None
        The coefficients; None draws magnitudes uniform in [1, 3] with random signs.
    intercept : float, default=1.5
        The target's offset.
    noise : float, default=0.1
        Scale of the noise ``e``.
    noise_df : float, default=None
        None: ``e`` is standard normal; otherwise Student-t with ``noise_df`` degrees of
        freedom (heavy tails).
    seed : int, default=0
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    rng = np.random.default_rng(seed)
    if coef is not None:
        coef = np.asarray(coef, dtype=np.float64)
        n_features = len(coef)
    X = rng.normal(size=(n_samples, n_features))
    if coef is None:
        coef = rng.uniform(1, 3, n_features) * rng.choice([-1, 1], n_features)
    if noise_df is None:
        e = rng.normal(size=n_samples)
    else:
        e = rng.standard_t(noise_df, size=n_samples)
    return X, X @ coef + intercept + noise * e


def classification_data(
    n_samples=600,
    n_classes=2,
    *,
    n_features=6,
    n_informative=4,
    separable=True,
    seed=0,
    **kwargs,
):
    """scikit-learn's ``make_classification``, nearly linearly separable by default.

    Parameters
    ----------
    n_samples : int, default=600
        Number of rows.
    n_classes : int, default=2
        Number of classes, labelled ``0, ..., n_classes - 1``.
    n_features, n_informative : int, default=6, 4
        Number of columns, and of those that carry the signal.
    separable : bool, default=True
        True applies ``NEARLY_SEPARABLE``; False keeps scikit-learn's defaults (two clusters
        per class, ``class_sep=1``, two redundant features, 1% flipped labels).
    seed : int, default=0
        ``random_state`` of ``make_classification``.
    **kwargs
        Any other parameter of ``make_classification`` (``weights``, ``class_sep``, ...);
        overrides ``NEARLY_SEPARABLE``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of int
    """
    params = {**(NEARLY_SEPARABLE if separable else {}), **kwargs}
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=n_classes,
        random_state=seed,
        **params,
    )


# Session scope: the factories are pure functions, and hypothesis tests may use them.
@pytest.fixture(scope="session")
def make_regression_data():
    """Factory ``make_regression_data(n_samples=500, n_features=5, *, coef=None,
    intercept=1.5, noise=0.1, noise_df=None, seed=0) -> (X, y)``: standard normal features,
    a linear target (see ``conftest.regression_data``)."""
    return regression_data


@pytest.fixture(scope="session")
def make_classification_data():
    """Factory ``make_classification_data(n_samples=600, n_classes=2, *, n_features=6,
    n_informative=4, separable=True, seed=0, **kwargs) -> (X, y)``: scikit-learn's
    ``make_classification``, nearly separable by default (see
    ``conftest.classification_data``)."""
    return classification_data


@pytest.fixture(scope="session")
def dask_client():
    """A ``distributed.LocalCluster`` of two single-threaded worker processes and its
    ``Client``, started once per test process (per xdist worker) that needs one.

    No dashboard; the scheduler's remaining HTTP endpoints (health, metrics) listen
    on a free port instead of 8787, which another cluster (e.g. the example run by
    ``test_examples`` in the other xdist worker) may hold.
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
