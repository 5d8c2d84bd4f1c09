"""How training starts: implicit standardisation, initial intercept, step size.

* :class:`Preconditioner` -- column statistics that let the engine step in
  standardised coordinates without copying ``X``;
* :func:`best_constant` -- the intercept training starts from;
* :func:`loss_curvature` and :func:`automatic_step_size` -- the step size of
  ``learning_rate="auto"``, from the loss's smoothness and the data.

Every statistic is computed in float64, whatever the dtype of ``X``, and
without forming differences of large numbers: column variances come from
deviations from a nearby shift (never from ``E[x^2] - E[x]^2``, which loses
every digit of a column offset by 1e10), and preconditioned rows are centred
before they are squared (a float32 column of 1e30 would overflow otherwise).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq, minimize_scalar

MIN_CURVATURE_SHARE = 0.01
"""The mean curvature of a loss with a ``hessian`` counts as at least this share of
its smoothness: the automatic step grows at most 100x over the smoothness step."""

CONSTANT_SPREAD = 16 * np.finfo(np.float64).eps
"""A column counts as constant (and is left unscaled) when its spread -- the standard
deviation, or the root mean square without an intercept -- is at most this share of its
mean magnitude (a few units in the last place of its values) or at most 1e-10."""


def _sample_rows(n_samples, n_rows, rng):
    """Sorted indices of ``n_rows`` random rows, or of every row when there are no more.

    Statistics of the start of training (column moments, best constant, loss
    curvature) are estimated on such a sample. ``rng=None`` draws with seed 0.
    """
    if n_samples <= n_rows:
        return np.arange(n_samples)
    rng = np.random.default_rng(0) if rng is None else rng
    return np.sort(rng.choice(n_samples, size=n_rows, replace=False))


def _vector_product(vector, matrix):
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
    """

    center: np.ndarray
    inverse_scale: np.ndarray
    count: int = 0
    mean: np.ndarray | None = None
    variance: np.ndarray | None = None

    @property
    def mean_square(self):
        """Column means of ``x**2`` (``variance + mean**2``), or None without statistics."""
        return None if self.mean is None else self.variance + self.mean**2

    @classmethod
    def identity(cls, n_features):
        return cls(np.zeros(n_features), np.ones(n_features))

    @classmethod
    def from_moments(cls, count, mean, variance, fit_intercept):
        """The preconditioner of columns of float64 ``mean`` and population ``variance``."""
        mean = np.asarray(mean, dtype=np.float64)
        variance = np.maximum(np.asarray(variance, dtype=np.float64), 0)
        deviation = np.sqrt(variance)
        if fit_intercept:
            center, scale = mean, deviation
        else:
            center, scale = np.zeros_like(mean), np.hypot(deviation, mean)
        constant = scale <= 1e-10 + CONSTANT_SPREAD * np.abs(mean)
        inverse_scale = np.where(constant, 1.0, 1 / np.where(constant, 1, scale))
        return cls(center, inverse_scale, count, mean, variance)

    @classmethod
    def from_data(cls, X, fit_intercept, rng, n_sample_rows=20000):
        """Column statistics of ``X``: of every row for CSR input (rare features
        must be seen), of a random sample of rows for dense input."""
        n_samples = X.shape[0]
        if not sp.issparse(X) and n_samples > n_sample_rows:
            X = X[_sample_rows(n_samples, n_sample_rows, rng)]
        return cls.from_moments(n_samples, *_column_moments(X), fit_intercept)

    def updated(self, X, fit_intercept, rng):
        """The preconditioner of the statistics so far merged with those of ``X``."""
        new = Preconditioner.from_data(X, fit_intercept, rng)
        if self.mean is None:
            return new
        merged = _merged_moments(
            (self.count, self.mean, self.variance), (new.count, new.mean, new.variance)
        )
        return Preconditioner.from_moments(*merged, fit_intercept)

    def standardised(self, rows):
        """``(x - center) * inverse_scale`` for the ``rows`` of ``X`` (dense or CSR), as a
        dense float64 array: the preconditioned rows the full-batch phase's Hessians and
        optimality conditions are built on."""
        rows = rows.toarray() if sp.issparse(rows) else np.asarray(rows, dtype=np.float64)
        return (rows - self.center) * self.inverse_scale

    def coefficients(self, u, c):
        """``(coef, intercept)`` of the model from the engine's ``(u, c)``."""
        coef = u * self.inverse_scale[:, None].astype(u.dtype, copy=False)
        return coef, c - _vector_product(self.center.astype(u.dtype, copy=False), coef)

    def parameters(self, coef, intercept):
        """The engine's ``(u, c)`` for a model ``(coef, intercept)``."""
        return (coef / self.inverse_scale[:, None], intercept + _vector_product(self.center, coef))


