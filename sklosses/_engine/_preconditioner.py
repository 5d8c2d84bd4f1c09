"""Implicit standardisation: column statistics that let the engine step in
standardised coordinates without copying ``X``.

Every statistic is computed in float64, whatever the dtype of ``X``, and without
forming differences of large numbers: column variances come from deviations from a
nearby shift (never from ``E[x^2] - E[x]^2``, which loses every digit of a column
offset by 1e10).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

CONSTANT_SPREAD = 16 * np.finfo(np.float64).eps
"""A column counts as constant (and is left unscaled) when its spread -- the standard
deviation, or the root mean square without an intercept -- is at most this share of its
mean magnitude (a few units in the last place of its values) or at most 1e-10."""


MAX_SCALE_CLASSES = 64
"""CSR input with more distinct column scales than this has them rounded to powers of two:
the sparse steps shrink each class of equal scale by one factor."""


def sample_rows(n_samples, n_rows, rng):
    """Sorted indices of ``n_rows`` random rows, or of every row when there are no more.

    Statistics of the start of training (column moments, best constant, loss
    curvature) are estimated on such a sample. ``rng=None`` draws with seed 0.
    """
    if n_samples <= n_rows:
        return np.arange(n_samples)
    rng = np.random.default_rng(0) if rng is None else rng
    return np.sort(rng.choice(n_samples, size=n_rows, replace=False))


def sample_groups(groups, n_rows, rng):
    """Sorted indices of the rows of random whole groups, about ``n_rows`` of them (at
    least that many, or every row): a sample for a loss that compares the rows of a
    group, whose statistics a sample of rows would thin out."""
    labels, first_rows, sizes = np.unique(groups, return_index=True, return_counts=True)
    if len(groups) <= n_rows:
        return np.arange(len(groups))
    rng = np.random.default_rng(0) if rng is None else rng
    chosen = rng.permutation(len(labels))
    enough = np.searchsorted(np.cumsum(sizes[chosen]), n_rows) + 1
    return np.flatnonzero(np.isin(groups, labels[chosen[:enough]]))


def vector_product(vector, matrix):
    """``vector @ matrix`` over the features, without BLAS.

    These products are cheap (one pass over ``n_features`` numbers), but BLAS
    may run them on several threads, whose wake-up between the engine's other,
    single-threaded steps costs far more than the product itself (sparse
    epochs ran 3.7x slower). ``einsum`` without ``optimize`` stays on one thread.
    """
    return np.einsum("i,i...->...", vector, matrix)


def _merged_moments(first, second):
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


@dataclass
class Preconditioner:
    """Implicit standardisation of the features, without touching ``X``.

    The engine steps on ``u = coef / inverse_scale`` and
    ``c = intercept + center @ coef``, so that ``x @ coef + intercept =
    ((x - center) * inverse_scale) @ u + c``: SGD then behaves as on
    standardised data (as after ``StandardScaler``), whatever the scale and
    offset of the columns, while the objective is unchanged. ``center`` is the
    column mean (zero without an intercept), ``inverse_scale`` one over the
    column standard deviation (root mean square without an intercept; 1 for
    constant columns, see :data:`CONSTANT_SPREAD`). The statistics need not be
    exact (any positive scale keeps the objective the same), so dense data is
    sampled; ``count`` (rows represented), ``mean`` and ``variance`` (float64,
    population variance) keep them so that :meth:`updated` can merge the
    statistics of later ``partial_fit`` chunks (Chan et al.'s parallel
    formula). The identity preconditioner gives plain SGD.

    For CSR input only the columns stored in every row are centred (centring another
    would make it dense); the others are scaled by the root mean square of their
    *stored* values (``stored_share`` is the share of rows storing a value): a rare
    column keeps the size of its values (standardising it would multiply them by up to
    ``sqrt(n_samples)``, and the step size, bounded by the largest row norm, would
    shrink for every column). Beyond ``MAX_SCALE_CLASSES`` distinct
    scales, the inverse scale is rounded to a power of two, so the columns fall into a few
    classes of equal scale and the L2 shrinkage of a step is one factor per class
    (:mod:`~sklosses._engine._sparse_steps`).
    """

    center: np.ndarray
    inverse_scale: np.ndarray
    count: int = 0
    mean: np.ndarray | None = None
    variance: np.ndarray | None = None
    stored_share: np.ndarray | None = None

    @property
    def mean_square(self):
        """Column means of ``x**2`` (``variance + mean**2``), or None without statistics."""
        return None if self.mean is None else self.variance + self.mean**2

    @classmethod
    def identity(cls, n_features):
        return cls(np.zeros(n_features), np.ones(n_features))

    @cached_property
    def centred(self):
        """Whether any column is centred (else the centre terms of a step vanish)."""
        return bool(self.center.any())

    @cached_property
    def scale_classes(self):
        """``(class_inverse_scale, class_of, columns_of_class)``: the distinct inverse
        scales, the class of each column and the columns of each class."""
        class_inverse_scale, class_of = np.unique(self.inverse_scale, return_inverse=True)
        by_class = np.argsort(class_of, kind="stable")
        cuts = np.cumsum(np.bincount(class_of, minlength=len(class_inverse_scale)))[:-1]
        return class_inverse_scale, class_of, np.split(by_class, cuts)

    @classmethod
    def from_moments(cls, count, mean, variance, fit_intercept, stored_share=None):
        """The preconditioner of columns of float64 ``mean`` and population ``variance``
        (of a CSR matrix whose columns store values in ``stored_share`` of the rows).

        Raises a ``ValueError`` naming the columns whose statistics overflow float64
        (values beyond ~1e154): standardising them is impossible, and leaving them out
        would drop them from the model silently.
        """
        mean = np.asarray(mean, dtype=np.float64)
        variance = np.maximum(np.asarray(variance, dtype=np.float64), 0)
        overflowed = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(variance)))
        if len(overflowed):
            raise ValueError(  # scikit-learn's words for overflow, for scripts that match them
                "Floating-point under-/overflow occurred at epoch #0 (before the first: the "
                f"statistics of column(s) {overflowed.tolist()} of X overflow float64). "
                "Scaling input data with StandardScaler or MinMaxScaler might help."
            )
        deviation = np.sqrt(variance)
        centred = np.full(mean.shape, fit_intercept)
        if stored_share is not None:
            centred &= stored_share >= 1
        center = np.where(centred, mean, 0.0)
        scale = np.where(centred, deviation, np.hypot(deviation, mean))
        constant = scale <= 1e-10 + CONSTANT_SPREAD * np.abs(mean)
        if stored_share is not None:
            scale = np.where(
                centred, scale, scale / np.sqrt(np.maximum(stored_share, 1 / max(count, 1)))
            )
        inverse_scale = np.where(constant, 1.0, 1 / np.where(constant, 1, scale))
        if stored_share is not None and len(np.unique(inverse_scale)) > MAX_SCALE_CLASSES:
            inverse_scale = np.exp2(np.round(np.log2(inverse_scale)))
        return cls(center, inverse_scale, count, mean, variance, stored_share)

    @classmethod
    def from_data(cls, X, fit_intercept, rng, n_sample_rows=20000):
        """Column statistics of ``X``: of every row for CSR input (rare features
        must be seen), of a random sample of ``n_sample_rows`` rows for dense input of
        more than twice as many (gathering a sample costs more than reading all)."""
        n_samples = X.shape[0]
        if not sp.issparse(X) and n_samples > 2 * n_sample_rows:
            X = X[sample_rows(n_samples, n_sample_rows, rng)]
        with np.errstate(over="ignore", invalid="ignore"):  # from_moments names the columns
            mean, variance, *stored_share = _column_moments(X)
        return cls.from_moments(n_samples, mean, variance, fit_intercept, *stored_share)

    def updated(self, X, fit_intercept, rng):
        """The preconditioner of the statistics so far merged with those of ``X``."""
        new = Preconditioner.from_data(X, fit_intercept, rng)
        if self.mean is None:
            return new
        merged = _merged_moments(
            (self.count, self.mean, self.variance), (new.count, new.mean, new.variance)
        )
        stored_share = None
        if self.stored_share is not None and new.stored_share is not None:
            share = new.count / merged[0]
            stored_share = (1 - share) * self.stored_share + share * new.stored_share
        return Preconditioner.from_moments(*merged, fit_intercept, stored_share)

    def standardised(self, rows):
        """``(x - center) * inverse_scale`` for the ``rows`` of ``X`` (dense or CSR), as a
        dense float64 array: the preconditioned rows the full-batch phase's Hessians and
        optimality conditions are built on."""
        rows = rows.toarray() if sp.issparse(rows) else np.asarray(rows, dtype=np.float64)
        return (rows - self.center) * self.inverse_scale

    def restricted(self, columns):
        """The preconditioner of the ``columns`` of ``X`` alone."""
        return Preconditioner(
            self.center[columns],
            self.inverse_scale[columns],
            self.count,
            *(None if part is None else part[columns] for part in self._moments),
        )

    @property
    def _moments(self):
        return self.mean, self.variance, self.stored_share

    def coefficients(self, u, c):
        """``(coef, intercept)`` of the model from the engine's ``(u, c)``."""
        coef = u * self.inverse_scale[:, None].astype(u.dtype, copy=False)
        return coef, c - vector_product(self.center.astype(u.dtype, copy=False), coef)

    def parameters(self, coef, intercept):
        """The engine's ``(u, c)`` for a model ``(coef, intercept)``."""
        return (coef / self.inverse_scale[:, None], intercept + vector_product(self.center, coef))


