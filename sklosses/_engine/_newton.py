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

MAX_PARAMETERS = 100
"""Largest number of parameters per output (coefficients plus intercept) for Newton."""
CHUNK_ROWS = 4096
"""Rows per chunk of a pass that forms Hessians (its products stay in cache)."""
KEEP_STANDARDISED_BELOW = 2_000_000
"""Data of fewer entries has its standardised rows kept for the whole Newton run (at most
16 MB)."""
REFRESH_SHARE = 0.25
"""An output whose curvature changed in more than this share of the rows has its Hessian
recomputed rather than updated."""


def newton_applies(loss, penalty, n_features, n_outputs=1):
    """Whether the phase uses Newton: no L1 part in the penalty, and an element-scope loss
    with a ``hessian`` and few enough features per output, or a sample-scope loss with a
    ``coupled_hessian`` and few enough parameters in all."""
    if penalty.l1:
        return False
    if loss.scope == "element":
        return loss.hessian is not None and n_features + 1 <= MAX_PARAMETERS
    coupled = loss.scope == "sample" and loss.coupled_hessian is not None
    return coupled and (n_features + 1) * n_outputs <= MAX_PARAMETERS


def _standardised_rows(objective, rows):
    """``z_i`` of ``X[rows]``: the standardised row, float64, with a 1 appended for the
    intercept."""
    z = objective.state.preconditioner.standardised(objective.X[rows])
    if objective.fit_intercept:
        z = np.hstack([z, np.ones((len(z), 1))])
    return z


