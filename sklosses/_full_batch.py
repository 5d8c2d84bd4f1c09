"""The full-batch phase of ``fit``: Newton or quasi-Newton steps on all the data.

Mini-batch SGD reaches the neighbourhood of the minimiser in a few epochs and
then crawls: its steps carry the noise of the batches, and on correlated
features it needs thousands of epochs. ``fit`` therefore finishes on full
passes over the in-memory data, from where SGD stopped, in the engine's
preconditioned coordinates ``(u, c)`` (see
:class:`sklosses._preconditioning.Preconditioner`), where the objective is
well scaled whatever the units of the columns: Newton's method on few features
(:mod:`sklosses._newton`), scipy's L-BFGS-B otherwise. Every pass goes through
the engine's own gradient (:func:`sklosses._sgd.full_gradient`), so the chain
rule of the gradient still lives in one place and any loss of the protocol works.

* A differentiable loss is minimised directly.
* A non-differentiable convex loss is minimised through its Moreau envelope
  (:class:`sklosses._smoothing.MoreauEnvelope`) with continuation: the width
  starts at a tenth of the loss's length scale and shrinks tenfold, warm
  started, until the envelope lies within ``SMOOTHING_SHARE * tol`` of the
  loss at the solution, which bounds the excess of the returned objective; on
  few features, the samples at the kinks give the exact minimiser first
  (:mod:`sklosses._active_set`).
* An L1 part of the penalty is handled by splitting ``u = u+ - u-`` with
  ``u+, u- >= 0`` (bounds of L-BFGS-B), so the zeros of the solution are exact.

The objective is measured in units of its value at the start of the phase and
the parameters in units of the loss's length scale (:meth:`_Objective.normalise`).
Newton stops when half the decrement is below ``DECREMENT_SHARE * tol`` of the
objective; L-BFGS-B when an iteration lowers the normalised objective by less
than ``FTOL_SHARE * tol`` or the largest component of its projected gradient
falls below ``GTOL_SHARE * tol``; ``optimality`` reports that largest component
at the end.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from ._active_set import exact_solution
from ._newton import newton, newton_applies
from ._sgd import SGDState, full_gradient, penalty_share
from ._smoothing import MoreauEnvelope

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
ONE_THREAD_BELOW = 4_000_000
"""Data of fewer entries runs the phase with one BLAS thread: its products are small, and
waking a second thread for each costs more than it saves (and, on a busy machine, a
hundred times more: a 1,797 x 65 Gram matrix took 57 ms on two threads, 0.5 ms on one)."""
CHUNK_ROWS = 65536
"""Rows per chunk of a full pass (bounds the memory of the raw predictions)."""
MAX_SMOOTHING_STAGES = 12


SGD_ABOVE_ROWS = 10_000
SGD_FROM_FEATURES = 32
SGD_EPOCHS_BEFORE = 3
"""Epochs of SGD before the full-batch phase, on more than ``SGD_ABOVE_ROWS`` rows of at
least ``SGD_FROM_FEATURES`` columns. On fewer rows an epoch (a hundred steps in Python)
costs more than the full-batch iterations it saves, and on few columns a Newton step is
cheap: 20,190 x 9 (randhie), squared loss 97 ms with three epochs, 15 ms without; Poisson
135 ms, 29 ms. On 100,000 x 50 they pay: log loss 0.29 s with them, 0.61 s without."""


def sgd_epochs_before(n_samples, n_features):
    """How many SGD epochs ``fit`` runs before its full-batch phase."""
    if n_samples > SGD_ABOVE_ROWS and n_features >= SGD_FROM_FEATURES:
        return SGD_EPOCHS_BEFORE
    return 0


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


class _Objective:
    """The training objective as a function of a flat vector of parameters.

    ``x`` holds ``u`` (``u+`` and ``u-`` with an L1 part of the penalty) and,
    with an intercept, ``c``. The value is the engine's objective (the one
    :func:`sklosses._sgd.run_epoch` reports) divided by ``scale``.
    """

    def __init__(self, X, Y, sample_weight, penalty, state, fit_intercept):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.penalty, self.state, self.fit_intercept = penalty, state, fit_intercept
        self.split = penalty.l1 > 0
        self.n_coef = state.coef.size
        self.inverse_scale = state.preconditioner.inverse_scale[:, None]
        self.scale, self.length = 1.0, 1.0
        # outputs whose exact minimiser is known: Newton leaves them alone
        self.frozen = np.zeros(state.coef.shape[1], dtype=bool)

    def normalise(self, value, curvature):
        """Measure the objective in units of ``value`` and the parameters in units of
        ``sqrt(value / curvature)``: where the Hessian is near ``curvature`` times the
        identity (the preconditioned coordinates), the normalised Hessian is near the
        identity and half the squared norm of the normalised gradient estimates the
        relative excess of the objective."""
        self.scale = max(abs(value), np.finfo(np.float64).tiny)
        self.length = np.sqrt(self.scale / curvature)

    def start(self):
        """The state's iterate as a vector, and the bounds of L-BFGS-B."""
        u = self.state.coef.astype(np.float64).ravel()
        parts = [np.maximum(u, 0), np.maximum(-u, 0)] if self.split else [u]
        if self.fit_intercept:
            parts.append(self.state.intercept.astype(np.float64))
        bounds = None
        if self.split:
            bounds = [(0, None)] * (2 * self.n_coef) + [(None, None)] * (
                len(self.state.intercept) * self.fit_intercept
            )
        return np.concatenate(parts) / self.length, bounds

    def load(self, x):
        """Set the state's iterate to the normalised parameters ``x``."""
        x = x * self.length
        u = x[: self.n_coef]
        if self.split:
            u = u - x[self.n_coef : 2 * self.n_coef]
        self.state.coef[...] = u.reshape(self.state.coef.shape)
        if self.fit_intercept:
            self.state.intercept[...] = x[-len(self.state.intercept) :]

    def share(self, loss):
        """The penalty's weight, and the loss's per output column (see ``penalty_share``)."""
        return penalty_share(loss, self.Y.shape[1])

    def __call__(self, x, loss):
        """``(value, gradient)`` at ``x`` for ``loss``; ``values`` keeps the value's parts,
        one per column of the loss (per output for an elementwise loss)."""
        self.load(x)
        n_samples = self.Y.shape[0]
        share = self.share(loss)
        loss_sums, coef_gradient, intercept_gradient = full_gradient(
            self.X, self.Y, self.sample_weight, loss, self.state, batch_size=CHUNK_ROWS
        )
        u = self.state.coef.astype(np.float64)
        coef = u * self.inverse_scale
        penalties = 0.5 * self.penalty.l2 * np.einsum(
            "ij,ij->j", coef, coef
        ) + self.penalty.l1 * np.abs(coef).sum(axis=0)
        if len(loss_sums) < len(penalties):  # a coupled loss: one value for all outputs
            penalties = penalties.sum(keepdims=True)
        self.values = (loss_sums / n_samples + share * penalties) / self.scale
        value = float(self.values.sum()) * self.scale
        # the loss sum is averaged over one-vs-rest columns (share = 1 / columns), and so
        # are its gradients; a coupled loss has one column (share = 1)
        coef_gradient = coef_gradient * (share / n_samples)
        coef_gradient += share * self.penalty.l2 * coef * self.inverse_scale
        parts = [coef_gradient.ravel()]
        if self.split:
            l1_gradient = (
                share * self.penalty.l1 * np.broadcast_to(self.inverse_scale, u.shape)
            ).ravel()
            parts = [parts[0] + l1_gradient, -parts[0] + l1_gradient]
        if self.fit_intercept:
            parts.append(intercept_gradient * (share / n_samples))
        return value / self.scale, np.concatenate(parts) * (self.length / self.scale)

    def value(self, x, loss):
        return self(x, loss)[0] * self.scale


