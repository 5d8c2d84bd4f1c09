"""The full-batch phase of ``fit``: Newton or quasi-Newton steps on all the data.

Mini-batch SGD reaches the neighbourhood of the minimiser in a few epochs and
then crawls: its steps carry the noise of the batches, and on correlated
features it needs thousands of epochs. ``fit`` therefore finishes on full
passes over the in-memory data, from where SGD stopped, in the engine's
preconditioned coordinates ``(u, c)`` (see
:class:`~sklosses._engine._preconditioner.Preconditioner`), where the objective is
well scaled whatever the units of the columns: Newton's method on few features
(:mod:`~sklosses._engine._newton`; for a quadratic loss whose Gram the start read, one
linear solve, :mod:`~sklosses._engine._gram`), truncated Newton on CSR input
(:mod:`~sklosses._engine._newton_cg`), scipy's L-BFGS-B otherwise
(:mod:`~sklosses._engine._lbfgs`). Every pass goes through
the engine's own gradient (:func:`~sklosses._engine._batching.full_gradient`), so the chain
rule of the gradient still lives in one place and any loss of the protocol works.

* A differentiable loss is minimised directly.
* A non-differentiable convex loss is minimised through its Moreau envelope
  (:meth:`~sklosses.losses.Loss.smoothed`) with continuation: the width
  starts at a tenth of the loss's length scale and shrinks tenfold, warm
  started, until the envelope lies within ``SMOOTHING_SHARE * tol`` of the
  loss at the solution, which bounds the excess of the returned objective; the
  samples at the kinks usually give the exact minimiser first, on few features in the
  parameters (:mod:`~sklosses._engine._active_set`), on many in the samples
  (:mod:`~sklosses._engine._dual_active_set`), and on small data a walk from kink to
  kink reaches it before any smoothing (:mod:`~sklosses._engine._kink_walk`).
* An L1 part of the penalty is handled by proximal Newton steps where Newton's Hessians
  fit (:mod:`~sklosses._engine._prox_newton`), else by splitting ``u = u+ - u-`` with
  ``u+, u- >= 0`` (bounds of L-BFGS-B); either way the zeros of the solution are exact.

The objective is measured in units of its value at the start of the phase and
the parameters in units of the loss's length scale
(:meth:`~sklosses._engine._objective.FlatObjective.normalise`).
Newton stops when half the decrement is below ``DECREMENT_SHARE * tol`` of the
objective; L-BFGS-B runs by ``FTOL_SHARE * tol`` and ``GTOL_SHARE * tol`` until its
estimated excess is below ``DECREMENT_SHARE * tol`` (:mod:`~sklosses._engine._lbfgs`);
``optimality`` reports the largest component of the (projected) gradient at the end.
"""

from dataclasses import dataclass

import numpy as np

from ._active_set import exact_solution
from ._dual_active_set import dual_exact_solution, dual_finish_applies
from ._gram import gram_minimiser, gram_solves
from ._kink_walk import walk_to_minimiser
from ._lbfgs import lbfgs, projected_gradient_norm
from ._newton import newton, newton_applies
from ._newton_cg import newton_cg, newton_cg_applies
from ._objective import FlatObjective
from ._prox_newton import prox_newton, prox_newton_applies
from ._state import SGDState
from ._stored_columns import on_stored_columns, stored_columns, write_back
from ._threads import one_blas_thread

FTOL_SHARE = 1e-6
"""Relative decrease of the objective per iteration, per unit of ``tol``, that ends L-BFGS."""
GTOL_SHARE = 1e-3
"""Largest normalised gradient component, per unit of ``tol``, that ends L-BFGS."""
DECREMENT_SHARE = 1e-2
"""Half the Newton decrement (the estimated relative excess), per unit of ``tol``, that ends
Newton's method."""
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
WALK_BELOW_TOL = 0.1
"""The exact walk from kink to kink is tried below this ``tol``; a looser one is met by the
first smoothing stages in fewer iterations (tol=0.1: iris hinge 18 against the walk's 22,
diabetes quantile 0.9 16 against 70), and ``n_iter_`` then follows ``tol``."""


@dataclass
class FullBatchResult:
    """What the full-batch phase reports: L-BFGS iterations run over all stages,
    the final largest normalised (projected) gradient component, the relative gap of
    the smoothing (0 for a differentiable loss), whether every criterion was met, and
    the objective of the result."""

    n_iter: int
    optimality: float
    smoothing_gap: float
    converged: bool
    objective: float


def _minimise(objective, loss, x, bounds, tol, max_iter, stand_in=False):
    """Newton steps where they apply (:mod:`~sklosses._engine._newton`; ``stand_in`` as
    there), else L-BFGS-B. With no iteration left of the budget, none is taken (L-BFGS-B
    would take one) and ``x`` is reported as it stands."""
    if max_iter < 1:
        return x, 0, projected_gradient_norm(x, objective(x, loss)[1], bounds), False
    n_outputs = objective.state.coef.shape[1]
    if newton_applies(loss, objective.penalty, objective.X, n_outputs):
        return newton(objective, loss, x, DECREMENT_SHARE * tol, max_iter, stand_in)
    if objective.l1 and not objective.split:  # built for proximal steps (_minimise_full_batch)
        return prox_newton(objective, loss, x, DECREMENT_SHARE * tol, max_iter)
    if newton_cg_applies(objective.X, loss, objective.penalty):
        return newton_cg(objective, loss, x, FTOL_SHARE * tol, GTOL_SHARE * tol, max_iter)
    return lbfgs(
        objective, loss, x, bounds, max_iter,
        FTOL_SHARE * tol, GTOL_SHARE * tol, DECREMENT_SHARE * tol,
    )  # fmt: skip