def _raw_predictions(objective):
    """``(rows, raw)`` for each chunk of rows: the raw predictions at the state's iterate."""
    state = objective.state
    coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
    for start in range(0, objective.X.shape[0], CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        yield rows, objective.X[rows] @ coef + intercept


def _normalised(objective, loss, sums, inverse_scale):
    """The Hessians of the normalised objective from the loss's weighted curvature sums:
    their mean over the rows times the loss's share, plus the L2 penalty on the first
    ``len(inverse_scale)`` diagonal entries (the coefficients; the intercept is free)."""
    share = objective.share(loss)
    blocks = sums * (share / objective.Y.shape[0])
    diagonal = np.arange(len(inverse_scale))
    blocks[:, diagonal, diagonal] += share * objective.penalty.l2 * inverse_scale**2
    return blocks * (objective.length**2 / objective.scale)


class CoupledHessian:
    """The Hessian of a loss coupling its outputs (softmax), one block over all the
    parameters: ``sum_i z_i z_i^T (x) H_i`` with ``H_i`` the loss's ``coupled_hessian`` of
    row ``i``, in the order of the flat vector (``u`` row-major, then ``c``: parameter
    ``(f, k)`` at ``f * n_outputs + k``, the intercept as feature ``p``)."""

    def __init__(self, objective):
        self.objective = objective

    def hessian_blocks(self, loss, active):
        """The one block (shape ``(1, size, size)``) of the normalised objective."""
        objective = self.objective
        weight, preconditioner = objective.sample_weight, objective.state.preconditioner
        n_features, n_outputs = objective.state.coef.shape
        size = n_features + objective.fit_intercept
        block = np.zeros((size, n_outputs, size, n_outputs))
        for rows, raw in _raw_predictions(objective):
            z = _standardised_rows(objective, rows)
            curvature = loss.coupled_hessian(objective.Y[rows], raw)
            if weight is not None:
                curvature = curvature * weight[rows, None, None]
            # one product: z^T (z (x) H) gives [f, g, k, l]
            weighted = (z[:, :, None] * curvature.reshape(len(z), 1, -1)).reshape(len(z), -1)
            block += (
                (z.T @ weighted).reshape(size, size, n_outputs, n_outputs).transpose(0, 2, 1, 3)
            )
        block = block.reshape(1, size * n_outputs, size * n_outputs)
        blocks = _normalised(
            objective, loss, block, np.repeat(preconditioner.inverse_scale, n_outputs)
        )
        # adding the same constant to every output's score changes nothing: a trace-scaled
        # floor keeps that direction out of the step
        diagonal = np.arange(size * n_outputs)
        blocks[0, diagonal, diagonal] += 1e-8 * np.trace(blocks[0]) / len(diagonal)
        return blocks


class CurvatureSums:
    """The Hessians of the loss part, ``sum_i h_i z_i z_i^T`` per output with ``z_i`` the
    standardised row with a 1 appended for the intercept and ``h_i`` its weighted
    curvature, kept up to date across Newton iterations.

    The curvature of most losses Newton meets is piecewise constant in the raw
    prediction (squared, Huber, expectile, squared hinge, the envelope of a
    piecewise-linear loss), so from one iterate to the next only the rows that crossed
    a kink change their ``h_i``: their difference is added to the sums, ``O(k p**2)``
    for ``k`` such rows instead of a pass of ``O(n p**2)`` (none at all for the squared
    loss). A smooth curvature changes every row, and the sums are then recomputed.
    """

    def __init__(self, objective):
        self.objective = objective
        self.curvature = None
        n_outputs, size = objective.Y.shape[1], objective.X.shape[1] + objective.fit_intercept
        self.sums = np.zeros((n_outputs, size, size))
        self.standardised = None
        if objective.X.shape[0] * size <= KEEP_STANDARDISED_BELOW:
            self.standardised = _standardised_rows(objective, slice(None))

    def _current_curvature(self, loss):
        """The weighted curvature ``h`` of every row and output at the state's iterate."""
        objective = self.objective
        curvature = np.empty(objective.Y.shape)
        for rows, raw in _raw_predictions(objective):
            curvature[rows] = loss.hessian(objective.Y[rows], raw)
        if objective.sample_weight is not None:
            curvature *= objective.sample_weight[:, None]
        return curvature

    def _rows(self, rows):
        """``z_i`` of ``X[rows]``: kept from the start on small data (every Newton step
        needs them, and standardising costs more than the product there)."""
        if self.standardised is not None:
            return self.standardised[rows]
        return _standardised_rows(self.objective, rows)

    def _add(self, outputs, rows, weights):
        """Add ``sum_i weights[i, k] z_i z_i^T`` for ``i`` in ``rows`` to each output ``k``."""
        every_row = len(rows) == self.objective.X.shape[0]
        for start in range(0, len(rows), CHUNK_ROWS):
            # all the rows: slices, views of X in any layout, instead of gathered copies
            chunk = (
                slice(start, start + CHUNK_ROWS) if every_row else rows[start : start + CHUNK_ROWS]
            )
            z = self._rows(chunk)
            for output in outputs:
                weight = weights[chunk, output]
                if (weight >= 0).all():  # z^T z through BLAS syrk, half the operations
                    root = z * np.sqrt(weight)[:, None]
                    self.sums[output] += root.T @ root
                else:
                    self.sums[output] += z.T @ (z * weight[:, None])

    def update(self, loss, active):
        """Bring the sums of the ``active`` outputs to the state's iterate."""
        curvature = self._current_curvature(loss)
        refresh = np.flatnonzero(active)
        if self.curvature is None:
            self.curvature = np.zeros_like(curvature)  # the sums start at zero
        else:
            change = curvature - self.curvature
            changed = change[:, refresh] != 0
            few = changed.sum(axis=0) <= REFRESH_SHARE * len(curvature)
            for column in np.flatnonzero(few):
                self._add([refresh[column]], np.flatnonzero(changed[:, column]), change)
            refresh = refresh[~few]
        if len(refresh):
            self.sums[refresh] = 0
            # only curved rows count: for the envelope of a kinked loss, those near a kink
            curved = np.flatnonzero((curvature[:, refresh] != 0).any(axis=1))
            self._add(refresh, curved, curvature)
        self.curvature[:, active] = curvature[:, active]

    def hessian_blocks(self, loss, active):
        """One ``(p + 1) x (p + 1)`` Hessian per output of the normalised objective at the
        state's iterate (``p x p`` without an intercept); zero for the outputs not
        ``active``."""
        self.update(loss, active)
        sums = np.where(active[:, None, None], self.sums, 0.0)
        inverse_scale = self.objective.state.preconditioner.inverse_scale
        return _normalised(self.objective, loss, sums, inverse_scale)


def _output_indices(n_parameters, n_outputs):
    """Indices of each output's parameters in ``x`` (``u`` row-major, then ``c``)."""
    return [np.arange(output, n_parameters, n_outputs) for output in range(n_outputs)]


def _newton_direction(curvature_sums, loss, gradient, active, damping):
    """``-(H + damping I)^-1 g``, block by block, for the ``active`` outputs (zero for
    the others)."""
    blocks = curvature_sums.hessian_blocks(loss, active)
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
    # one part per output, or one for all the outputs of a coupled loss (never frozen)
    active = ~objective.frozen if len(values) == len(objective.frozen) else np.ones(1, bool)
    damping = np.zeros(len(values))
    curvature_sums = (CurvatureSums if loss.scope == "element" else CoupledHessian)(objective)
    for iteration in range(1, max_iter + 1):
        direction = _newton_direction(curvature_sums, loss, gradient, active, damping)
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
