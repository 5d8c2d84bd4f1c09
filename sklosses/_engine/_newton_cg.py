"""Truncated Newton (Newton-CG) for the full-batch phase on CSR input.

On wide sparse data L-BFGS-B's own work per iteration, several passes over
``maxcor x n_features`` numbers, outweighs a pass over the nonzeros (2,000 x 1e6: about
0.1 s against a few ms), and a kinked loss's smoothed stand-ins, sharply curved in their
bends, need hundreds of its iterations. Newton-CG (as liblinear's trust-region Newton
and scikit-learn's ``newton-cg`` solver) takes a few Newton steps instead, each solving
``H d = -g`` approximately by conjugate gradients, with ``H`` applied as products
(:class:`HessianProduct`: two sparse products per conjugate-gradient step, no matrix
formed), and a backtracking line search on the raw predictions
(:meth:`~sklosses._engine._objective.FlatObjective.line`: one product with ``X``).
It applies to the losses that give a ``hessian`` per output, or a ``coupled_hessian`` per
row (softmax) of at most ``MAX_COUPLED_ENTRIES`` entries in all, without an L1 part in the
penalty (whose split parameters need L-BFGS-B's bounds).
"""

import numpy as np
import scipy.sparse as sp

from ._batching import _chain_rule, _transposed_product
from ._hessian import weighted_coupled_curvature, weighted_curvature

ARMIJO = 1e-4
"""Sufficient decrease of a line search step, as a share of the decrease the slope predicts."""
MAX_CG_STEPS = 100
"""Most conjugate-gradient steps per Newton step (two sparse products each)."""
MAX_HALVINGS = 30
QUADRATIC_FORCING = 1e-3
"""The residual, relative to the gradient, to which a quadratic loss's Newton system is
solved: its Hessian is the same everywhere, so a tight solve is not wasted on a model
that moves (CSR squared loss at defaults: 2-3 Newton steps instead of 6; 100,000 x 20,000
0.22 s -> 0.16-0.17 s; 2,000 x 1e6 0.58-0.93 s against 0.91 s, its conjugate-gradient
steps dominating)."""
DAMPING = 1e-3
"""The smallest damping ``lambda`` of ``(H + lambda I) d = -g``, set after a step that
achieved under a quarter of the decrease the quadratic model predicts (then fourfold per
such step; divided by four after a step that achieved over three quarters)."""


MAX_COUPLED_ENTRIES = 1 << 23
"""Most entries of the rows' coupled Hessians together (64 MB), which a product reads: raw
digits (pixels 0-16) as CSR, multinomial, took L-BFGS-B its 1,000 iterations to end 0.4%
above the optimum, with a warning."""


def newton_cg_applies(X, loss, penalty, n_outputs):
    """Whether the phase takes Newton-CG steps: CSR ``X``, no L1 part in the penalty, and
    a loss with a per-output ``hessian`` (element scope) or a ``coupled_hessian`` whose
    ``n_outputs x n_outputs`` blocks for every row fit ``MAX_COUPLED_ENTRIES``."""
    if not sp.issparse(X) or penalty.l1:
        return False
    if loss.scope == "sample" and loss.coupled_hessian is not None:
        return X.shape[0] * n_outputs**2 <= MAX_COUPLED_ENTRIES
    return loss.scope == "element" and loss.hessian is not None


