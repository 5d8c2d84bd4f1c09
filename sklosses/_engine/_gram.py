"""The Gram matrix of the rows, ``[X 1]^T [X 1]``, read once for two uses when a fit goes
straight to the full-batch phase on a ``quadratic`` loss without sample weights: the column
moments of the preconditioner (its last column holds the column sums, its diagonal the sums
of squares) and the Hessian, ``h [X 1]^T [X 1]`` for the loss's constant curvature ``h``.
The moments' own pass over ``X`` was a tenth of such a fit on 20k x 9 rows.

Without an L1 part the phase is then one linear solve (:func:`gram_minimiser`), as
Newton's one step on a quadratic objective would be but without its passes over ``X`` for
the value and gradient at the start; with one, proximal Newton takes the Hessian from the
Gram (:class:`~sklosses._engine._hessian.CurvatureSums`).
"""

import numpy as np

from ._moments import DENSE_CHUNK_BYTES, centred_moments, far_from_zero
from ._newton import MODEL_FLOOR, blocks_fit, floored, solved
from ._objective import objective_of_model
from ._penalty import penalty_share


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
    ones = np.ones(min(_chunk_rows(X), n_samples))
    for _, chunk in _float64_chunks(X):
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


def _chunk_rows(X):
    """Rows of ``X`` in ``DENSE_CHUNK_BYTES`` of float64."""
    return max(1, DENSE_CHUNK_BYTES // (8 * max(X.shape[1], 1)))


def _float64_chunks(X):
    """``(rows, chunk)`` for consecutive chunks of ``X``'s rows (a slice, and those rows in
    float64: a copy of float32 data only a chunk at a time)."""
    chunk_rows = _chunk_rows(X)
    for start in range(0, X.shape[0], chunk_rows):
        rows = slice(start, start + chunk_rows)
        yield rows, np.asarray(X[rows], dtype=np.float64)


def gram_solves(state, loss, penalty):
    """Whether :func:`gram_minimiser` gives the full-batch phase's result: a Gram read at
    the start (:func:`gram_serves`), an element-scope ``quadratic`` loss, no L1 part, an
    iterate of zero coefficients (the model is expanded around its constant raw
    predictions) and no column so far from zero that the raw Gram lost the digits of its
    spread (:func:`~sklosses._engine._moments.far_from_zero`; with or without an
    intercept: columns 1e8 from zero and no intercept make a Hessian that one solve
    misreads by 15%, where Newton's steps on exact gradients still converge)."""
    preconditioner = state.preconditioner
    return (
        state.gram is not None
        and loss.quadratic
        and loss.scope == "element"
        and not penalty.l1
        and not state.coef.any()
        and not far_from_zero(preconditioner.mean, preconditioner.variance).any()
    )


def gram_minimiser(X, Y, loss, penalty, state, fit_intercept):
    r"""Set the iterate of ``state`` to the minimiser of the objective of a quadratic loss,
    from the Gram of the start and one more pass over ``X``; return its
    ``(objective, optimality)``.

    A quadratic loss is its second-order expansion around the iterate's constant raw
    predictions ``c_k`` (zero coefficients, :func:`gram_solves`): with ``g_{ik}`` its
    gradient there and ``h_k`` its curvature (the same in every row), the loss sums in the
    standardised rows ``z_i`` (:meth:`Preconditioner.standardising_map` ``M``) are, for a
    change ``d_k`` of the parameters ``(u_k, c_k)``,

    .. math:: S_k(d_k) = S_k(0) + d_k^T r_k + \tfrac{h_k}{2} d_k^T A d_k, \quad
              A = M G M^T, \quad r_k = \sum_i g_{ik} z_i,

    with ``G = [X 1]^T [X 1]`` the start's Gram, and the minimiser of
    ``S_k / n + l2 / 2 |u_k * inverse_scale|^2`` solves
    ``(h_k A + n\, l2\, D) d_k = -r_k``, ``D`` the diagonal of squared inverse scales (0
    for the intercept). Expanding around the constant rather than zero keeps ``r_k`` from
    the cancellation of targets far from zero. The objective comes from the expansion
    unless it cancels to below ``MODEL_FLOOR`` of ``S(0)`` (then from a pass over ``X``);
    ``optimality`` is the largest component of the normalised gradient there (the units
    of :meth:`~sklosses._engine._objective.FlatObjective.normalise`, the scale being the
    objective at the start).
    """
    n_samples, n_features = X.shape
    n_outputs, size = Y.shape[1], n_features + fit_intercept
    targets = np.asarray(Y, dtype=np.float64)
    start_raw = np.broadcast_to(state.intercept.astype(np.float64), targets.shape)
    gradient = loss.gradient(targets, start_raw)
    curvature = loss.hessian(targets[:1], start_raw[:1])[0]
    start_sums = loss.weighted_sums(targets, start_raw)
    products = np.zeros((n_features + 1, n_outputs))  # [X 1]^T g, chunk by chunk
    for rows, chunk in _float64_chunks(X):
        products[:n_features] += chunk.T @ gradient[rows]
    products[n_features] = gradient.sum(axis=0)
    standardising = state.preconditioner.standardising_map(fit_intercept)
    hessian = standardising @ state.gram[:size, :size] @ standardising.T
    linear = standardising @ products[:size]
    inverse_scale = state.preconditioner.inverse_scale
    penalty_diagonal = np.zeros(size)
    penalty_diagonal[:n_features] = n_samples * penalty.l2 * inverse_scale**2
    change = np.empty((size, n_outputs))
    for output in range(n_outputs):
        system = curvature[output] * hessian
        system.flat[:: size + 1] += penalty_diagonal
        change[:, output] = -solved(floored(system), linear[:, output])
    curved = hessian @ change
    state.coef[...] = change[:n_features]
    if fit_intercept:
        state.intercept[...] = state.intercept + change[n_features]
    share = penalty_share(loss, n_outputs)
    coef = change[:n_features] * inverse_scale[:, None]
    sums = start_sums + np.einsum("ik,ik->k", change, linear + curvature / 2 * curved)
    objective = float(sums.sum()) / (n_samples * n_outputs) + share * penalty.value(coef)
    if sums.sum() < MODEL_FLOOR * start_sums.sum():
        objective = objective_of_model(
            X, Y, None, loss, penalty, state.model(), batch_size=n_samples
        )
    # the gradient of the objective in (u, c), normalised as Newton's would be
    start_objective = float(start_sums.sum()) / (n_samples * n_outputs)
    scale = max(start_objective, np.finfo(np.float64).tiny)
    residual = (linear + curvature * curved) / n_samples
    residual[:n_features] += penalty.l2 * inverse_scale[:, None] * coef
    length = np.sqrt(scale / state.curvature)
    return objective, float(np.max(np.abs(residual))) * share * length / scale
