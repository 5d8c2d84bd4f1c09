"""How training starts: implicit standardisation, initial intercept, step size.

* :class:`Preconditioner` -- column statistics that let the engine step in
  standardised coordinates without copying ``X``;
* :func:`best_constant` -- the intercept training starts from;
* :func:`loss_curvature` and :func:`automatic_step_size` -- the step size of
  ``learning_rate="auto"``, from the loss's smoothness and the data.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar

MIN_CURVATURE_SHARE = 0.01
"""The mean curvature of a loss with a ``hessian`` counts as at least this share of
its smoothness: the automatic step grows at most 100x over the smoothness step."""


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
    constant columns). The statistics need not be exact (any positive scale
    keeps the objective the same), so dense data is sampled; ``count``,
    ``mean`` and ``mean_square`` keep them so that :meth:`updated` can merge
    the statistics of later ``partial_fit`` chunks. The identity
    preconditioner gives plain SGD.
    """

    center: np.ndarray
    inverse_scale: np.ndarray
    count: int = 0
    mean: np.ndarray | None = None
    mean_square: np.ndarray | None = None

    @classmethod
    def identity(cls, n_features):
        return cls(np.zeros(n_features), np.ones(n_features))

    @classmethod
    def from_moments(cls, count, mean, mean_square, fit_intercept):
        center = mean if fit_intercept else np.zeros_like(mean)
        scale = np.sqrt(np.maximum(mean_square - center**2, 0))
        constant = scale <= 1e-10 * (1 + np.abs(mean))
        inverse_scale = np.where(constant, 1.0, 1 / np.where(constant, 1, scale))
        return cls(center, inverse_scale, count, mean, mean_square)

    @classmethod
    def from_data(cls, X, fit_intercept, rng, n_sample_rows=20000):
        """Column statistics of ``X``: of every row for CSR input (rare features
        must be seen), of a random sample of rows for dense input."""
        if not sp.issparse(X) and X.shape[0] > n_sample_rows:
            X = X[_sample_rows(X.shape[0], n_sample_rows, rng)]
        return cls.from_moments(X.shape[0], *_column_moments(X), fit_intercept)

    def updated(self, X, fit_intercept, rng):
        """The preconditioner of the statistics so far merged with those of ``X``."""
        new = Preconditioner.from_data(X, fit_intercept, rng)
        if self.mean is None:
            return new
        count = self.count + new.count
        share = new.count / count
        return Preconditioner.from_moments(
            count, (1 - share) * self.mean + share * new.mean,
            (1 - share) * self.mean_square + share * new.mean_square, fit_intercept)

    def coefficients(self, u, c):
        """``(coef, intercept)`` of the model from the engine's ``(u, c)``."""
        coef = u * self.inverse_scale[:, None].astype(u.dtype, copy=False)
        return coef, c - _vector_product(self.center.astype(u.dtype, copy=False), coef)

    def parameters(self, coef, intercept):
        """The engine's ``(u, c)`` for a model ``(coef, intercept)``."""
        return (coef / self.inverse_scale[:, None],
                intercept + _vector_product(self.center, coef))


