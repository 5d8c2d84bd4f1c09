"""The linear system of the dual finish (:mod:`~sklosses._engine._dual_active_set`): for
the samples pinned at kinks, ``G beta - b 1 = right`` and ``sum(beta) = total`` (without an
intercept, ``G beta = right``), ``G`` the Gram matrix of the centred pinned rows. Formed and
solved directly on dense rows of few entries, else by conjugate gradients on products with
``X`` (projected on the intercept's condition), on a copy of the pinned rows where they are
few."""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg

from ._newton import solved

CG_RTOL = 1e-12
"""Relative residual of the conjugate gradients of a round."""
DIRECT_ENTRIES = 1 << 22
"""Most entries of the dense pinned rows for which the system is formed and solved
directly (32 MB): conjugate gradients crawl on a nearly square one (3,000 x 1,200 rows,
1,201 samples at kinks: 500 steps did not do)."""
PINNED_COPY_SHARE = 0.25
"""Largest share of ``X``'s entries the pinned rows may hold to be copied for the
conjugate gradients (hashed documents: a tenth of the rows at the margin, each step ten
times cheaper on them)."""
DIRECT_SPARSE_PINNED = 500
"""Most pinned CSR rows for which the system is formed (a sparse product) and solved
directly: on 300 x 5,000 rows, all pinned, the projected conjugate gradients broke down."""
MAX_CG_STEPS = 500
"""Most conjugate-gradient steps per round (two products with ``X`` each; text data took
about a hundred)."""


def centred_product(objective, vector, rows=None):
    """``(X - 1 m^T) vector`` in float64, for the ``rows`` of ``X`` if given."""
    rows = objective.X if rows is None else rows
    centre = objective.state.preconditioner.center
    return np.asarray(rows @ vector, dtype=np.float64).ravel() - centre @ vector


def _centred_transposed_product(objective, vector, rows=None):
    """``(X - 1 m^T)^T vector`` in float64, for the ``rows`` of ``X`` if given."""
    rows = objective.X if rows is None else rows
    centre = objective.state.preconditioner.center
    product = np.asarray(rows.T @ vector, dtype=np.float64).ravel()
    return product - centre * vector.sum()


def _pinned_rows(objective, pinned):
    """The pinned rows of ``X``, copied when they hold at most ``PINNED_COPY_SHARE`` of its
    entries (a conjugate-gradient step then reads them alone), else None (every step reads
    all of ``X``)."""
    X = objective.X
    entries = X.indptr[pinned + 1] - X.indptr[pinned] if sp.issparse(X) else X.shape[1]
    total = X.nnz if sp.issparse(X) else X.size
    return X[pinned] if np.sum(entries) <= PINNED_COPY_SHARE * total else None


def solve_round(objective, partition, weight, output):
    """The candidate ``(w, c, beta)`` of the partition (the conditions of
    :mod:`~sklosses._engine._dual_active_set`), or None when no sample is pinned or the
    system is not solved: directly for dense pinned rows of at most ``DIRECT_ENTRIES``
    entries or at most ``DIRECT_SPARSE_PINNED`` CSR rows, else by conjugate gradients."""
    n_samples = len(weight)
    scale = n_samples * objective.l2
    pinned = np.flatnonzero(partition.pinned)
    if not len(pinned):
        return None
    free_part = np.where(partition.pinned, 0.0, weight * partition.slopes)
    free_term = centred_product(objective, _centred_transposed_product(objective, free_part))
    intercept = objective.state.intercept[output]
    fixed = 0.0 if objective.fit_intercept else intercept
    right = -scale * (partition.kinks[pinned] - fixed) - free_term[pinned]
    # with an intercept, sum(beta) = -sum(free q) is its optimality condition
    total = -free_part.sum() if objective.fit_intercept else None
    if sp.issparse(objective.X):
        direct = len(pinned) <= DIRECT_SPARSE_PINNED
    else:
        direct = len(pinned) * objective.X.shape[1] <= DIRECT_ENTRIES
    if direct:
        solution = _solved_directly(objective, pinned, right, total)
    else:
        gram = _gram_product(objective, pinned, n_samples)
        solution = _solved_by_conjugate_gradients(gram, right, total, partition.beta[pinned])
    if solution is None:
        return None
    beta, product = solution
    if objective.fit_intercept:
        intercept = float(np.mean(product - right)) / scale
    free_part[pinned] = beta
    partition.beta[pinned] = beta
    return -_centred_transposed_product(objective, free_part) / scale, intercept, beta


