"""Newton's method for the full-batch phase, on few features.

With ``p`` coefficients per output, one Newton step costs a pass that forms
the ``(p + 1) x (p + 1)`` Hessian of every output (``n p**2`` operations) and
its solve; L-BFGS costs ``n p`` per iteration but needs hundreds of them on
ill-conditioned data (correlated columns, a small ``alpha``, a smoothed kink),
where Newton needs a handful, and its Hessian pass is one matrix product, which BLAS
runs ten times faster per operation than L-BFGS's matrix-vector products. For a loss
with a ``hessian`` (the per-sample second derivative; the Moreau envelope of a
non-smooth loss has one too), the full-batch phase therefore takes Newton steps on
up to ``MAX_DENSE_PARAMETERS`` parameters per output of dense data (``MAX_PARAMETERS``
on CSR data, whose rows it densifies, and for a coupled multiclass loss).

One-vs-rest outputs do not interact, so the Hessian is block diagonal, one
block per output. The steps are damped by backtracking (Armijo) and stop when
half the Newton decrement ``-g.d / 2``, the quadratic model's estimate of the
relative excess of the objective, falls below the tolerance.
"""

import numpy as np
import scipy.sparse as sp

from ._hessian import hessian_sums

MAX_PARAMETERS = 100
"""Largest number of parameters per output (coefficients plus intercept) for Newton on CSR
data, and of all the parameters of a coupled loss."""
MAX_DENSE_PARAMETERS = 1000
"""Largest number of parameters per output for Newton on dense data: correlated columns
(``benchmarks/exact_solvers.standardised_problem``) took L-BFGS 255-633 iterations at
100-1000 columns, 8-25 s, where Newton took 1-2 steps, 0.2-2 s."""
MAX_HESSIAN_ENTRIES = 1 << 21
"""Most entries of the Hessian blocks of all the outputs together (16 MB): a step costs
``n p**2`` per output, and on many outputs of many columns L-BFGS's cheaper iterations win
(3,000 x 900, 5 one-vs-rest log-loss outputs: Newton 5.5 s, L-BFGS 2.4 s; 5,000 x 400:
Newton 0.7 s, L-BFGS 1.9 s)."""
STRETCH = 1.1
"""A full step that lowers the value by more than this times the quadratic model's
prediction is tried longer (doubled while the value falls)."""
MAX_STEP = 64.0
"""The longest step tried along a Newton direction."""
DAMPING_START = 1e-4
"""The first damping of a Hessian whose step was cut below a tenth, in the normalised units
(where a well-scaled Hessian is near the identity)."""
MAX_DAMPING = 1e6
"""Damping past which an output whose every step fails is at the floor of the arithmetic
(its step is then about a millionth of the gradient)."""
MODEL_FLOOR = 1e-6
"""A quadratic loss's Newton step is taken from its model, without measuring the objective
there, when the model's value keeps at least this share of the value at the start: its
rounding, a few units in the last place of the start's value, then stays below 1e-9 of it."""


def newton_applies(loss, penalty, X, n_outputs=1):
    """Whether the phase on ``X`` uses Newton: no L1 part in the penalty, and an
    element-scope loss with a ``hessian`` and few enough features per output, or a
    sample-scope loss with a ``coupled_hessian`` and few enough parameters in all."""
    return not penalty.l1 and hessian_fits(loss, X, n_outputs)


def hessian_fits(loss, X, n_outputs=1):
    """Whether ``loss`` has Hessians Newton-type steps on ``X`` can use: an element-scope
    loss with a ``hessian`` and blocks that fit (:func:`blocks_fit`), or a sample-scope
    loss with a ``coupled_hessian`` and at most ``MAX_PARAMETERS`` parameters in all."""
    if loss.scope == "element":
        return loss.hessian is not None and blocks_fit(X, n_outputs)
    coupled = loss.scope == "sample" and loss.coupled_hessian is not None
    return coupled and (X.shape[1] + 1) * n_outputs <= MAX_PARAMETERS


def blocks_fit(X, n_outputs):
    """Whether the per-output Hessian blocks of ``X``'s columns are few and small enough
    for Newton steps (``MAX_DENSE_PARAMETERS``, ``MAX_PARAMETERS`` on CSR data,
    ``MAX_HESSIAN_ENTRIES``)."""
    n_parameters = X.shape[1] + 1
    most = MAX_PARAMETERS if sp.issparse(X) else MAX_DENSE_PARAMETERS
    return n_parameters <= most and n_parameters**2 * n_outputs <= MAX_HESSIAN_ENTRIES


def floored(block, damping=0.0):
    """A copy of the Hessian ``block`` with ``damping`` plus a trace-scaled floor (1e-12 of
    its mean diagonal entry) on its diagonal, so that its solves stay defined."""
    block = block.copy()
    block.flat[:: len(block) + 1] += damping + 1e-12 * max(np.trace(block) / len(block), 1e-300)
    return block