def _column_moments(X, chunk_bytes=262144):
    """Column means and population variances of ``X``, in float64.

    Dense ``X`` is read once, in chunks small enough to stay in cache: each
    chunk is shifted by its first row, its mean and the squared deviations from
    that mean are summed, and the chunks are merged by
    :func:`_merged_moments` -- no sum of squares of the raw values, so a column
    offset by 1e10 keeps its unit variance to ~1e-8 or better (the old
    ``E[x^2] - E[x]^2`` lost it entirely). CSR ``X`` (never
    densified) takes two passes over its stored values: the means, then the
    squared deviations from them, the implicit zeros adding ``mean**2`` each
    (the two-pass formula, with the usual correction for the rounding of the
    mean).
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
    """:func:`_column_moments` of a CSR matrix, by two passes over its stored values."""
    n_samples, n_features = X.shape
    nnz = X.indptr[-1]
    chunk = max(1, chunk_bytes // 8)
    stored = np.bincount(X.indices[:nnz], minlength=n_features)
    total = np.zeros(n_features)
    for start in range(0, nnz, chunk):
        total += np.bincount(
            X.indices[start : min(start + chunk, nnz)],
            weights=X.data[start : min(start + chunk, nnz)].astype(np.float64),
            minlength=n_features,
        )
    mean = total / n_samples
    linear, square = np.zeros(n_features), np.zeros(n_features)
    for start in range(0, nnz, chunk):
        indices = X.indices[start : min(start + chunk, nnz)]
        deviation = X.data[start : min(start + chunk, nnz)].astype(np.float64) - mean[indices]
        linear += np.bincount(indices, weights=deviation, minlength=n_features)
        square += np.bincount(indices, weights=deviation**2, minlength=n_features)
    implicit = n_samples - stored
    linear -= implicit * mean
    square += implicit * mean**2
    return mean, np.maximum(square - linear**2 / n_samples, 0) / n_samples


def _increasing_inverse(function, value, limit=1e3):
    """``t`` with ``function(t) == value`` for an increasing ``function``, or nan.

    The root is bracketed by doubling ``[-1, 1]`` (up to ``limit``), then found by
    Brent's method; nan when ``value`` is not reached inside ``[-limit, limit]``.
    """
    lower, upper = -1.0, 1.0
    while not function(lower) < value:
        lower *= 2
        if lower < -limit:
            return np.nan
    while not function(upper) > value:
        upper *= 2
        if upper > limit:
            return np.nan
    return brentq(lambda t: function(t) - value, lower, upper, xtol=1e-12)


def _raw_of_rate(loss, constants, output):
    """The raw prediction of output ``output`` at which the loss's ``inverse_link``
    gives a probability ``rate`` (the other outputs held at ``constants``), as a
    function of ``rate``; None for a loss without an inverse link."""
    inverse_link = getattr(loss, "inverse_link", None)
    if inverse_link is None:
        return None
    row = np.array(constants, dtype=np.float64).reshape(1, -1)

    def probability(t):
        row[0, output] = t
        with np.errstate(all="ignore"):
            value = np.asarray(inverse_link(row), dtype=np.float64)
        return float(value.reshape(row.shape)[0, output])

    return lambda rate: _increasing_inverse(probability, rate)


def _link_interval(link, low, high, half):
    """Raw interval of a loss with a ``link`` over targets in ``[low, high]``, or None."""
    if high > low:
        means = np.array([low + half * (high - low), high - half * (high - low)])
    else:
        means = np.array([low, low])
    with np.errstate(all="ignore"):
        raw = np.asarray(link(means), dtype=np.float64)
        if high == low and not np.isfinite(raw).all():  # e.g. all-zero counts
            for nudged in (low + half, low - half):
                raw = np.asarray(link(np.array([nudged, nudged])), dtype=np.float64)
                if np.isfinite(raw).all():
                    break
    if not np.isfinite(raw).all():
        return None
    return float(raw.min()), float(raw.max())


def _search_interval(loss, targets, constants, output):
    """Bounds of the raw constant of output ``output``: where the loss keeps a useful
    gradient (see :func:`best_constant`)."""
    column = targets[:, output]
    half = 0.5 / (len(column) + 1)
    low, high = float(column.min()), float(column.max())
    if getattr(loss, "task", "regression") != "regression":
        raw_of_rate = _raw_of_rate(loss, constants, output)
        if raw_of_rate is not None:
            bounds = raw_of_rate(half), raw_of_rate(1 - half)
            if np.isfinite(bounds).all() and bounds[0] < bounds[1]:
                return bounds
        return low - 1.0, high + 1.0
    if getattr(loss, "link", None) is not None:
        bounds = _link_interval(loss.link, low, high, half)
        if bounds is not None:
            return bounds
    width = high - low if high > low else 1.0
    return low - width, high + width


def best_constant(Y, sample_weight, loss, n_sample_rows=10000, rng=None):
    """The constant raw prediction per output minimising ``mean_i s_i loss(y_i, c)``.

    Found by bounded Brent search over one output at a time (the losses are
    convex in a constant), on up to ``n_sample_rows`` rows, with the loss
    evaluated on all outputs together; an elementwise loss needs one sweep
    over the outputs, a coupled one (softmax) a few. The search never
    evaluates the ends of its interval, so the nearer end is taken when its
    loss is not larger (a minimum on the edge, e.g. at the hinge's kink -1,
    is then exact). Training starts its
    intercept here, so a target far from zero (say a mean of 1e6, or Poisson
    counts of 1e10) costs no epochs. A loss whose
    ``initial_raw_prediction(targets, weight)`` returns constants (not None)
    chooses its own start instead, on the same rows (e.g. the soft Dice loss).

    The search interval, in raw units, is where the loss still has a useful
    gradient, so that a minimiser at infinity (a class absent from a first
    ``partial_fit`` chunk, all-zero counts) cannot park the intercept in a
    flat region of the loss. With ``n`` rows and ``h = 0.5 / (n + 1)``:

    * classification losses (targets are 0/1 indicators or class
      probabilities) with an ``inverse_link``: the raw predictions whose
      probability is ``h`` and ``1 - h`` -- the empirical rate ``k / n``
      clipped to ``[(0 + 0.5) / (n + 1), (n + 0.5) / (n + 1)]`` through the
      link (for the log loss a logit of at most ``log(2n + 1)`` in
      magnitude). The link is inverted numerically (the other outputs held
      at their constants), so no loss needs to provide it;
    * regression losses with a ``link`` (mean to raw): the link of the
      target range ``[min, max]`` shrunk by ``h`` of its width at each end,
      which holds ``link(weighted mean)`` -- the minimiser of a deviance
      such as the Poisson one -- and any minimiser of a convex loss whose
      per-sample minimum is at ``link(y)``. A constant target starts at its
      link; one where the link is infinite (all-zero counts) at the link of
      ``h`` (half a unit target among ``n + 1`` rows);
    * classification losses without an inverse link: the 0/1 target range
      widened by 1 on both sides, ``[min - 1, max + 1]``, which holds the
      margins ``-1..1`` of hinge-type losses (an all-negative column starts
      at -1, the edge of the hinge's flat part, not deep inside it);
    * other regression losses: the target range widened by its width on
      both sides (by 1 for a constant target), which holds a minimiser of any
      convex loss minimised per sample at ``raw = y``.

    The search runs on the offset from the middle of the interval, to
    ``1e-8`` of its width: a target of mean 1e9 and spread 1 is located to
    ~1e-8, not to the ~10 of a search on the constant itself.
    """
    rows = _sample_rows(Y.shape[0], n_sample_rows, rng)
    targets = np.asarray(Y[rows], dtype=np.float64)
    weight = None if sample_weight is None else sample_weight[rows]
    initial_raw_prediction = getattr(loss, "initial_raw_prediction", None)
    start = None if initial_raw_prediction is None else initial_raw_prediction(targets, weight)
    if start is not None:
        return np.asarray(start, dtype=np.float64).reshape(Y.shape[1])
    constants = np.zeros(Y.shape[1])
    sweeps = 1 if getattr(loss, "elementwise", True) else 3
    for _ in range(sweeps):
        for output in range(Y.shape[1]):
            lower, upper = _search_interval(loss, targets, constants, output)
            middle, half_width = (lower + upper) / 2, (upper - lower) / 2
            if not half_width > 0:
                constants[output] = middle
                continue

            def mean_loss(offset, output=output, middle=middle):
                raw = np.tile(constants, (len(targets), 1))
                raw[:, output] = middle + offset
                return np.average(loss.loss(targets, raw).sum(axis=1), weights=weight)

            found = minimize_scalar(
                mean_loss,
                bounds=(-half_width, half_width),
                method="bounded",
                options={"xatol": 2e-8 * half_width},
            )
            end = half_width if found.x > 0 else -half_width
            if mean_loss(end) <= found.fun:
                constants[output] = upper if end > 0 else lower
            else:
                constants[output] = middle + found.x
    return constants


def _squared_row_norms(X_sample, center, inverse_scale, chunk_bytes=262144):
    """``||(x_i - center) * inverse_scale||^2`` of every row, in float64.

    Dense rows are centred and scaled before they are squared (chunk by chunk),
    so an offset column does not cancel and a huge float32 column does not
    overflow. Sparse rows are scaled without densifying: the stored values give
    ``sum (x_ij s_j - c_j s_j)^2`` and the absent ones ``sum (c_j s_j)^2``.
    """
    n_rows, n_features = X_sample.shape
    if sp.issparse(X_sample):
        X_sample = sp.csr_matrix(X_sample)
        shifted = center * inverse_scale
        indices = X_sample.indices[: X_sample.indptr[-1]]
        rows = np.repeat(np.arange(n_rows), np.diff(X_sample.indptr))
        scaled = (
            X_sample.data[: len(indices)].astype(np.float64) * inverse_scale[indices]
            - shifted[indices]
        )
        present = np.bincount(rows, weights=scaled**2, minlength=n_rows)
        absent = _vector_product(shifted, shifted) - np.bincount(
            rows, weights=shifted[indices] ** 2, minlength=n_rows
        )
        return present + np.maximum(absent, 0)
    norms = np.empty(n_rows)
    chunk_rows = max(1, chunk_bytes // (n_features * 8))
    for start in range(0, n_rows, chunk_rows):
        chunk = np.array(X_sample[start : start + chunk_rows], dtype=np.float64)
        chunk -= center
        chunk *= inverse_scale
        norms[start : start + chunk_rows] = np.einsum("ij,ij->i", chunk, chunk)
    return norms


def _preconditioned_spectrum(X_sample, weight, preconditioner, fit_intercept, rng, n_power_iter=30):
    """Largest eigenvalue of ``mean_i s_i z_i z_i^T`` and largest ``s_i ||z_i||^2``.

    ``z_i`` is the preconditioned row ``(x_i - center) * inverse_scale``,
    augmented with a constant 1 when an intercept is fitted; the matrix is
    only applied to vectors (power iteration), so sparse rows stay sparse.
    Everything is computed in float64 and on scaled vectors (``x @ (v *
    inverse_scale)``, never ``x**2``), so no column overflows or cancels.
    """
    center, inverse_scale = preconditioner.center, preconditioner.inverse_scale
    squared_norms = _squared_row_norms(X_sample, center, inverse_scale) + fit_intercept
    max_norm = float(np.max(weight * squared_norms))
    vector, bias = rng.standard_normal(X_sample.shape[1]), float(fit_intercept)
    eigenvalue = 0.0
    for _ in range(n_power_iter):
        scaled = vector * inverse_scale
        projection = weight * (
            np.asarray(X_sample @ scaled, dtype=np.float64).ravel()
            - _vector_product(center, scaled)
            + bias
        )
        new_vector = (
            np.asarray(X_sample.T @ projection, dtype=np.float64).ravel()
            - center * projection.sum()
        ) * inverse_scale
        new_vector /= len(weight)
        new_bias = projection.mean() if fit_intercept else 0.0
        norm = np.sqrt(_vector_product(new_vector, new_vector) + new_bias**2)
        if norm == 0:
            break
        eigenvalue = norm / np.sqrt(_vector_product(vector, vector) + bias**2)
        vector, bias = new_vector / norm, new_bias / norm
    return eigenvalue, max_norm


def _mean_gradient(loss, targets, raw, weight):
    """The weighted mean over the rows (and outputs) of the signed gradient."""
    return np.average(loss.gradient(targets, raw).mean(axis=1), weights=weight)


def loss_curvature(loss, Y, sample_weight, constant, n_sample_rows=10000, rng=None):
    """The curvature of the loss that the automatic step size is built on.

    A smooth loss gives its ``smoothness``, or, when it has a ``hessian``,
    the mean of that curvature at the best constant ``constant``, at least
    ``MIN_CURVATURE_SHARE`` of the smoothness. For the Huber loss with a
    ``delta`` far below the spread of the target (say 1 against residuals of
    100), the smoothness 1 holds only for the few residuals inside the band:
    the step it gives is ~100x too short and training stopped 12% above the
    optimum; the mean curvature (the share of residuals in the band) sizes
    the step for the residuals the loss actually sees. A constant of zero
    loss (say squared-hinge targets of one class, whose best constant is the
    edge -1 of the flat part, where the curvature is 0) gives the smoothness.

    A loss without a ``smoothness`` has no global bound. Its curvature is
    taken as one over its length scale at the best constant ``constant``,
    ``mean |gradient| / mean loss`` (for the absolute loss, one over the mean
    absolute deviation of the target; for the hinge loss, about 1), so that
    steps scale with the spread of the target, as they must for a loss whose
    gradient does not -- or as its mean curvature over that length, if
    larger: the mean ``hessian`` when the loss has one, else the secant
    ``(g(c + l/2) - g(c - l/2)) / l`` of the mean gradient ``g`` across one
    length scale ``l``. The secant stays below ``1 / l`` for a loss with
    kinks (hinge: at most ``1 / 2l`` with the kink at ``c``; absolute loss:
    about ``0.6 / l``), and is the curvature of a smooth loss whose
    curvature grows with the target: ``2 mean(y)`` for the Poisson deviance,
    whose length scale alone gave steps ~``mean(y)`` times too long (counts of
    1e10 needed ten divergence retries). A constant of zero loss (say hinge
    targets of one class, whose best constant is the edge -1 of the search
    interval) carries no scale: the curvature is then 1.
    """
    smoothness = getattr(loss, "smoothness", None)
    hessian = getattr(loss, "hessian", None)
    if smoothness is not None and hessian is None:
        return smoothness
    rows = _sample_rows(Y.shape[0], n_sample_rows, rng)
    targets = np.asarray(Y[rows], dtype=np.float64)
    raw = np.broadcast_to(np.asarray(constant, dtype=np.float64), targets.shape)
    weight = None if sample_weight is None else sample_weight[rows]
    mean_loss = np.average(loss.loss(targets, raw).mean(axis=1), weights=weight)
    if smoothness is not None:
        if not mean_loss > 0:  # e.g. the edge of a flat part: its curvature says nothing
            return smoothness
        mean_hessian = np.average(hessian(targets, raw).mean(axis=1), weights=weight)
        return float(max(mean_hessian, MIN_CURVATURE_SHARE * smoothness))
    mean_gradient = np.average(np.abs(loss.gradient(targets, raw)).mean(axis=1), weights=weight)
    if not (mean_loss > 0 and mean_gradient > 0):
        return 1.0
    length = mean_loss / mean_gradient
    with np.errstate(all="ignore"):
        if hessian is not None:
            mean_curvature = np.average(hessian(targets, raw).mean(axis=1), weights=weight)
        else:
            mean_curvature = (
                _mean_gradient(loss, targets, raw + length / 2, weight)
                - _mean_gradient(loss, targets, raw - length / 2, weight)
            ) / length
    if not np.isfinite(mean_curvature):
        mean_curvature = 0.0
    return float(max(1 / length, mean_curvature))


def automatic_step_size(
    X,
    sample_weight,
    curvature,
    penalty,
    batch_size,
    preconditioner,
    fit_intercept,
    rng,
    n_sample_rows=1000,
):
    """Step size ``1 / (L(b) + l2)`` from the loss smoothness and the data.

    ``L(b) = L_loss (c_1 lambda_max + c_2 R^2)`` is the expected smoothness of a
    ``b``-sample mini-batch gradient (Gower et al., 2019) in the
    preconditioned parameters: ``lambda_max`` is the largest eigenvalue of the
    weighted second moment of the preconditioned rows and ``R^2`` their
    largest weighted squared norm, both estimated on a random sample of rows;
    ``c_1 = n (b - 1) / (b (n - 1))``, ``c_2 = (n - b) / (b (n - 1))``;
    ``L_loss`` is the ``curvature`` of :func:`loss_curvature`.
    """
    n_samples = X.shape[0]
    rows = np.sort(rng.choice(n_samples, size=min(n_samples, n_sample_rows), replace=False))
    weight = np.ones(len(rows)) if sample_weight is None else sample_weight[rows]
    eigenvalue, max_norm = _preconditioned_spectrum(
        X[rows], weight, preconditioner, fit_intercept, rng
    )
    if n_samples > 1:
        full_batch_part = n_samples * (batch_size - 1) / (batch_size * (n_samples - 1))
        single_part = (n_samples - batch_size) / (batch_size * (n_samples - 1))
    else:
        full_batch_part, single_part = 0.0, 1.0
    smoothness = curvature * (full_batch_part * eigenvalue + single_part * max_norm)
    return 1.0 / (
        smoothness + penalty.l2 * float(np.max(preconditioner.inverse_scale)) ** 2 + 1e-12
    )
