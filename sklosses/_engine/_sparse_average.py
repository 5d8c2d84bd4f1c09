"""The exact-sparsity polish of an L1-penalised SGD average."""

import numpy as np

from ._batching import batch_plan, full_gradient
from ._loop import proximal_step
from ._state import SGDState
from ._step_size import automatic_step_size


def sparse_average(
    X, Y, sample_weight, loss, penalty, state, *, batch_size, fit_intercept, groups=None
):
    """The averaged model made exactly sparse where one full proximal-gradient step says so.

    An average of L1-proximal SGD iterates is not sparse. The minimiser ``w*``
    is the fixed point of ``w -> prox(w - eta grad f(w))``, so one such step
    from the average (which is close to ``w*``), with the full-data gradient
    and the full-batch step ``1 / L`` (:func:`automatic_step_size` with one
    batch of all rows), gives the zeros of ``w*``; the average is returned with
    those coefficients set to zero and the others as they are (so a vanishing L1
    part, ``l1_ratio -> 0``, returns the L2 average). Costs one pass over the
    data. Returns ``(coef, intercept)``.
    """
    # the worst-case curvature where there is one: a single full step must not overshoot
    curvature = state.curvature if loss.smoothness is None else loss.smoothness
    step_size = automatic_step_size(
        X,
        sample_weight,
        curvature,
        penalty,
        X.shape[0],
        state.preconditioner,
        fit_intercept,
        np.random.default_rng(0),
    )
    polished = SGDState(
        state.average_coef.copy(), state.average_intercept.copy(), state.eta, state.preconditioner
    )
    _, coef_gradient, intercept_gradient = full_gradient(
        X, Y, sample_weight, loss, polished, plan=batch_plan(X, batch_size, groups)
    )
    with np.errstate(all="ignore"):
        proximal_step(
            polished,
            penalty,
            (coef_gradient / X.shape[0]).astype(polished.coef.dtype),
            (intercept_gradient / X.shape[0]).astype(polished.coef.dtype),
            step_size,
            fit_intercept,
        )
    coef = np.where(polished.coef == 0, 0, state.average_coef).astype(state.average_coef.dtype)
    return state.preconditioner.coefficients(coef, state.average_intercept.copy())
