"""The full-batch phase on CSR input keeps its memory at the data plus O(n_features): it
runs on the columns X stores by renumbering their indices (a copy of ``X.indices``) only
while that copy is within ``COPY_PER_COLUMN`` bytes per column."""

import tracemalloc

import numpy as np
import scipy.sparse as sp

from sklosses import SGDClassifier
from sklosses._engine import _stored_columns, _train


def _half_the_columns_stored(n_samples, n_features, per_row, rng):
    """CSR rows of ``per_row`` uniform values in a random half of ``n_features`` columns,
    and labels of a linear model on them."""
    used = rng.choice(n_features, size=n_features // 2, replace=False)
    indices = np.sort(used[rng.integers(0, len(used), size=(n_samples, per_row))], axis=1)
    indptr = np.arange(0, indices.size + 1, per_row)
    X = sp.csr_matrix((rng.random(indices.size), indices.ravel(), indptr), (n_samples, n_features))
    X.sum_duplicates()
    margin = X @ rng.standard_normal(n_features)
    return X, (margin > np.median(margin)).astype(int)


def test_full_batch_phase_makes_no_copy_of_the_indices_of_many_nonzeros(monkeypatch):
    """Doubling the rows of CSR data whose nonzeros outnumber its columns 30-fold (half of
    the columns stored) adds less than half the growth of ``X.indices`` to the peak traced
    memory of a default logistic fit's full-batch phase: renumbered indices would add all
    of it. The columns never stored still get exact zeros."""
    monkeypatch.setattr(_stored_columns, "COPY_ALWAYS_BELOW", 0)  # the rule at a test's size
    phase = _train.minimise_full_batch

    def phase_from_here(*args, **kwargs):
        tracemalloc.reset_peak()  # the phase alone: the start's statistics are not its memory
        return phase(*args, **kwargs)

    monkeypatch.setattr(_train, "minimise_full_batch", phase_from_here)
    rng = np.random.default_rng(0)
    # a first fit outside the trace: one-time allocations (caches, BLAS lookup) would
    # inflate the first peak and hide growth
    SGDClassifier(loss="log_loss").fit(*_half_the_columns_stored(1_000, 4096, 50, rng))
    peaks, index_bytes = [], []
    for n_samples in (5_000, 10_000):
        X, y = _half_the_columns_stored(n_samples, 4096, 50, rng)
        assert X.indices.nbytes > _stored_columns.COPY_PER_COLUMN * X.shape[1]
        tracemalloc.start()
        model = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0).fit(X, y)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        index_bytes.append(X.indices.nbytes)
        assert model.n_iter_ == model.n_full_batch_iter_  # the phase did all the work
        assert not np.delete(model.coef_, X.indices, axis=1).any()
    assert peaks[1] - peaks[0] < 0.5 * (index_bytes[1] - index_bytes[0]), (peaks, index_bytes)
