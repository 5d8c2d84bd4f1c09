"""Proximal Newton steps for an L1 part of the penalty, on few features.

Newton's method (:mod:`~sklosses._engine._newton`) needs a smooth objective; the L1 part
``sum_j l_j |x_j|`` is not. L-BFGS-B handles it by splitting each coefficient into two
bounded halves, and crawls on correlated columns (100k x 50: 44-113 iterations, 1.3-3 s,
where the smooth objective takes Newton one or two). A proximal Newton method (Lee, Sun &
Saunders 2014; glmnet's and skglm's outer loop) keeps Newton's quadratic model of the
smooth part and adds the L1 term exactly: each step minimises

    g.d + d.H d / 2 + sum_j l_j |x_j + d_j|

exactly, over the ``p + 1`` parameters of each output (all ``K (p + 1)`` at once for a
loss coupling its ``K`` outputs, the softmax) and without a pass over ``X``
(:func:`model_minimiser`: coordinate descent and linear solves on the support), then
backtracks along ``d`` until the objective falls by Armijo's share of the model's
decrease ``D = g.d + sum_j l_j (|x_j + d_j| - |x_j|)``. Zeros of the model's minimiser
are exact, and so are the returned coefficients' zeros. An output is done when half its
decrease ``-D / 2`` is at most ``tolerance`` times its objective. On a quadratic loss
the first step lands on the minimiser.
"""

import numpy as np

from ._hessian import hessian_sums
from ._newton import MAX_DAMPING, _output_indices, floored, hessian_fits, next_damping, solved

WARM_SWEEPS = 3
"""Coordinate-descent sweeps before the first exact solve (they settle most signs)."""
MAX_ROUNDS = 100
"""Most rounds of a coordinate-descent sweep and an exact solve on the support per step."""
ARMIJO = 1e-4


def prox_newton_applies(loss, penalty, X, n_outputs=1):
    """Whether the phase on ``X`` takes proximal Newton steps: an L1 part in the penalty and
    a differentiable loss whose Hessians Newton's method can use on ``X`` (few features,
    fewer on CSR data: :func:`~sklosses._engine._newton.hessian_fits`)."""
    return bool(penalty.l1) and loss.differentiable and hessian_fits(loss, X, n_outputs)


def l1_weights(objective, loss):
    """``l_j`` of every parameter of ``x`` in the normalised objective: the L1 weight of a
    coefficient in its units, 0 for an intercept."""
    n_features, n_outputs = objective.state.coef.shape
    inverse_scale = objective.state.preconditioner.inverse_scale
    per_feature = objective.share(loss) * objective.l1 * inverse_scale * objective.length
    weights = np.zeros(n_features * n_outputs + objective.fit_intercept * n_outputs)
    weights[: n_features * n_outputs] = np.repeat(per_feature / objective.scale, n_outputs)
    return weights


def _soft_threshold(value, threshold):
    return np.sign(value) * max(abs(value) - threshold, 0.0)


def model_minimiser(hessian, gradient, x, weights):
    """The minimiser ``z`` of the model ``q(z) = g.(z - x) + (z - x).H (z - x) / 2 +
    sum_j l_j |z_j|``.

    Sweeps of cyclic coordinate descent from ``z = x`` set the signs and free the zeros
    that violate their optimality condition ``|r_j| <= l_j`` (``r = g + H (z - x)``);
    on correlated columns they would then crawl, so between sweeps the model is
    minimised exactly with the signs held (one linear solve on the parameters that are
    not zero; a parameter that would change sign on the way stops at zero, and the solve
    is repeated without it). Every move lowers the model; the search ends when the zeros
    meet their condition at a point where the signed model is stationary."""
    z = _sweeps(hessian, gradient, x, weights, x.copy(), WARM_SWEEPS)
    for _ in range(MAX_ROUNDS):
        z = _on_the_support(hessian, gradient, x, weights, z)
        residual = gradient + hessian @ (z - x)
        zeros = (z == 0) & (weights != 0)
        if np.all(np.abs(residual[zeros]) <= weights[zeros] * (1 + 1e-9)):
            return z
        z = _sweeps(hessian, gradient, x, weights, z, 1)
    return z


def _sweeps(hessian, gradient, x, weights, z, count):
    """``count`` sweeps of cyclic coordinate descent on the model from ``z`` (in place)."""
    residual = gradient + hessian @ (z - x)
    diagonal = np.diag(hessian)
    for _ in range(count):
        for j in range(len(z)):
            new = _soft_threshold(z[j] - residual[j] / diagonal[j], weights[j] / diagonal[j])
            if new != z[j]:
                residual += hessian[:, j] * (new - z[j])
                z[j] = new
    return z


def _on_the_support(hessian, gradient, x, weights, z):
    """The model's minimiser with the zeros and signs of ``z`` held, reached from ``z`` on
    a line along which the model falls; a parameter that changes sign on the way stops at
    zero, and the line starts again from there without it."""
    for _ in range(len(z) + 1):
        free = (z != 0) | (weights == 0)
        signs = np.sign(z)
        target = np.zeros_like(z)
        # H_FF (t_F - x_F) = -g_F - l_F s_F + H_F~F x_~F, the parameters off F at zero
        right = -gradient[free] - (weights * signs)[free] + hessian[np.ix_(free, ~free)] @ x[~free]
        solve = solved(hessian[np.ix_(free, free)], right)
        target[free] = x[free] + solve
        crossing = free & (weights != 0) & (np.sign(target) != signs)
        if not crossing.any():
            return target
        shares = np.where(crossing, z / np.where(crossing, z - target, 1.0), np.inf)
        first = int(np.argmin(shares))
        z = z + shares[first] * (target - z)
        z[first] = 0.0
    return z


