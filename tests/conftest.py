"""Shared fixtures."""

import pytest


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