def solved(matrix, right):
    """``matrix^-1 right``, by least squares only if ``matrix`` is singular (LU costs a
    tenth of least squares or less: 9 against 124 us on 42 parameters)."""
    try:
        return np.linalg.solve(matrix, right)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(matrix, right, rcond=None)[0]


def next_damping(damping, steps):
    """Levenberg-Marquardt's damping after steps ``steps`` (one per output): tenfold more
    where a step was cut below a tenth or to nothing, tenfold less after a full step. A
    loss flat at the iterate (Huber's linear zone far from the targets) has a Hessian of
    almost nothing, and its undamped step overshoots past any backtracking; damped, it
    turns toward the gradient until a step lowers the objective."""
    raised = np.maximum(10 * damping, DAMPING_START)
    return np.where(steps >= 1, damping / 10, np.where(steps < 0.1, raised, damping))


def _output_indices(n_parameters, n_outputs):
    """Each output's parameters in ``x`` (``u`` row-major, then ``c``), as slices: they
    index views, where index arrays would copy at every use."""
    return [slice(output, n_parameters, n_outputs) for output in range(n_outputs)]


def _newton_direction(curvature_sums, loss, gradient, active, damping):
    """``(-(H + damping I)^-1 g, H)``: the direction, block by block, for the ``active``
    outputs (zero for the others), and the Hessian's blocks."""
    blocks = curvature_sums.hessian_blocks(loss, active)
    direction = np.zeros_like(gradient)
    for output, indices in enumerate(_output_indices(len(gradient), len(blocks))):
        if not active[output]:
            continue
        direction[indices] = -solved(floored(blocks[output], damping[output]), gradient[indices])
    return direction, blocks


def _unit_excess(gradient, indices):
    """``|g|^2 / 2`` of each part ``indices`` of the normalised gradient: the excess a unit
    curvature would give."""
    return np.array([gradient[part] @ gradient[part] for part in indices]) / 2


def _undamped_done(blocks, gradient, indices, slopes, damping, tolerance):
    """Whether each output's excess, half its Newton decrement, is within ``tolerance``
    (one per output): from the damped step's slope, and where that was damped and small,
    from the undamped step's (a damped decrement understates the excess: on 200 x 500
    nearly interpolated rows, Huber's stopped 3.5e-3 above the optimum)."""
    done = -slopes / 2 <= np.abs(tolerance)
    for output in np.flatnonzero(done & (damping > 0)):
        part = indices[output]
        undamped = -solved(floored(blocks[output]), gradient[part])
        done[output] = -(gradient[part] @ undamped) / 2 <= abs(tolerance[output])
    return done


def _hessian_product(blocks, vector):
    """``H @ vector`` for the Hessian of ``blocks`` (one per output, or one in all)."""
    product = np.empty_like(vector)
    for block, indices in zip(blocks, _output_indices(len(vector), len(blocks)), strict=True):
        product[indices] = block @ vector[indices]
    return product


def _shorter_step(step, slope, rise):
    """The minimiser of the parabola through the objective's value and slope at 0 and its
    value ``rise`` above it at ``step``, kept within a tenth and half of ``step``. The
    objective is piecewise quadratic along the line for the envelope of a piecewise-linear
    loss, so the parabola is often exact."""
    curvature = rise - slope * step
    parabola = -slope * step**2 / (2 * np.where(curvature > 0, curvature, 1))
    # np.minimum and np.maximum: np.clip's argument checks cost more on these few values
    return np.where(curvature > 0, np.minimum(np.maximum(parabola, step / 10), step / 2), step / 2)


def _better_than_model(values, new_values, slopes):
    """The parts whose step lowered the value by more than ``STRETCH`` times the quadratic
    model's prediction for a full step, ``-slope / 2``."""
    return values - new_values > STRETCH * -slopes / 2


def _stretched(line, steps, values, slopes, new_values):
    """The full steps doubled on ``line`` while they lower the value further (up to
    ``MAX_STEP``), for the parts where they did better than the model."""
    longer = (steps == 1) & _better_than_model(values, new_values, slopes)
    while longer.any() and steps.max() < MAX_STEP:
        trial_steps = np.where(longer, 2 * steps, steps)
        trial_values = line(trial_steps)
        longer &= trial_values < new_values
        steps = np.where(longer, trial_steps, steps)
        new_values = np.where(longer, trial_values, new_values)
    return steps