def _column_moments(X, chunk_bytes=262144):
    """Column means and mean squares of ``X`` in float64.

    ``X`` is read once, in chunks small enough to stay in cache between the
    two sums (and never converted whole).
    """
    n_samples, n_features = X.shape
    total, total_square = np.zeros(n_features), np.zeros(n_features)
    if sp.issparse(X):
        chunk = max(1, chunk_bytes // 8)
        for start in range(0, X.nnz, chunk):
            indices = X.indices[start:start + chunk]
            data = X.data[start:start + chunk].astype(np.float64)
            total += np.bincount(indices, weights=data, minlength=n_features)
            total_square += np.bincount(indices, weights=data**2, minlength=n_features)
    else:
        chunk_rows = max(1, chunk_bytes // (n_features * X.dtype.itemsize))
        for start in range(0, n_samples, chunk_rows):
            chunk = np.asarray(X[start:start + chunk_rows], dtype=np.float64)
            total += chunk.sum(axis=0)
            total_square += np.einsum("ij,ij->j", chunk, chunk)
    return total / n_samples, total_square / n_samples


def best_constant(Y, sample_weight, loss, n_sample_rows=10000, rng=None):
    """The constant raw prediction per output minimising ``mean_i s_i loss(y_i, c)``.

    Found by bounded Brent search over one output at a time (the losses are
    convex in a constant), on up to ``n_sample_rows`` rows, with the loss
    evaluated on all outputs together; an elementwise loss needs one sweep
    over the outputs, a coupled one (softmax) a few. The search interval
    extends the target range by ten times its width plus one on both sides,
    which covers logits of imbalanced binary targets. Training starts its
    intercept here, so a target far from zero (say a mean of 1e6) costs no
    epochs. A loss whose ``initial_raw_prediction(targets, weight)`` returns
    constants (not None) chooses its own start instead, on the same rows (e.g.
    the soft Dice loss, whose minimising constant saturates the sigmoid).
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
            column = targets[:, output]
            margin = 10 * (column.max() - column.min() + 1)

            def mean_loss(constant, output=output):
                raw = np.tile(constants, (len(targets), 1))
                raw[:, output] = constant
                return np.average(loss.loss(targets, raw).sum(axis=1), weights=weight)
            constants[output] = minimize_scalar(
                mean_loss, bounds=(column.min() - margin, column.max() + margin),
                method="bounded", options={"xatol": 1e-8 * margin}).x
    return constants


def _preconditioned_spectrum(X_sample, weight, preconditioner, fit_intercept, rng,
                             n_power_iter=30):
    """Largest eigenvalue of ``mean_i s_i z_i z_i^T`` and largest ``s_i ||z_i||^2``.

    ``z_i`` is the preconditioned row ``(x_i - center) * inverse_scale``,
    augmented with a constant 1 when an intercept is fitted; the matrix is
    only applied to vectors (power iteration), so sparse rows stay sparse.
    """
    center, inverse_scale = preconditioner.center, preconditioner.inverse_scale
    squares = X_sample.multiply(X_sample) if sp.issparse(X_sample) else X_sample**2
    squared_norms = (squares @ inverse_scale**2 - 2 * (X_sample @ (center * inverse_scale**2))
                     + _vector_product(center**2, inverse_scale**2) + fit_intercept)
    max_norm = float(np.max(weight * np.asarray(squared_norms).ravel()))
    vector, bias = rng.standard_normal(X_sample.shape[1]), float(fit_intercept)
    eigenvalue = 0.0
    for _ in range(n_power_iter):
        scaled = vector * inverse_scale
        projection = weight * (X_sample @ scaled - _vector_product(center, scaled) + bias)
        new_vector = (X_sample.T @ projection - center * projection.sum()) * inverse_scale
        new_vector /= len(weight)
        new_bias = projection.mean() if fit_intercept else 0.0
        norm = np.sqrt(_vector_product(new_vector, new_vector) + new_bias**2)
        if norm == 0:
            break
        eigenvalue = norm / np.sqrt(_vector_product(vector, vector) + bias**2)
        vector, bias = new_vector / norm, new_bias / norm
    return eigenvalue, max_norm


def loss_curvature(loss, Y, sample_weight, constant, n_sample_rows=10000, rng=None):
    """The curvature of the loss that the automatic step size is built on.

    A smooth loss gives its ``smoothness``, or, when it has a ``hessian``,
    the mean of that curvature at the best constant ``constant``, at least
    ``MIN_CURVATURE_SHARE`` of the smoothness. For the Huber loss with a
    ``delta`` far below the spread of the target (say 1 against residuals of
    100), the smoothness 1 holds only for the few residuals inside the band:
    the step it gives is ~100x too short and training stopped 12% above the
    optimum; the mean curvature (the share of residuals in the band) sizes
    the step for the residuals the loss actually sees. A non-smooth loss has
    none, so its curvature is taken as one over its length scale at the best constant
    ``constant``: ``mean |gradient| / mean loss`` (for the absolute loss, one
    over the mean absolute deviation of the target; for the hinge loss, about
    1). Steps then scale with the spread of the target, as they must for a
    loss whose gradient does not.
    """
    smoothness = getattr(loss, "smoothness", None)
    hessian = getattr(loss, "hessian", None)
    if smoothness is not None and hessian is None:
        return smoothness
    rows = _sample_rows(Y.shape[0], n_sample_rows, rng)
    targets = np.asarray(Y[rows], dtype=np.float64)
    raw = np.broadcast_to(np.asarray(constant, dtype=np.float64), targets.shape)
    weight = None if sample_weight is None else sample_weight[rows]
    if smoothness is not None:
        mean_hessian = np.average(hessian(targets, raw).mean(axis=1), weights=weight)
        return float(max(mean_hessian, MIN_CURVATURE_SHARE * smoothness))
    mean_loss = np.average(loss.loss(targets, raw).mean(axis=1), weights=weight)
    mean_gradient = np.average(np.abs(loss.gradient(targets, raw)).mean(axis=1), weights=weight)
    if not (mean_loss > 0 and mean_gradient > 0):
        return 1.0
    return float(mean_gradient / mean_loss)


def automatic_step_size(X, sample_weight, curvature, penalty, batch_size, preconditioner,
                        fit_intercept, rng, n_sample_rows=1000):
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
    eigenvalue, max_norm = _preconditioned_spectrum(X[rows], weight, preconditioner,
                                                    fit_intercept, rng)
    if n_samples > 1:
        full_batch_part = n_samples * (batch_size - 1) / (batch_size * (n_samples - 1))
        single_part = (n_samples - batch_size) / (batch_size * (n_samples - 1))
    else:
        full_batch_part, single_part = 0.0, 1.0
    smoothness = curvature * (full_batch_part * eigenvalue + single_part * max_norm)
    return 1.0 / (smoothness + penalty.l2 * float(np.max(preconditioner.inverse_scale))**2
                  + 1e-12)
