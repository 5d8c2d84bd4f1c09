"""Column moments of the data, in float64 and without losing digits to an offset: the
statistics of the implicit standardisation (:mod:`~sklosses._engine._preconditioner`).

Variances never come from ``E[x^2] - E[x]^2`` where that cancels: a column offset by 1e10
would lose every digit of its unit variance.
"""

import numpy as np
import scipy.sparse as sp

MAX_RAW_OFFSET = 100.0
"""Largest column mean, in column standard deviations, for which sums of the raw values
(their squares, their products) give the centred statistics: centring afterwards subtracts
numbers up to ``1 + MAX_RAW_OFFSET**2`` times the result, losing four of float64's sixteen
digits. Columns further from zero are centred first."""
DENSE_CHUNK_BYTES = 1 << 22
"""Bytes of rows per chunk of a pass over dense ``X`` for its statistics or Hessians (bounds
the copies of float32, shifted or weighted rows; one BLAS product per chunk)."""


def merged_moments(first, second):
    """``(count, mean, variance)`` of two groups of rows together, from those of each.

    The pairwise update of Chan, Golub & LeVeque (1979): with ``d`` the difference
    of the means and ``a``, ``b`` the two counts, the sum of squared deviations
    is ``M2_a + M2_b + d^2 a b / (a + b)``. No large numbers are subtracted, so
    statistics merged chunk by chunk (or ``partial_fit`` call by call) keep the
    accuracy of the chunk means (a unit variance at an offset of 1e10, where a
    float64 mean is rounded to 2e-6, to ~1e-8). Variances are population ones.
    """
    count_a, mean_a, variance_a = first
    count_b, mean_b, variance_b = second
    count = count_a + count_b
    if count_a == 0:
        return count_b, np.array(mean_b, dtype=np.float64), np.array(variance_b, np.float64)
    share = count_b / count
    delta = mean_b - mean_a
    mean = mean_a + share * delta
    variance = (1 - share) * variance_a + share * variance_b + (share * (1 - share)) * delta**2
    return count, mean, variance


