"""The Gram matrix of the rows, ``[X 1]^T [X 1]``, read once for two uses when a fit goes
straight to Newton's method on a ``quadratic`` loss without sample weights: the column
moments of the preconditioner (its last column holds the column sums, its diagonal the sums
of squares) and the Hessian, ``h [X 1]^T [X 1]`` for the loss's constant curvature ``h``
(:class:`~sklosses._engine._hessian.CurvatureSums`). The moments' own pass over ``X`` was a
tenth of such a fit on 20k x 9 rows.
"""

import numpy as np

from ._moments import DENSE_CHUNK_BYTES, centred_moments
from ._newton import blocks_fit


def gram_serves(X, sample_weight, loss, n_outputs, takes_steps):
    """Whether the start reads the Gram of ``X``: dense data, no SGD epochs (the fit goes
    straight to the full-batch phase), a ``quadratic`` loss without sample weights (its
    Hessian is then a multiple of the Gram) and Hessian blocks Newton's method takes."""
    return (
        isinstance(X, np.ndarray)
        and not takes_steps
        and loss.quadratic
        and sample_weight is None
        and blocks_fit(X, n_outputs)
    )


def raw_gram(X):
    """``[X 1]^T [X 1]`` in float64, shape ``(p + 1, p + 1)``, the rows as they are (not
    centred), in chunks of ``DENSE_CHUNK_BYTES``."""
    n_samples, n_features = X.shape
    gram = np.zeros((n_features + 1, n_features + 1))
    chunk_rows = max(1, DENSE_CHUNK_BYTES // (8 * max(n_features, 1)))
    ones = np.ones(min(chunk_rows, n_samples))
    for start in range(0, n_samples, chunk_rows):
        chunk = np.asarray(X[start : start + chunk_rows], dtype=np.float64)
        gram[:n_features, :n_features] += chunk.T @ chunk
        gram[n_features, :n_features] += ones[: len(chunk)] @ chunk
    gram[:n_features, n_features] = gram[n_features, :n_features]
    gram[n_features, n_features] = n_samples
    return gram


def gram_moments(gram, X):
    """Column means and population variances of ``X`` from its :func:`raw_gram`, the
    columns far from zero read again from deviations
    (:func:`~sklosses._engine._moments.centred_moments`)."""
    n_features = X.shape[1]
    sums, squares = gram[n_features, :n_features], np.diag(gram)[:n_features]
    return centred_moments(X, sums, squares)
