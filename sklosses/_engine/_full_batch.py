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

* A differentiable loss is minimised directly (the solver's choice is
  :func:`~sklosses._engine._solvers.minimise`).
* A non-differentiable convex loss, and a smooth one flat over almost every residual
  (kinked at the scale of the data), are minimised through their Moreau envelopes with
  continuation (:mod:`~sklosses._engine._continuation`), the former with exact finishes.
* An L1 part of the penalty is handled by proximal Newton steps where Newton's Hessians
  fit (:mod:`~sklosses._engine._prox_newton`), else by splitting ``u = u+ - u-`` with
  ``u+, u- >= 0`` (bounds of L-BFGS-B); either way the zeros of the solution are exact.

The objective is measured in units of its value at the start of the phase and
the parameters in units of the loss's length scale
(:meth:`~sklosses._engine._objective.FlatObjective.normalise`).
Newton stops when half the decrement is below ``DECREMENT_SHARE * tol`` of the
objective; L-BFGS-B runs by ``FTOL_SHARE * tol`` and ``GTOL_SHARE * tol`` until its
estimated excess is below ``DECREMENT_SHARE * tol`` (:mod:`~sklosses._engine._lbfgs`;
the shares are :mod:`~sklosses._engine._solvers`);
``optimality`` reports the largest component of the (projected) gradient at the end.
"""

import numpy as np

from ._continuation import FIRST_WIDTH, continuation, flat_length
from ._gram import gram_minimiser, gram_solves
from ._newton import newton_applies
from ._objective import FlatObjective
from ._prox_newton import prox_newton_applies
from ._solvers import FullBatchResult, minimise
from ._state import SGDState
from ._stored_columns import on_stored_columns, stored_columns, write_back
from ._threads import one_blas_thread


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
    if not loss.differentiable:
        return continuation(objective, loss, x, bounds, state.curvature, tol, max_iter)
    length = flat_length(objective, loss)
    if length is not None:
        return continuation(objective, loss, x, bounds, 1 / length, tol, max_iter)
    x, n_iter, optimality, converged = minimise(objective, loss, x, bounds, tol, max_iter)
    return FullBatchResult(n_iter, optimality, 0.0, converged, objective.value(x, loss))