def minimise_full_batch(
    X, Y, sample_weight, loss, penalty, state, *, fit_intercept, tol, max_iter, groups=None
):
    """Minimise the objective from the iterate of ``state``, which is updated in place.

    Parameters
    ----------
    X, Y, sample_weight
        As for :func:`~sklosses._engine._loop.run_sgd` (weights with mean 1, or None).
    loss : Loss
        A per-sample loss, or a batch-level loss that is a sum over groups
        (``needs_groups``): differentiable, or with a ``smoothed`` stand-in.
    penalty : Penalty
    state : SGDState
        Its iterate ``(coef, intercept)`` is the start and receives the result;
        its ``curvature`` gives the length scale of a non-differentiable loss.
    tol : float
        Sets the stopping criteria (module docstring).
    max_iter : int
        Most iterations in all, over every smoothing stage (the budget ``fit`` leaves
        after its SGD epochs).
    groups : ndarray of shape (n_samples,) or None
        The group of each row, for a loss that ``needs_groups``.

    Returns
    -------
    FullBatchResult
    """
    if gram_solves(state, loss, penalty):
        objective, optimality = gram_minimiser(X, Y, loss, penalty, state, fit_intercept)
        result = FullBatchResult(1, optimality, 0.0, True, objective)
    else:
        with one_blas_thread(X.shape[0] * (X.shape[1] + 1)):
            result = _minimise_full_batch(
                X, Y, sample_weight, loss, penalty, state, fit_intercept=fit_intercept,
                tol=tol, max_iter=max_iter, groups=groups,
            )  # fmt: skip
    state.gram = None  # used: the fitted state does not carry (p + 1)**2 numbers
    return result


def _minimise_full_batch(
    X, Y, sample_weight, loss, penalty, state, *, fit_intercept, tol, max_iter, groups=None
):
    if state.coef.dtype != np.float64:
        # float32 data is read as it is, but the phase works in float64: its line
        # searches and optimality conditions need more than float32's 7 digits
        working = SGDState(
            state.coef.astype(np.float64),
            state.intercept.astype(np.float64),
            state.eta,
            state.preconditioner,
            curvature=state.curvature,
            gram=state.gram,
        )
        result = _minimise_full_batch(
            X,
            Y,
            sample_weight,
            loss,
            penalty,
            working,
            fit_intercept=fit_intercept,
            tol=tol,
            max_iter=max_iter,
            groups=groups,
        )
        state.coef[...], state.intercept[...] = working.coef, working.intercept
        return result
    columns = stored_columns(X)
    if columns is not None:
        X_stored, working = on_stored_columns(X, state, columns)
        result = _minimise_full_batch(
            X_stored, Y, sample_weight, loss, penalty, working,
            fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, groups=groups,
        )  # fmt: skip
        write_back(state, working, columns, penalty)
        return result
    # a non-differentiable loss is solved through its stand-ins (_continuation)
    solved_by = loss if loss.differentiable else loss.smoothed(FIRST_WIDTH / state.curvature)
    proximal = prox_newton_applies(solved_by, penalty, X, state.coef.shape[1])
    objective = FlatObjective(
        X, Y, sample_weight, penalty, state, fit_intercept, groups, split_l1=not proximal
    )
    x, bounds = objective.start()
    # Newton's Hessians take the objective's scalar units; L-BFGS gains from per-coefficient ones
    quasi_newton = not (proximal or newton_applies(solved_by, penalty, X, state.coef.shape[1]))
    objective.normalise(objective.value(x, loss), state.curvature, by_coefficient=quasi_newton)
    x, bounds = objective.start()
    if loss.differentiable:
        x, n_iter, optimality, converged = _minimise(objective, loss, x, bounds, tol, max_iter)
        return FullBatchResult(n_iter, optimality, 0.0, converged, objective.value(x, loss))
    return _continuation(objective, loss, x, bounds, state.curvature, tol, max_iter)


def _continuation(objective, loss, x, bounds, curvature, tol, max_iter):
    """Minimise Moreau envelopes of ``loss`` of tenfold shrinking width, warm started,
    until the envelope at the solution is within ``SMOOTHING_SHARE * tol`` of the loss,
    or until the samples at the kinks of the envelope's solution give the exact minimiser
    of every output: on few features (:func:`sklosses._active_set.exact_solution`) an
    output solved exactly is left alone by Newton in the later stages; on many
    (:func:`sklosses._dual_active_set.dual_exact_solution`, up to ``DUAL_ATTEMPTS`` tries)
    every output is solved again, the later stages' solvers moving all. On small data, a walk
    from kink to kink (:func:`sklosses._kink_walk.walk_to_minimiser`) is tried first.
    The walk's steps and the stages share the ``max_iter`` iterations."""
    width, total_iter = FIRST_WIDTH / curvature, 0
    n_outputs = objective.Y.shape[1] if loss.scope == "element" else 1
    exact_applies = newton_applies(loss.smoothed(width), objective.penalty, objective.X)
    dual_attempts = DUAL_ATTEMPTS if dual_finish_applies(objective, loss.smoothed(width)) else 0
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
            x, n_iter, _, _ = _minimise(
                objective, envelope, x, bounds, ROUGH_TOL, rough_iter, stand_in=True
            )
            total_iter += n_iter
            x = solve_exactly(envelope, x)
            if objective.frozen.all():
                break
        x, n_iter, optimality, converged = _minimise(
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