def _projected_gradient_norm(x, gradient, bounds):
    """Largest component of the gradient projected on the bounds (L-BFGS-B's measure)."""
    if bounds is None:
        return float(np.max(np.abs(gradient), initial=0.0))
    lower = np.array([low if low is not None else -np.inf for low, _ in bounds])
    projected = np.where((x <= lower) & (gradient > 0), 0.0, gradient)
    return float(np.max(np.abs(projected), initial=0.0))


def _minimise(objective, loss, x, bounds, tol, max_iter):
    """Newton steps where they apply (:mod:`sklosses._newton`), else L-BFGS-B."""
    if newton_applies(loss, objective.penalty, objective.X.shape[1]):
        return newton(objective, loss, x, DECREMENT_SHARE * tol, max_iter)
    return _lbfgs(objective, loss, x, bounds, tol, max_iter)


def _lbfgs(objective, loss, x, bounds, tol, max_iter):
    result = minimize(
        objective,
        x,
        args=(loss,),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={
            "maxiter": max_iter,
            "maxcor": 20,
            "ftol": FTOL_SHARE * tol,
            "gtol": GTOL_SHARE * tol,
        },
    )
    optimality = _projected_gradient_norm(result.x, result.jac, bounds)
    # status 2 (no further decrease in the line search) happens at the floor of the
    # arithmetic, which is converged for our purposes
    return result.x, result.nit, optimality, result.status != 1


