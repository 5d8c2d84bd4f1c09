"""Minimisation through Moreau envelopes with continuation, for the full-batch phase
(:mod:`~sklosses._engine._full_batch`).

A non-differentiable convex loss is minimised through its envelopes
(:meth:`~sklosses.losses.Loss.smoothed`): the width starts at a tenth of the loss's length
scale and shrinks tenfold, warm started, until the envelope lies within ``SMOOTHING_SHARE *
tol`` of the loss at the solution, which bounds the excess of the returned objective (the
envelope lies below the loss, so the loss at the envelope's minimiser exceeds its own
minimum by at most that gap plus the envelope's own excess); the samples at the kinks
usually give the exact minimiser first, on few features in the parameters
(:mod:`~sklosses._engine._active_set`), on many in the samples
(:mod:`~sklosses._engine._dual_active_set`), and on small data a walk from kink to kink
reaches it before any smoothing (:mod:`~sklosses._engine._kink_walk`).

A smooth convex loss that is flat over almost every residual at the start of the phase
(:func:`flat_length`: Huber with a ``delta`` far below the residuals, log-cosh of residuals
in the hundreds) is kinked at the scale of the data: its Hessian sees only the few rows
in its curved band, Newton's model of it is wrong a step away, and its steps crawl (1,000
iterations, 0.4% above the optimum, on diabetes with the target in hundredths of a cent)
or stop on a decrement that the model underestimates (0.4% above, silently). Its envelopes
are curved over a band as wide as their width, and the same continuation solves it.
"""

import numpy as np

from ._active_set import exact_solution
from ._dual_active_set import dual_exact_solution, dual_finish_applies
from ._kink_walk import walk_to_minimiser
from ._newton import newton_applies
from ._solvers import FullBatchResult, minimise
from ._step_size import _mean_gradient, _mean_loss, starting_sample

SMOOTHING_SHARE = 0.1
"""Largest relative gap between a non-differentiable loss and its envelope, per unit of
``tol``, at the solution."""
ROUGH_TOL = 1.0
"""The tolerance of the first, rough solve of each smoothing stage, before the exact finish
is tried (half the Newton decrement within 1% of the objective)."""
ROUGH_MAX_ITER = 20
"""Most iterations of that rough solve: an exact finish corrects a partition read early,
and truncated Newton can crawl on a wide envelope (2,000 x 1e6 CSR hinge: 121 iterations,
3.6 s, for a partition that 20 iterations nearly give; the finish then took 0.03 s)."""
MAX_SMOOTHING_STAGES = 12
FIRST_WIDTH = 0.1
"""The width of the first Moreau envelope, in units of the loss's length scale."""
DUAL_ATTEMPTS = 3
"""Most tries of the dual finish (:mod:`~sklosses._engine._dual_active_set`) per fit, not
counting those it declines at once: one whose partition does not settle costs up to a few
thousand passes over ``X``."""
FLAT_BELOW = 0.01
"""A smooth loss is flat at the scale of the data (:func:`flat_length`) below this ratio:
residuals over 100 times Huber's ``delta``. Diabetes in its units (residuals ~60, delta
1) is not, and takes Newton's 20 steps."""
WALK_BELOW_TOL = 0.1
"""The exact walk from kink to kink is tried below this ``tol``; a looser one is met by the
first smoothing stages in fewer iterations (tol=0.1: iris hinge 18 against the walk's 22,
diabetes quantile 0.9 16 against 70), and ``n_iter_`` then follows ``tol``."""


def flat_length(objective, loss):
    """The length scale ``l = mean loss / mean |gradient|`` of a smooth convex element-scope
    ``loss`` at the state's iterate when the loss is flat at that scale, else None.

    Flat: ``mean |gradient|**2 / (smoothness * mean loss)`` below ``FLAT_BELOW``. The
    ratio is about ``delta / mean |r|`` for Huber's linear zone and ``1 / mean |r|`` for
    log-cosh's, whose curvature is that of a loss growing linearly over the residuals, and
    of order 1 for a loss curved over them (squared, log loss). Ties do not move it, where
    they move the mean curvature: counts at the best constant (a median of 2 visits) put
    13% of the rows of randhie with the target x1e6 in Huber's band, and Newton, from a
    model of those rows, stopped at the constant 5% above the optimum. Measured on the
    start's sample of rows."""
    if not (loss.differentiable and loss.convex and loss.scope == "element"):
        return None
    if loss.hessian is None or loss.smoothness is None or loss.quadratic:
        return None
    rows, state, X = starting_sample(objective.Y.shape[0]), objective.state, objective.X
    coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
    # dense rows: a view of the sample; CSR rows: the product on all, as a slice would copy
    sample = X[rows] if isinstance(X, np.ndarray) else X
    raw = np.asarray(sample @ coef.astype(np.float64)) + intercept
    raw = raw if sample is not X else raw[rows]
    targets = objective.Y[rows].astype(np.float64)
    weight = None if objective.sample_weight is None else objective.sample_weight[rows]
    mean_loss = _mean_loss(loss, targets, raw, weight, None)
    slope = _mean_gradient(loss, targets, raw, weight, None)
    if not (mean_loss > 0 and slope**2 < FLAT_BELOW * loss.smoothness * mean_loss):
        return None
    return mean_loss / slope


