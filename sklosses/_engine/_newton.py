"""Newton's method for the full-batch phase, on few features.

With ``p`` coefficients per output, one Newton step costs a pass that forms
the ``(p + 1) x (p + 1)`` Hessian of every output (``n p**2`` operations) and
its solve; L-BFGS costs ``n p`` per iteration but needs hundreds of them on
ill-conditioned data (correlated columns, a small ``alpha``, a smoothed kink),
where Newton needs a handful. Below ``MAX_PARAMETERS`` per output, and for a
loss with a ``hessian`` (the per-sample second derivative; the Moreau envelope
of a non-smooth loss has one too), the full-batch phase takes Newton steps.

One-vs-rest outputs do not interact, so the Hessian is block diagonal, one
block per output. The steps are damped by backtracking (Armijo) and stop when
half the Newton decrement ``-g.d / 2``, the quadratic model's estimate of the
relative excess of the objective, falls below the tolerance.
"""

import numpy as np
import scipy.sparse as sp

MAX_PARAMETERS = 100
"""Largest number of parameters per output (coefficients plus intercept) for Newton."""
CHUNK_ROWS = 16384


def newton_applies(loss, penalty, n_features):
    """Whether the phase uses Newton: an element-scope loss with a ``hessian``, no L1 part
    in the penalty, and few enough features."""
    return (
        loss.hessian is not None
        and loss.scope == "element"
        and not penalty.l1
        and n_features + 1 <= MAX_PARAMETERS
    )


def _hessian_blocks(objective, loss, active):
    """One ``(p + 1) x (p + 1)`` Hessian per output of the normalised objective at the
    current iterate of ``objective.state`` (one ``p x p`` without an intercept); zero
    for the outputs not ``active``."""
    X, Y, weight, state = objective.X, objective.Y, objective.sample_weight, objective.state
    preconditioner = state.preconditioner
    coef, intercept = preconditioner.coefficients(state.coef, state.intercept)
    n_samples, n_outputs = Y.shape
    size = X.shape[1] + objective.fit_intercept
    blocks = np.zeros((n_outputs, size, size))
    n_features = X.shape[1]
    for start in range(0, n_samples, CHUNK_ROWS):
        chunk = X[start : start + CHUNK_ROWS]
        chunk = chunk.toarray() if sp.issparse(chunk) else np.asarray(chunk, dtype=np.float64)
        raw = chunk @ coef + intercept
        curvature = loss.hessian(Y[start : start + CHUNK_ROWS], raw).astype(np.float64)
        if weight is not None:
            curvature *= weight[start : start + CHUNK_ROWS, None]
        # only curved samples count: for the envelope of a kinked loss, the few near a kink
        curved = (curvature[:, active] > 0).any(axis=1)
        rows = preconditioner.standardised(chunk[curved])
        for output in np.flatnonzero(active):
            weighted = rows * curvature[curved, output, None]
            blocks[output, :n_features, :n_features] += rows.T @ weighted
            if objective.fit_intercept:
                column = weighted.sum(axis=0)
                blocks[output, :n_features, n_features] += column
                blocks[output, n_features, :n_features] += column
                blocks[output, n_features, n_features] += curvature[curved, output].sum()
    share = objective.share(loss)
    blocks *= share / n_samples
    ridge = share * objective.penalty.l2 * preconditioner.inverse_scale**2
    diagonal = np.arange(X.shape[1])
    blocks[:, diagonal, diagonal] += ridge
    return blocks * (objective.length**2 / objective.scale)


def _output_indices(n_parameters, n_outputs):
    """Indices of each output's parameters in ``x`` (``u`` row-major, then ``c``)."""
    return [np.arange(output, n_parameters, n_outputs) for output in range(n_outputs)]


def _newton_direction(objective, loss, gradient, active, damping):
    """``-(H + damping I)^-1 g``, block by block, for the ``active`` outputs (zero for
    the others)."""
    blocks = _hessian_blocks(objective, loss, active)
    direction = np.zeros_like(gradient)
    for output, indices in enumerate(_output_indices(len(gradient), len(blocks))):
        if not active[output]:
            continue
        block = blocks[output]
        block[np.diag_indices_from(block)] += damping[output] + 1e-12 * max(
            np.trace(block) / len(block), 1e-300
        )
        try:
            direction[indices] = -np.linalg.solve(block, gradient[indices])
        except np.linalg.LinAlgError:
            direction[indices] = -np.linalg.lstsq(block, gradient[indices], rcond=None)[0]
    return direction


def _shorter_step(step, slope, rise):
    """The minimiser of the parabola through the objective's value and slope at 0 and its
    value ``rise`` above it at ``step``, kept within a tenth and half of ``step``. The
    objective is piecewise quadratic along the line for the envelope of a piecewise-linear
    loss, so the parabola is often exact."""
    curvature = rise - slope * step
    return np.where(
        curvature > 0,
        np.clip(
            -slope * step**2 / (2 * np.where(curvature > 0, curvature, 1)), step / 10, step / 2
        ),
        step / 2,
    )


def newton(objective, loss, x, tolerance, max_iter):
    """Damped Newton steps on the normalised objective from ``x``.

    The outputs do not interact, so each takes its own step along its own Newton
    direction (backtracking until it lowers its part of the objective, Armijo's rule):
    one slow output does not hold the others back. Where the Hessian misses most of
    the curvature (the envelope of a kinked loss, curved only near its kinks), full
    steps overshoot and backtracking crawls; the Hessian of an output whose step was
    cut below a tenth is then damped by a multiple of the identity (in the normalised
    coordinates), tenfold more each time, and tenfold less after a full step
    (Levenberg-Marquardt). An output is done when half its
    Newton decrement, the estimated excess of its part of the objective, is at most
    ``tolerance`` times that part, or when no step along its direction lowers its part
    any more (the floor of the arithmetic).

    Returns ``(x, iterations, largest gradient component, converged)``.
    """
    gradient = objective(x, loss)[1]
    values = objective.values.copy()
    indices = _output_indices(len(x), len(values))
    active = ~objective.frozen
    damping = np.zeros(len(values))
    for iteration in range(1, max_iter + 1):
        direction = _newton_direction(objective, loss, gradient, active, damping)
        slopes = np.array([gradient[part] @ direction[part] for part in indices])
        active &= (-slopes / 2 > tolerance * np.abs(values)) & (slopes < 0)
        steps = np.where(active, 1.0, 0.0)
        while steps.any():
            trial = x.copy()
            for output in np.flatnonzero(steps):
                trial[indices[output]] += steps[output] * direction[indices[output]]
            new_gradient = objective(trial, loss)[1]
            failed = (steps > 0) & ~(objective.values <= values + 1e-4 * steps * slopes)
            if not failed.any():
                break
            shorter = _shorter_step(steps, slopes, objective.values - values)
            steps = np.where(failed, np.where(shorter < 1e-10, 0.0, shorter), steps)
        if not steps.any():
            objective(x, loss)
            return x, iteration - 1, float(np.max(np.abs(gradient))), True
        active &= steps > 0
        damping = np.where(
            steps >= 1, damping / 10, np.where(steps < 0.1, np.maximum(10 * damping, 1e-4), damping)
        )
        x, gradient, values = trial, new_gradient, objective.values.copy()
    return x, max_iter, float(np.max(np.abs(gradient))), False