def _model_step(block, gradient, x, weights, part):
    """The step to the minimiser of the model of Hessian ``block`` for the parameters
    ``part``."""
    return model_minimiser(block, gradient[part], x[part], weights[part]) - x[part]


def _finite_step(block, gradient, x, weights, part, damping):
    """``(step, damping)``: the model's step with ``block`` damped by ``damping``, the damping
    raised (``next_damping`` of a failed step) until the step is finite. A curvature that
    underflows everywhere (log-cosh's ``sech^2`` at residuals of 1e5) leaves a Hessian of
    zeros, whose coordinate steps divide by zero: the fit stopped 1.9 times above its
    optimum, reported converged."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        step = _model_step(floored(block, damping), gradient, x, weights, part)
        while not np.all(np.isfinite(step)) and damping < MAX_DAMPING:
            damping = float(next_damping(np.array([damping]), np.zeros(1))[0])
            step = _model_step(floored(block, damping), gradient, x, weights, part)
    return step, damping


def _undamped_excess(block, gradient, x, weights, part):
    """Half the undamped model's decrease, the estimated excess; infinite where the
    undamped model has no finite minimiser (a curvature that underflowed: the iterate is
    still in a flat zone, not at the minimum)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        step = _model_step(floored(block), gradient, x, weights, part)
        excess = -_decrease(gradient[part], step, x[part], weights[part]) / 2
    return excess if np.isfinite(excess) else np.inf


def _decrease(gradient, direction, x, weights):
    """The model's decrease ``D`` of a full step (negative when the step descends)."""
    return gradient @ direction + weights @ (np.abs(x + direction) - np.abs(x))


def optimality(gradient, x, weights):
    """Largest component of the minimum-norm subgradient of the normalised objective."""
    at_zero = np.maximum(np.abs(gradient) - weights, 0.0)
    away = np.abs(gradient + weights * np.sign(x))
    return float(np.max(np.where(x == 0, at_zero, away), initial=0.0))


def prox_newton(objective, loss, x, tolerance, max_iter):
    """Proximal Newton steps on the normalised objective from ``x`` (module docstring);
    each output steps along its own direction with its own step length. A damped model's
    decrease understates the excess, so a damped output is judged by its undamped model,
    for a continuation's stand-in too (unlike :func:`~sklosses._engine._newton.newton`:
    with an L1 part no exact finish follows the stand-ins, and judged damped the hinge
    loss on 1,500 x 200 rows ended 4.4e-4 above the linear programme's optimum).

    Returns ``(x, iterations, optimality, converged)``.
    """
    weights = l1_weights(objective, loss)
    gradient = objective(x, loss)[1]
    values = objective.values.copy()
    parts = _output_indices(len(x), len(values))
    curvature_sums = hessian_sums(objective, loss)
    active, damping = np.ones(len(values), dtype=bool), np.zeros(len(values))
    for iteration in range(1, max_iter + 1):
        blocks = curvature_sums.hessian_blocks(loss, active)
        direction, decrease = np.zeros_like(x), np.zeros(len(values))
        excess = np.zeros(len(values))
        for output in np.flatnonzero(active):
            part = parts[output]
            step, damping[output] = _finite_step(
                blocks[output], gradient, x, weights, part, damping[output]
            )
            direction[part] = step
            decrease[output] = _decrease(gradient[part], step, x[part], weights[part])
            excess[output] = -decrease[output] / 2
            if damping[output] and excess[output] <= tolerance * abs(values[output]):
                excess[output] = _undamped_excess(blocks[output], gradient, x, weights, part)
        active &= excess > tolerance * np.abs(values)
        if not active.any():
            return x, iteration - 1, optimality(gradient, x, weights), True
        x, gradient, values, steps = _backtrack(
            objective, loss, x, direction, values, decrease, active
        )
        # damped where the step was cut (a loss flat at the iterate: Huber's linear zone),
        # and at the floor of the arithmetic once no step lowers an output fully damped
        active &= (steps > 0) | (damping < MAX_DAMPING)
        damping = np.where(active, next_damping(damping, steps), damping)
        if not active.any():
            return x, iteration, optimality(gradient, x, weights), True
    return x, max_iter, optimality(gradient, x, weights), False


def _backtrack(objective, loss, x, direction, values, decrease, active):
    """Halve each active output's step until its part of the objective falls by Armijo's
    share of its model decrease; trials on the line of the raw predictions, the accepted
    point evaluated in full. An output whose step falls below 1e-10 gets none (0).
    Returns ``(x, gradient, values, steps)``."""
    steps = np.where(active, 1.0, 0.0)
    line = objective.line(loss, x, direction)
    while True:
        trial_values = line(steps)
        failed = (steps > 0) & ~(trial_values <= values + ARMIJO * steps * decrease)
        if not failed.any():
            break
        steps = np.where(failed, np.where(steps / 2 < 1e-10, 0.0, steps / 2), steps)
    x = x + steps[np.arange(len(x)) % len(steps)] * direction  # parameter i is output i % K
    gradient = objective(x, loss)[1]
    return x, gradient, objective.values.copy(), steps