def _line_search(objective, loss, x, direction, values, slopes, steps, on_line, lengthen):
    """Steps along ``direction`` from ``steps`` (one per part of the value, 0 for a part
    left alone) that meet Armijo's rule: ``(steps, trial, gradient)`` with the objective
    evaluated at ``trial``, or all steps 0 when no step lowers any part.

    A rejected step is shortened (backtracking). Trials are tried on the line of the raw
    predictions (:meth:`FlatObjective.line`), from the first one ``on_line`` or else after
    a rejected one, and only accepted steps are evaluated in full: a full step along an
    envelope's Newton direction can overshoot ten thousandfold, a dozen shorter trials
    that would each read ``X``. On the line and with ``lengthen``, an accepted full step
    that did better than the model predicts is also lengthened (:func:`_stretched`): near
    a separable class the log loss flattens faster than its Newton model, whose steps
    then fall short."""
    part_of = np.arange(len(x)) % len(values)
    line = objective.line(loss, x, direction) if on_line else None
    while steps.any():
        if not on_line:
            trial = x + steps[part_of] * direction
            gradient = objective(trial, loss)[1]
            new_values = objective.values
        else:
            new_values = line(steps)
        failed = (steps > 0) & ~(new_values <= values + 1e-4 * steps * slopes)
        if not failed.any() and not on_line:
            return steps, trial, gradient
        if not failed.any():  # evaluate in full once the line accepts the steps
            if lengthen:
                steps = _stretched(line, steps, values, slopes, new_values)
            on_line = False
            continue
        line, on_line = objective.line(loss, x, direction) if line is None else line, True
        shorter = _shorter_step(steps, slopes, new_values - values)
        steps = np.where(failed, np.where(shorter < 1e-10, 0.0, shorter), steps)
    return steps, None, None


def newton(objective, loss, x, tolerance, max_iter, stand_in=False):
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
    ``tolerance`` times that part (undamped: :func:`_undamped_done`), or when no step
    along its direction lowers its part any more (the floor of the arithmetic). A full
    step that does better than the quadratic model predicts is tried longer
    (:func:`_line_search`).

    For a ``stand_in`` of the continuation (the envelope of a kinked loss) neither: its
    steps overshoot rather than fall short, and the longer ones cost its later steps (a
    third more on the hinge loss); and its undamped step crosses many kinks, past which
    its decrement overstates the excess by orders of magnitude, so the damped decrement
    ends an output (100,000 x 50 hinge: 28 Newton steps, against 226 for an objective
    4e-6 lower, well within the smoothing's share of ``tol``).

    Returns ``(x, iterations, largest gradient component, converged)``.
    """
    gradient = objective(x, loss)[1]
    values = objective.values.copy()
    indices = _output_indices(len(x), len(values))
    # one part per output, or one for all the outputs of a coupled loss (never frozen)
    active = ~objective.frozen if len(values) == len(objective.frozen) else np.ones(1, bool)
    damping, on_line = np.zeros(len(values)), False
    curvature_sums = hessian_sums(objective, loss)
    for iteration in range(1, max_iter + 1):
        direction, blocks = _newton_direction(curvature_sums, loss, gradient, active, damping)
        slopes = np.array([gradient[part] @ direction[part] for part in indices])
        if stand_in:
            done = -slopes / 2 <= tolerance * np.abs(values)
        else:
            done = _undamped_done(blocks, gradient, indices, slopes, damping, tolerance * values)
        active &= ~done & (slopes < 0)
        tried = np.where(active, 1.0, 0.0)
        # a quadratic loss's model is its objective: an undamped full step lands on the
        # minimiser, with the value f + slope / 2 and the gradient g + H d, known without a
        # pass over X unless that value, rounded to a few units of f's last digit, cancels
        if loss.quadratic and tried.any() and not damping.any():
            landed = values + tried * slopes / 2
            if np.all(np.abs(landed) >= MODEL_FLOOR * np.abs(values)):
                step = tried[np.arange(len(x)) % len(values)] * direction
                x = x + step
                gradient = gradient + _hessian_product(blocks, step)
                objective.predicted(x, loss, landed, gradient)
                return x, iteration, float(np.max(np.abs(gradient))), True
        steps, trial, new_gradient = _line_search(
            objective, loss, x, direction, values, slopes, tried, on_line, not stand_in
        )
        # the next full step will likely overshoot, or fall short, too
        better = (not stand_in) & _better_than_model(values, objective.values, slopes)
        on_line = bool(((steps != 1) | better)[active].any())
        # an output no step lowers is at the floor of the arithmetic if its excess at unit
        # curvature (the normalised Hessian's scale), |g|^2 / 2, is within the tolerance
        # (a narrow envelope near its minimum), else once fully damped (a flat start)
        stalled = (steps == 0) & (tried > 0)
        if stalled.any():
            within = _unit_excess(gradient, indices) <= tolerance * np.abs(values)
            active &= ~(stalled & within) & ((steps > 0) | (damping < MAX_DAMPING))
        if damping.any() or (steps < 1).any():  # else the damping stays zero
            damping = np.where(active, next_damping(damping, steps), damping)
        if not steps.any():
            if tried.any():  # a rejected trial left the state elsewhere
                objective(x, loss)
            if not active.any():
                return x, iteration - 1, float(np.max(np.abs(gradient))), True
            continue
        x, gradient, values = trial, new_gradient, objective.values.copy()
    return x, max_iter, float(np.max(np.abs(gradient))), False
