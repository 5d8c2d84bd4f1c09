"""The step size of ``learning_rate="auto"``: the loss's curvature times the largest
eigenvalue of the preconditioned second-moment matrix of the data; and the first step of
``learning_rate="optimal"`` (:func:`optimal_first_step`).

Preconditioned rows are centred before they are squared (a float32 column of 1e30
would overflow otherwise), and every statistic is accumulated in float64.
"""

import numpy as np
import scipy.sparse as sp

from ._preconditioner import sample_groups, vector_product

MIN_CURVATURE_SHARE = 0.01
"""The mean curvature of a loss with a ``hessian`` counts as at least this share of
its smoothness: the automatic step grows at most 100x over the smoothness step."""


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
        absent = vector_product(shifted, shifted) - np.bincount(
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
    if sp.issparse(X_sample) and X_sample.shape[0] < X_sample.shape[1]:
        return _gram_spectrum(X_sample, weight, center, inverse_scale, fit_intercept, rng)
    squared_norms = _squared_row_norms(X_sample, center, inverse_scale) + fit_intercept
    max_norm = float(np.max(weight * squared_norms))
    vector, bias = rng.standard_normal(X_sample.shape[1]), float(fit_intercept)
    eigenvalue = 0.0
    for _ in range(n_power_iter):
        scaled = vector * inverse_scale
        projection = weight * (
            np.asarray(X_sample @ scaled, dtype=np.float64).ravel()
            - vector_product(center, scaled)
            + bias
        )
        new_vector = (
            np.asarray(X_sample.T @ projection, dtype=np.float64).ravel()
            - center * projection.sum()
        ) * inverse_scale
        new_vector /= len(weight)
        new_bias = projection.mean() if fit_intercept else 0.0
        norm = np.sqrt(vector_product(new_vector, new_vector) + new_bias**2)
        if norm == 0:
            break
        eigenvalue = norm / np.sqrt(vector_product(vector, vector) + bias**2)
        vector, bias = new_vector / norm, new_bias / norm
    return eigenvalue, max_norm


def _gram_spectrum(X_sample, weight, center, inverse_scale, fit_intercept, rng, n_power_iter=30):
    """:func:`_preconditioned_spectrum` of wide CSR rows, from their ``n_rows x n_rows`` Gram
    matrix: ``mean_i s_i z_i z_i^T`` and ``Z^T S Z / n`` share their nonzero eigenvalues,
    and the power iteration then costs nothing that grows with ``n_features``.
    With ``A`` the scaled rows and ``h = center * inverse_scale`` (nonzero only on the
    columns stored in every row), ``Z Z^T = A A^T - a 1^T - 1 a^T + h.h`` for ``a = A h``,
    plus 1 for the intercept."""
    scaled = sp.csr_matrix(X_sample, dtype=np.float64, copy=True)
    scaled.data *= inverse_scale[scaled.indices]
    shifted = center * inverse_scale
    projected = np.asarray(scaled @ shifted).ravel()
    gram = (scaled @ scaled.T).toarray()
    gram -= projected[:, None] + projected[None, :]
    gram += vector_product(shifted, shifted) + fit_intercept
    root = np.sqrt(weight)
    matrix = gram  # in place: the sample's Gram matrix is the largest array here
    matrix *= root[:, None]
    matrix *= root[None, :] / len(weight)
    vector, eigenvalue = rng.standard_normal(len(weight)), 0.0
    for _ in range(n_power_iter):
        new_vector = matrix @ vector
        norm = np.linalg.norm(new_vector)
        if norm == 0:
            break
        eigenvalue = norm / np.linalg.norm(vector)
        vector = new_vector / norm
    return eigenvalue, float(np.max(np.diag(matrix))) * len(weight)


def _total_weight(targets, weight):
    return len(targets) if weight is None else float(np.sum(weight))


def _mean_loss(loss, targets, raw, weight, groups):
    """The weighted mean over rows of the loss, averaged over its columns
    (:meth:`Loss.weighted_sums`: any scope of loss)."""
    sums = loss.weighted_sums(targets, raw, weight, groups)
    return sums.mean() / _total_weight(targets, weight)


def _mean_gradient(loss, targets, raw, weight, groups, direction=None):
    """The weighted mean over rows and columns of the gradient along ``direction``, or
    of its absolute value when ``direction`` is None."""
    gradient = loss.weighted_gradient(targets, raw, weight, groups)
    gradient = np.abs(gradient) if direction is None else direction * gradient
    return gradient.sum(axis=0).mean() / _total_weight(targets, weight)


def starting_sample(n_samples, groups=None, n_sample_rows=10000, rng=None):
    """The rows the statistics of the start (the best constant, the loss curvature) are
    estimated on: every row, or every ``k``-th row from a random one of the first ``k``,
    ``k = n_samples // n_sample_rows`` (at least ``n_sample_rows`` rows and fewer than
    twice as many, spread over all the data as a random sample is, as a slice: no draw
    of ``n_samples`` numbers and no gathered copy, which cost more than the statistics
    on 20k rows), or whole random groups of about as many rows for a loss that compares
    the rows of a group (``groups`` given).

    Returns
    -------
    slice or ndarray of int
        A slice of the rows, or the sorted indices of the groups' rows.
    """
    if groups is not None:
        return sample_groups(groups, n_sample_rows, rng)
    if n_samples <= n_sample_rows:
        return slice(None)
    rng = np.random.default_rng(0) if rng is None else rng
    stride = n_samples // n_sample_rows
    return slice(int(rng.integers(stride)), None, stride)


def loss_curvature(
    loss, Y, sample_weight, constant, n_sample_rows=10000, rng=None, groups=None, rows=None
):
    """The curvature of the loss that the automatic step size is built on.

    A smooth loss gives its ``smoothness``, or, when it has a ``hessian``,
    the mean of that curvature at the best constant ``constant``, at least
    ``MIN_CURVATURE_SHARE`` of the smoothness. For the Huber loss with a
    ``delta`` far below the spread of the target (say 1 against residuals of
    100), the smoothness 1 holds only for the few residuals inside the band:
    the step it gives is ~100x too short; the mean curvature (the share of
    residuals in the band) sizes the step for the residuals the loss actually
    sees. A constant of zero
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
    whose length scale alone would give steps ~``mean(y)`` times too long. A
    constant of zero loss (say hinge targets of one class, whose best constant
    is the edge -1 of the search interval) carries no scale: the curvature is then 1.
    The statistics come from the rows ``rows``, or else from a :func:`starting_sample`.
    """
    smoothness = loss.smoothness
    hessian = loss.hessian
    if smoothness is not None and (hessian is None or loss.quadratic):
        return smoothness  # the bound, or the curvature at every point
    if rows is None:
        rows = starting_sample(Y.shape[0], groups, n_sample_rows, rng)
    if groups is not None:
        groups = groups[rows]
    targets = np.asarray(Y[rows], dtype=np.float64)
    constant = np.asarray(constant, dtype=np.float64)
    shape = targets.shape  # as many columns as outputs: for a metric loss, not Y's
    if constant.ndim and constant.shape[-1] not in (1, targets.shape[1]):
        shape = (len(targets), constant.shape[-1])
    raw = np.broadcast_to(constant, shape)
    weight = None if sample_weight is None else sample_weight[rows]
    mean_loss = _mean_loss(loss, targets, raw, weight, groups)
    if smoothness is not None:
        if not mean_loss > 0:  # e.g. the edge of a flat part: its curvature says nothing
            return smoothness
        mean_hessian = np.average(hessian(targets, raw).mean(axis=1), weights=weight)
        return float(max(mean_hessian, MIN_CURVATURE_SHARE * smoothness))
    mean_gradient = _mean_gradient(loss, targets, raw, weight, groups)
    if not (mean_loss > 0 and mean_gradient > 0):
        return 1.0
    length = mean_loss / mean_gradient
    with np.errstate(all="ignore"):
        if hessian is not None:
            mean_curvature = np.average(hessian(targets, raw).mean(axis=1), weights=weight)
        else:
            # rows moved up and down in turn: the same secant as a shift of every row for
            # a per-sample loss, and one a loss of score differences (ranking) can see
            direction = np.where(np.arange(len(targets)) % 2 == 0, 1.0, -1.0)[:, None]
            step = direction * (length / 2)
            mean_curvature = (
                _mean_gradient(loss, targets, raw + step, weight, groups, direction)
                - _mean_gradient(loss, targets, raw - step, weight, groups, direction)
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
    # the L2 part is a proximal (implicit) shrinkage, stable at any step: it does not bound
    # the step (its curvature, l2 * inverse_scale**2, is huge on a rare sparse column)
    return 1.0 / (smoothness + 1e-12)


def optimal_first_step(loss, alpha, n_targets, n_outputs):
    """The first step of ``learning_rate="optimal"``, by scikit-learn's heuristic.

    Léon Bottou's (his ``svmsgd``), as scikit-learn's ``_sgd_fast`` computes it:
    ``typw / max(1, g)`` with ``typw = alpha**-0.25`` the typical size of a weight and
    ``g`` the derivative of the loss at the target 1 and the raw prediction ``-typw``
    (the largest over the outputs, through ``weighted_gradient``, so any scope of loss).
    The schedule then steps ``1 / (alpha (t0 + t - 1))`` with ``t0 = 1 / (alpha
    step)``. scikit-learn takes the signed derivative, negative there for every loss it
    has (the prediction lies below the target), so its first step is ``typw``; so is
    ours for every built-in loss.
    """
    typical_weight = alpha**-0.25
    derivative = loss.weighted_gradient(
        np.ones((1, n_targets)), np.full((1, n_outputs), -typical_weight), None, None
    )
    return typical_weight / max(1.0, float(np.max(derivative)))