def continuation(objective, loss, x, bounds, curvature, tol, max_iter):
    """Minimise Moreau envelopes of ``loss`` of tenfold shrinking width, warm started,
    until the envelope at the solution is within ``SMOOTHING_SHARE * tol`` of the loss,
    or until the samples at the kinks of the envelope's solution give the exact minimiser
    of every output: on few features (:func:`sklosses._active_set.exact_solution`) an
    output solved exactly is left alone by Newton in the later stages; on many
    (:func:`sklosses._dual_active_set.dual_exact_solution`, up to ``DUAL_ATTEMPTS`` tries)
    every output is solved again, the later stages' solvers moving all. On small data, a walk
    from kink to kink (:func:`sklosses._kink_walk.walk_to_minimiser`) is tried first.
    The walk's steps and the stages share the ``max_iter`` iterations. The finishes and the
    walk solve piecewise-linear losses: a differentiable ``loss`` (:func:`flat_length`) has
    the stages only."""
    width, total_iter = FIRST_WIDTH / curvature, 0
    n_outputs = objective.Y.shape[1] if loss.scope == "element" else 1
    kinked = not loss.differentiable
    exact_applies = kinked and newton_applies(loss.smoothed(width), objective.penalty, objective.X)
    dual = kinked and dual_finish_applies(objective, loss.smoothed(width))
    dual_attempts = DUAL_ATTEMPTS if dual else 0
    finishes = exact_applies or dual_attempts > 0

    def solve_exactly(envelope, x):
        nonlocal dual_attempts
        objective.load(x)
        if exact_applies:
            for output in np.flatnonzero(~objective.frozen):
                objective.frozen[output] = exact_solution(objective, envelope, output)
        elif dual_attempts:
            # Newton-CG and L-BFGS-B move every output: all are solved again
            outcomes = [dual_exact_solution(objective, envelope, k) for k in range(n_outputs)]
            objective.frozen[:] = [outcome is True for outcome in outcomes]
            dual_attempts -= any(outcome is not None for outcome in outcomes)
        return objective.start()[0]

    if exact_applies and loss.scope == "element" and tol < WALK_BELOW_TOL:
        # on small data, walking from kink to kink reaches the minimiser in fewer steps
        # than the first envelope takes Newton iterations, and each step is cheaper
        for output in range(n_outputs):
            objective.frozen[output], n_steps = walk_to_minimiser(
                objective, loss, output, max_iter - total_iter
            )
            total_iter += n_steps
        x = objective.start()[0]

    for _ in range(0 if objective.frozen.all() else MAX_SMOOTHING_STAGES):
        envelope = loss.smoothed(width)
        if finishes:
            # the partition is right long before the envelope is solved to tol
            rough_iter = min(ROUGH_MAX_ITER, max_iter - total_iter)
            x, n_iter, _, _ = minimise(
                objective, envelope, x, bounds, ROUGH_TOL, rough_iter, stand_in=True
            )
            total_iter += n_iter
            x = solve_exactly(envelope, x)
            if objective.frozen.all():
                break
        x, n_iter, optimality, converged = minimise(
            objective, envelope, x, bounds, tol, max_iter - total_iter, stand_in=True
        )
        total_iter += n_iter
        if finishes:
            x = solve_exactly(envelope, x)
        exact = objective.value(x, loss)
        exact_parts = objective.values.copy()
        objective.value(x, envelope)
        unsolved = ~objective.frozen if exact_applies else np.ones(n_outputs, dtype=bool)
        gap = float((exact_parts - objective.values)[unsolved].sum()) / max(
            float(exact_parts.sum()), np.finfo(np.float64).tiny
        )
        if gap <= SMOOTHING_SHARE * tol or total_iter >= max_iter:
            break
        width /= 10
    if finishes and objective.frozen.all():
        optimality, gap, converged = 0.0, 0.0, True
        exact = objective.value(x, loss)
    objective.frozen[...] = False  # the last evaluation above left the state at x
    return FullBatchResult(
        total_iter, optimality, gap, converged and gap <= SMOOTHING_SHARE * tol, exact
    )