def _gram_product(objective, pinned, n_samples):
    """``beta -> G beta``: on a copy of the pinned rows where they are few
    (:func:`_pinned_rows`), else through all of ``X`` with zeros off the pinned rows."""
    rows = _pinned_rows(objective, pinned)

    def gram(beta):
        if rows is not None:
            return centred_product(
                objective, _centred_transposed_product(objective, beta, rows), rows
            )
        full = np.zeros(n_samples)
        full[pinned] = beta
        return centred_product(objective, _centred_transposed_product(objective, full))[pinned]

    return gram


def _solved_directly(objective, pinned, right, total):
    """``(beta, G beta)`` solving ``G beta - b 1 = right`` and ``sum(beta) = total`` (or
    ``G beta = right`` when ``total`` is None) with ``G`` formed (:func:`_pinned_gram`), by
    LU (least squares if singular); None when that leaves a residual (inconsistent
    conditions)."""
    gram, size = _pinned_gram(objective, pinned), len(pinned)
    system, target = gram, right
    if total is not None:
        system = np.zeros((size + 1, size + 1))
        system[:size, :size], system[:size, size], system[size, :size] = gram, -1.0, 1.0
        target = np.append(right, total)
    solution = solved(system, target)
    residual = np.abs(system @ solution - target)
    if not np.all(residual <= 1e-8 * (np.abs(target) + 1 + np.abs(target).max())):
        return None
    return solution[:size], gram @ solution[:size]


def _pinned_gram(objective, pinned):
    """``G``, the Gram matrix of the centred pinned rows: of the dense rows less the centre,
    or from the sparse product of CSR rows, ``X_P X_P^T - a 1^T - 1 a^T + m.m`` with
    ``a = X_P m``."""
    centre = objective.state.preconditioner.center
    rows = objective.X[pinned]
    if not sp.issparse(rows):
        rows = np.asarray(rows, dtype=np.float64) - centre
        return rows @ rows.T
    shifted = np.asarray(rows @ centre, dtype=np.float64).ravel()
    gram = (rows @ rows.T).toarray().astype(np.float64, copy=False)
    return gram - shifted[:, None] - shifted[None, :] + centre @ centre


def _solved_by_conjugate_gradients(gram, right, total, start):
    """As :func:`_solved_directly`, with ``G`` applied as products (``gram``), from
    ``start``: conjugate gradients, projected on ``sum(beta) = total`` with an
    intercept; None when they do not converge in ``MAX_CG_STEPS``."""
    size = len(right)
    with np.errstate(divide="ignore", invalid="ignore"):  # a breakdown is checked below
        solution = _conjugate_gradients(gram, right, total, start, size)
    if solution is None or not np.all(np.isfinite(solution[0])):
        return None
    return solution


def _conjugate_gradients(gram, right, total, start, size):
    """:func:`_solved_by_conjugate_gradients` without its checks."""
    if total is None:
        operator = LinearOperator((size, size), matvec=gram)
        beta, info = cg(operator, right, x0=start, rtol=CG_RTOL, maxiter=MAX_CG_STEPS)
    else:
        mean = np.full(size, total / size)
        operator = LinearOperator((size, size), matvec=lambda v: _projected(gram(_projected(v))))
        change, info = cg(
            operator,
            _projected(right - gram(mean)),
            x0=_projected(start - mean),
            rtol=CG_RTOL,
            maxiter=MAX_CG_STEPS,
        )
        beta = mean + _projected(change)
    return None if info != 0 else (beta, gram(beta))


def _projected(vector):
    """``vector`` less its mean: its part orthogonal to the ones."""
    return vector - vector.mean()