def column_moments(X, chunk_bytes=262144):
    """Column means and population variances of ``X``, in float64 (and, for CSR ``X``,
    the share of rows that store a value in each column).

    Dense ``X`` is read once for the sums of its values and of their squares (BLAS,
    no copy of float64 rows), in chunks of ``DENSE_CHUNK_BYTES``; ``E[x^2] - E[x]^2``
    keeps the variance of a column to ``eps * (1 + mean**2 / variance)`` relative, so
    the columns further than ``MAX_RAW_OFFSET`` standard deviations from zero (and any
    whose squares overflow) are read again, from deviations
    (:func:`_shifted_column_moments`): a column offset by 1e10 keeps its unit variance
    to ~1e-8 or better. CSR ``X`` is never densified (:func:`_sparse_column_moments`,
    whose pieces of stored values take ``chunk_bytes``).
    """
    if sp.issparse(X):
        return _sparse_column_moments(X, chunk_bytes)
    n_samples, n_features = X.shape
    total, squares = np.zeros(n_features), np.zeros(n_features)
    chunk_rows = max(1, DENSE_CHUNK_BYTES // (n_features * 8))
    ones = np.ones(min(chunk_rows, n_samples))
    for start in range(0, n_samples, chunk_rows):
        chunk = np.asarray(X[start : start + chunk_rows], dtype=np.float64)
        total += ones[: len(chunk)] @ chunk
        # einsum reads a column at a time: fast on columns in place, slow across narrow rows
        if chunk.flags.c_contiguous and n_features > 1:
            squares += ones[: len(chunk)] @ np.square(chunk)
        else:
            squares += np.einsum("ij,ij->j", chunk, chunk)
    return centred_moments(X, total, squares)


def centred_moments(X, sums, squares):
    """Column means and population variances of dense ``X`` from the sums of its values
    and of their squares, ``E[x^2] - E[x]^2``; the columns further than ``MAX_RAW_OFFSET``
    standard deviations from zero (or whose squares overflow) are read again, from
    deviations (:func:`_shifted_column_moments`)."""
    mean = sums / X.shape[0]
    variance = squares / X.shape[0] - mean**2
    offset = far_from_zero(mean, variance)
    if offset.any():
        columns = np.flatnonzero(offset)
        mean[columns], variance[columns] = _shifted_column_moments(X, columns)
    return mean, variance


def far_from_zero(mean, variance):
    """The columns of ``mean`` and ``variance`` more than ``MAX_RAW_OFFSET`` standard
    deviations from zero (a constant column unless it is zero; any whose statistics
    overflowed): their raw sums of squares and products keep too few of the digits of
    their spread."""
    with np.errstate(invalid="ignore", over="ignore"):
        return ~(mean**2 <= MAX_RAW_OFFSET**2 * variance)


def _shifted_column_moments(X, columns):
    """Means and variances of the ``columns`` of dense ``X`` from deviations: each chunk is
    shifted by its first row, its mean and the squared deviations from that mean are
    summed, and the chunks are merged by :func:`merged_moments` (no sum of squares of
    the raw values)."""
    moments = (0, np.zeros(len(columns)), np.zeros(len(columns)))
    chunk_rows = max(1, DENSE_CHUNK_BYTES // (len(columns) * 8))
    for start in range(0, X.shape[0], chunk_rows):
        chunk = np.array(X[start : start + chunk_rows, columns], dtype=np.float64)
        shift = chunk[0].copy()
        chunk -= shift
        chunk_mean = chunk.mean(axis=0)
        chunk -= chunk_mean
        chunk_variance = np.einsum("ij,ij->j", chunk, chunk) / len(chunk)
        moments = merged_moments(moments, (len(chunk), shift + chunk_mean, chunk_variance))
    return moments[1], moments[2]


def _sparse_column_moments(X, chunk_bytes):
    """:func:`column_moments` of a CSR matrix: one pass over its stored values for their
    sums and sums of squares, and a second, over the columns that every row stores only,
    for their variance from deviations. A column with implicit zeros has a variance of at
    least ``E[x**2] / n_samples`` (the zeros' spread), so ``E[x**2] - mean**2`` loses at
    most ``log10(n_samples)`` of its digits; a column stored in every row may be offset by
    any amount (1e10 and unit spread), as dense columns may."""
    n_samples, n_features = X.shape
    nnz = X.indptr[-1]
    chunk = max(chunk_bytes // 8, n_features)  # a bincount costs O(n_features) per chunk
    pieces = [slice(start, min(start + chunk, nnz)) for start in range(0, nnz, chunk)]
    # by pieces: a bincount of all the indices at once would copy them to int64
    stored = np.zeros(n_features, dtype=np.int64)
    total, squares = np.zeros(n_features), np.zeros(n_features)
    for piece in pieces:
        values = X.data[piece].astype(np.float64)
        stored += np.bincount(X.indices[piece], minlength=n_features)
        total += np.bincount(X.indices[piece], weights=values, minlength=n_features)
        squares += np.bincount(X.indices[piece], weights=values**2, minlength=n_features)
    mean = total / n_samples
    variance = np.maximum(squares / n_samples - mean**2, 0)
    full = stored == n_samples
    if full.any():
        linear, square = np.zeros(n_features), np.zeros(n_features)
        for piece in pieces:
            indices = X.indices[piece]
            kept = full[indices]
            indices = indices[kept]
            deviation = X.data[piece][kept].astype(np.float64) - mean[indices]
            linear += np.bincount(indices, weights=deviation, minlength=n_features)
            square += np.bincount(indices, weights=deviation**2, minlength=n_features)
        two_pass = np.maximum(square - linear**2 / n_samples, 0) / n_samples
        variance[full] = two_pass[full]
    return mean, variance, stored / n_samples
