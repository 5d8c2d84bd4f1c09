"""Implicit standardisation: column statistics that let the engine step in
standardised coordinates without copying ``X``.

Every statistic is computed in float64, whatever the dtype of ``X``, and without
losing digits to a column's offset (:mod:`~sklosses._engine._moments`).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ._moments import MAX_RAW_OFFSET, column_moments, merged_moments

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

    def prediction_centre(self):
        """The centre to take from float32 rows before their product with coefficients, or
        None: that of the columns more than ``MAX_RAW_OFFSET`` standard deviations from
        zero (zero for the others), whose float32 products keep few digits of a
        prediction."""
        far = np.abs(self.center) * self.inverse_scale > MAX_RAW_OFFSET
        return np.where(far, self.center, 0.0) if far.any() else None

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
            mean, variance, *stored_share = column_moments(X)
        return cls.from_moments(n_samples, mean, variance, fit_intercept, *stored_share)

    def updated(self, X, fit_intercept, rng):
        """The preconditioner of the statistics so far merged with those of ``X``."""
        new = Preconditioner.from_data(X, fit_intercept, rng)
        if self.mean is None:
            return new
        merged = merged_moments(
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

    def standardising_map(self, fit_intercept, shift=0.0):
        """``M`` with ``z = M (x - shift, 1)`` for the standardised row ``z`` with a 1
        appended (``z = M (x - shift)`` without an intercept): the affine map of the rows
        less ``shift`` to the standardised rows, as a matrix of shape ``(p + 1, p + 1)``
        (``(p, p)``)."""
        scaling = np.diag(self.inverse_scale)
        if not fit_intercept:
            return scaling
        size = len(scaling) + 1
        standardising = np.eye(size)
        standardising[:-1, :-1] = scaling
        standardising[:-1, -1] = -self.inverse_scale * (self.center - shift)
        return standardising

    def coefficients(self, u, c):
        """``(coef, intercept)`` of the model from the engine's ``(u, c)``."""
        coef = u * self.inverse_scale[:, None].astype(u.dtype, copy=False)
        return coef, c - vector_product(self.center.astype(u.dtype, copy=False), coef)

    def parameters(self, coef, intercept):
        """The engine's ``(u, c)`` for a model ``(coef, intercept)``."""
        return (coef / self.inverse_scale[:, None], intercept + vector_product(self.center, coef))