class HessianProduct:
    """``p -> H p``, the Hessian of the normalised objective at the state's iterate
    (``objective.state``, loaded when built) times ``p``: in the engine's parameters,
    ``share / n * A^T diag(s h) A + share * l2 * inverse_scale**2`` on ``u``, with ``A``
    the preconditioned rows and a column of ones, ``h`` the loss's curvature of each row
    and output (for a coupled loss, each row's block applied to its outputs) and ``s`` the
    sample weights; carried to the normalised units of ``x``,
    plus ``damping`` times the identity.
    Its factors are formed once: a product costs two sparse products and a few passes
    over the parameters."""

    def __init__(self, objective, loss, damping=0.0):
        state, self.objective, self.damping = objective.state, objective, damping
        self.n_outputs, self.n_coef = state.coef.shape[1], objective.n_coef
        self.preconditioner = state.preconditioner
        coupled = loss.scope == "sample"
        self.curvature = (weighted_coupled_curvature if coupled else weighted_curvature)(
            objective, loss
        )
        share, n_samples = objective.share(loss), objective.Y.shape[0]
        self.to_u = objective.length * objective.coordinate.reshape(-1, self.n_outputs)
        self.back = self.to_u * (share / n_samples / objective.scale)
        self.penalty = (share * objective.l2 / objective.scale) * (
            objective.inverse_scale * self.to_u
        ) ** 2
        self.intercept_unit = objective.length
        self.intercept_back = objective.length * share / n_samples / objective.scale

    def __call__(self, p):
        p_coef = p[: self.n_coef].reshape(-1, self.n_outputs)
        intercept = np.zeros(self.n_outputs)
        if self.objective.fit_intercept:
            intercept = p[self.n_coef :] * self.intercept_unit
        coef, intercept = self.preconditioner.coefficients(p_coef * self.to_u, intercept)
        weighted = np.asarray(self.objective.X @ coef) + intercept
        if self.curvature.ndim == 3:  # one block per row
            weighted = np.einsum("ikl,il->ik", self.curvature, weighted)
        else:
            weighted *= self.curvature
        column_sums = weighted.sum(axis=0)
        product = _transposed_product(self.objective.X, weighted)
        coef_part = _chain_rule(product, column_sums, self.preconditioner)
        coef_part *= self.back
        coef_part += self.penalty * p_coef
        parts = [coef_part.ravel()]
        if self.objective.fit_intercept:
            parts.append(column_sums * self.intercept_back)
        return np.concatenate(parts) + self.damping * p


def _conjugate_gradient(product, gradient, forcing=None):
    """An approximate solution of ``H d = -gradient``: conjugate gradients from ``d = 0``
    until the residual is below ``forcing |g|`` (by default ``min(0.5, sqrt(|g|))``, a
    forcing term that makes the Newton steps superlinear), or ``MAX_CG_STEPS``, or a
    direction of no curvature."""
    gradient_norm = np.linalg.norm(gradient)
    if forcing is None:
        forcing = min(0.5, np.sqrt(gradient_norm))
    target = forcing * gradient_norm
    direction, residual = np.zeros_like(gradient), -gradient
    search = residual.copy()
    residual_square = residual @ residual
    for _ in range(MAX_CG_STEPS):
        curved = product(search)
        curvature = search @ curved
        if curvature <= 0:
            break
        step = residual_square / curvature
        direction += step * search
        residual -= step * curved
        new_square = residual @ residual
        if np.sqrt(new_square) <= target:
            break
        search = residual + (new_square / residual_square) * search
        residual_square = new_square
    return direction if direction.any() else -gradient


def newton_cg(objective, loss, x, ftol, gtol, max_iter):
    """Minimise ``objective`` for ``loss`` from ``x`` by truncated Newton steps.

    Stops as :func:`~sklosses._engine._lbfgs.lbfgs` does: when the largest
    component of the normalised gradient is at most ``gtol``, or a step lowers the value
    by at most ``ftol`` of it, or after ``max_iter`` Newton steps.

    Returns
    -------
    x, n_iter, optimality, converged
        As :func:`~sklosses._engine._solvers.minimise`.
    """
    value, gradient, damping = *objective(x, loss), 0.0
    for n_iter in range(max_iter):
        optimality = float(np.max(np.abs(gradient), initial=0.0))
        if optimality <= gtol:
            return x, n_iter, optimality, True
        forcing = QUADRATIC_FORCING if loss.quadratic else None
        direction = _conjugate_gradient(HessianProduct(objective, loss, damping), gradient, forcing)
        slope = float(gradient @ direction)
        values = objective.line(loss, x, direction)
        step = 1.0
        for _ in range(MAX_HALVINGS):
            trial = float(values(np.array([step])).sum())
            if trial <= value + ARMIJO * step * slope:
                break
            step /= 2
        else:  # no decrease along the direction: the floor of the arithmetic
            return x, n_iter, optimality, True
        x = x + step * direction
        previous = value
        value, gradient = objective(x, loss)
        # a smoothed kink's Hessian sees only the rows in its bend, and its step can leap
        # far past the next kink: damping keeps the steps where the quadratic model holds,
        # judged by the decrease achieved against the model's (a trust-region rule)
        achieved = (previous - value) / max(-slope * (step - step * step / 2), np.finfo(float).tiny)
        if achieved < 0.25:
            damping = max(DAMPING, 4 * damping)
        elif achieved > 0.75:
            damping /= 4
        if previous - value <= ftol * max(abs(previous), abs(value), 1.0):
            return x, n_iter + 1, float(np.max(np.abs(gradient), initial=0.0)), True
    return x, max_iter, float(np.max(np.abs(gradient), initial=0.0)), False