def _column_moments(X, chunk_bytes=262144):
    """Column means and population variances of ``X``, in float64 (and, for CSR ``X``,
    the share of rows that store a value in each column).

    Dense ``X`` is read once, in chunks small enough to stay in cache: each
    chunk is shifted by its first row, its mean and the squared deviations from
    that mean are summed, and the chunks are merged by
    :func:`_merged_moments` -- no sum of squares of the raw values, so a column
    offset by 1e10 keeps its unit variance to ~1e-8 or better (the old
    ``E[x^2] - E[x]^2`` lost it entirely). CSR ``X`` is never densified
    (:func:`_sparse_column_moments`).
    """
    n_samples, n_features = X.shape
    if sp.issparse(X):
        return _sparse_column_moments(X, chunk_bytes)
    moments = (0, np.zeros(n_features), np.zeros(n_features))
    chunk_rows = max(1, chunk_bytes // (n_features * 8))
    for start in range(0, n_samples, chunk_rows):
        chunk = np.array(X[start : start + chunk_rows], dtype=np.float64)
        shift = chunk[0].copy()
        chunk -= shift
        chunk_mean = chunk.mean(axis=0)
        chunk -= chunk_mean
        chunk_variance = np.einsum("ij,ij->j", chunk, chunk) / len(chunk)
        moments = _merged_moments(moments, (len(chunk), shift + chunk_mean, chunk_variance))
    return moments[1], moments[2]


def _sparse_column_moments(X, chunk_bytes):
    """:func:`_column_moments` of a CSR matrix: one pass over its stored values for their
    sums and sums of squares, and a second, over the columns that every row stores only,
    for their variance from deviations. A column with implicit zeros has a variance of at
    least ``E[x**2] / n_samples`` (the zeros' spread), so ``E[x**2] - mean**2`` loses at
    most ``log10(n_samples)`` of its digits; a column stored in every row may be offset by
    any amount (1e10 and unit spread), as dense columns may."""
    n_samples, n_features = X.shape
    nnz = X.indptr[-1]
    chunk = max(chunk_bytes // 8, n_features)  # a bincount costs O(n_features) per chunk
    pieces = [slice(start, min(start + chunk, nnz)) for start in range(0, nnz, chunk)]
    stored = np.bincount(X.indices[:nnz], minlength=n_features)
    total, squares = np.zeros(n_features), np.zeros(n_features)
    for piece in pieces:
        values = X.data[piece].astype(np.float64)
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