def minimise_full_batch(X, Y, sample_weight, loss, penalty, state, *, fit_intercept, tol, max_iter):
    """Minimise the objective from the iterate of ``state``, which is updated in place.

    Parameters
    ----------
    X, Y, sample_weight
        As for :func:`sklosses._sgd.run_sgd` (weights with mean 1, or None).
    loss : Loss
        A per-sample loss: differentiable, or convex with a ``proximal``.
    penalty : Penalty
    state : SGDState
        Its iterate ``(coef, intercept)`` is the start and receives the result;
        its ``curvature`` gives the length scale of a non-differentiable loss.
    tol : float
        Sets the stopping criteria (module docstring).
    max_iter : int
        Most iterations per smoothing stage.

    Returns
    -------
    FullBatchResult
    """
    if X.shape[0] * (X.shape[1] + 1) <= ONE_THREAD_BELOW:
        with threadpool_limits(limits=1, user_api="blas"):
            return _minimise_full_batch(
                X,
                Y,
                sample_weight,
                loss,
                penalty,
                state,
                fit_intercept=fit_intercept,
                tol=tol,
                max_iter=max_iter,
            )
    return _minimise_full_batch(
        X,
        Y,
        sample_weight,
        loss,
        penalty,
        state,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
    )


def _minimise_full_batch(
    X, Y, sample_weight, loss, penalty, state, *, fit_intercept, tol, max_iter
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
        )
        state.coef[...], state.intercept[...] = working.coef, working.intercept
        return result
    objective = _Objective(X, Y, sample_weight, penalty, state, fit_intercept)
    x, bounds = objective.start()
    objective.normalise(objective.value(x, loss), state.curvature)
    x, bounds = objective.start()
    if loss.differentiable:
        x, n_iter, optimality, converged = _minimise(objective, loss, x, bounds, tol, max_iter)
        return FullBatchResult(n_iter, optimality, 0.0, converged, objective.value(x, loss))
    return _continuation(objective, loss, x, bounds, state.curvature, tol, max_iter)


def _continuation(objective, loss, x, bounds, curvature, tol, max_iter):
    """Minimise Moreau envelopes of ``loss`` of tenfold shrinking width, warm started,
    until the envelope at the solution is within ``SMOOTHING_SHARE * tol`` of the loss,
    or until, on few features, the samples at the kinks of the envelope's solution give
    the exact minimiser of every output (:func:`sklosses._active_set.exact_solution`);
    an output solved exactly is left alone by the later stages."""
    width, total_iter = 0.1 / curvature, 0
    n_outputs = objective.Y.shape[1] if loss.elementwise else 1
    exact_applies = newton_applies(
        MoreauEnvelope(loss, width), objective.penalty, objective.X.shape[1]
    )

    def solve_exactly(envelope):
        for output in np.flatnonzero(~objective.frozen):
            objective.frozen[output] = exact_solution(objective, envelope, output)
        return objective.start()[0]

    for _ in range(MAX_SMOOTHING_STAGES):
        envelope = MoreauEnvelope(loss, width)
        if exact_applies:
            # the partition is right long before the envelope is solved to tol
            x, n_iter, _, _ = _minimise(objective, envelope, x, bounds, ROUGH_TOL, max_iter)
            total_iter += n_iter
            x = solve_exactly(envelope)
            if objective.frozen.all():
                break
        x, n_iter, optimality, converged = _minimise(objective, envelope, x, bounds, tol, max_iter)
        total_iter += n_iter
        if exact_applies:
            x = solve_exactly(envelope)
        exact = objective.value(x, loss)
        exact_parts = objective.values.copy()
        objective.value(x, envelope)
        unsolved = ~objective.frozen if exact_applies else np.ones(n_outputs, dtype=bool)
        gap = float((exact_parts - objective.values)[unsolved].sum()) / max(
            float(exact_parts.sum()), np.finfo(np.float64).tiny
        )
        if gap <= SMOOTHING_SHARE * tol:
            break
        width /= 10
    if exact_applies and objective.frozen.all():
        optimality, gap, converged = 0.0, 0.0, True
        exact = objective.value(x, loss)
    objective.frozen[...] = False  # the last evaluation above left the state at x
    return FullBatchResult(
        total_iter, optimality, gap, converged and gap <= SMOOTHING_SHARE * tol, exact
    )
