"""L-BFGS-B for the full-batch phase (:mod:`~sklosses._engine._full_batch`) where Newton's
Hessians do not fit.

A run of L-BFGS-B ends by its projected-gradient rule (``gtol``) or its relative-reduction
rule (``ftol``), and neither says how far above the minimum it ended. The relative-reduction
rule also fires when a run stalls far from it (a 3-class elastic net on 2,000 x 200 CSR
rows, alpha=1e-4: 3.5e-4 above it), and the gradient rule alone ends a weakly curved
objective early (a log loss on 1,500 x 1,100 dense rows, alpha=1e-5: 5e-5 above it). So a
run that ends is started again from where it stopped, with a fresh memory, while the last
run lowered the objective by more than ``excess`` of it; after the gradient rule, only while
the estimated excess, half of ``g . H^-1 g`` by conjugate gradients on the Hessian
(:class:`~sklosses._engine._newton_cg.HessianProduct`, for a loss with a per-output
``hessian`` and no bounds), is above ``excess`` of the objective, and with ``gtol`` tenfold
below the gradient reached.
"""

import numpy as np
from scipy.optimize import minimize

from ._newton_cg import HessianProduct, _conjugate_gradient

EXCESS_FORCING = 0.1
"""Relative residual of the conjugate gradients that estimate ``g . H^-1 g``."""


def projected_gradient_norm(x, gradient, bounds):
    """Largest component of the gradient projected on the bounds (L-BFGS-B's measure)."""
    if bounds is None:
        return float(np.max(np.abs(gradient), initial=0.0))
    lower = np.array([low if low is not None else -np.inf for low, _ in bounds])
    projected = np.where((x <= lower) & (gradient > 0), 0.0, gradient)
    return float(np.max(np.abs(projected), initial=0.0))


def lbfgs(objective, loss, x, bounds, max_iter, ftol, gtol, excess):
    """L-BFGS-B on the normalised ``objective`` from ``x`` (module docstring).

    Parameters
    ----------
    objective : FlatObjective
    loss : Loss
    x : ndarray
    bounds : list of (low, high) or None
        The split L1 halves' lower bounds.
    max_iter : int
        Most iterations over all the runs.
    ftol, gtol : float
        L-BFGS-B's relative-reduction and projected-gradient rules (of the first run).
    excess : float
        The largest estimated excess of the objective, relative to it.

    Returns
    -------
    x, n_iter, optimality, converged
        As :func:`~sklosses._engine._solvers.minimise`.
    """
    n_iter, value = 0, objective(x, loss)[0]
    while True:
        result = minimize(
            objective,
            x,
            args=(loss,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={
                "maxiter": max_iter - n_iter,
                "maxcor": 20,
                "ftol": ftol,
                "gtol": gtol,
            },
        )
        x, n_iter, lowered = result.x, n_iter + result.nit, value - result.fun
        optimality = projected_gradient_norm(x, result.jac, bounds)
        value, target = result.fun, excess * abs(result.fun)
        if n_iter >= max_iter or lowered <= target:
            break
        if optimality <= gtol:
            if bounds is not None or loss.scope != "element" or loss.hessian is None:
                break
            objective(x, loss)  # the state at x, where the Hessian is taken
            step = _conjugate_gradient(HessianProduct(objective, loss), result.jac, EXCESS_FORCING)
            if -0.5 * float(result.jac @ step) <= target:
                break
            gtol = optimality / 10
    objective(x, loss)  # the state at x: a run's last evaluation may be elsewhere
    # status 2 (no further decrease in the line search) happens at the floor of the
    # arithmetic, which is converged for our purposes
    return x, n_iter, optimality, result.status != 1
