"""The solver of a differentiable objective in the full-batch phase
(:mod:`~sklosses._engine._full_batch`), its stopping shares of ``tol``, and what the
phase reports."""

from dataclasses import dataclass

from ._lbfgs import lbfgs, projected_gradient_norm
from ._newton import newton, newton_applies
from ._newton_cg import newton_cg, newton_cg_applies
from ._prox_newton import prox_newton

FTOL_SHARE = 1e-6
"""Relative decrease of the objective per iteration, per unit of ``tol``, that ends L-BFGS."""
GTOL_SHARE = 1e-3
"""Largest normalised gradient component, per unit of ``tol``, that ends L-BFGS."""
DECREMENT_SHARE = 1e-2
"""Half the Newton decrement (the estimated relative excess), per unit of ``tol``, that ends
Newton's method."""


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


def minimise(objective, loss, x, bounds, tol, max_iter, stand_in=False):
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
    if newton_cg_applies(objective.X, loss, objective.penalty, n_outputs):
        return newton_cg(objective, loss, x, FTOL_SHARE * tol, GTOL_SHARE * tol, max_iter)
    return lbfgs(
        objective, loss, x, bounds, max_iter,
        FTOL_SHARE * tol, GTOL_SHARE * tol, DECREMENT_SHARE * tol,
    )  # fmt: skip
