"""Start-up: the state training starts from.

Zero coefficients and the best constant intercept (:func:`starting_intercept`), or a
given start model,
the resolved penalty strength, the implicit standardisation
(:mod:`~sklosses._engine._preconditioner`) and the automatic step size
(:mod:`~sklosses._engine._step_size`); for ``partial_fit``, their update on each chunk.
"""

import numpy as np

from ..losses import best_constant
from ._gram import gram_moments, gram_serves, raw_gram
from ._objective import constant_objective, objective_of_model
from ._penalty import penalty_share
from ._preconditioner import Preconditioner, sample_rows
from ._state import SGDState
from ._step_size import (
    automatic_step_size,
    loss_curvature,
    optimal_first_step,
    starting_sample,
)

DEFAULT_ALPHA = 1e-4


def default_alpha(loss, Y, sample_weight, start_objective):
    """The penalty strength of ``alpha="auto"``: ``DEFAULT_ALPHA`` scaled so that the
    penalty weighs as much against every loss as scikit-learn's default weighs against
    the squared loss.

    The squared loss grows with the square of the target's scale, like the L2
    penalty of coefficients in target units; the absolute, pinball, Huber and
    epsilon-insensitive losses grow only linearly, so a fixed ``alpha`` is
    negligible for a target in units and dominant for one in dollars. For a
    regression loss without a link (its raw prediction in target units),
    ``alpha = DEFAULT_ALPHA * L0 / var(y)``, with ``L0`` the mean loss of the starting
    constant (``start_objective``): ``DEFAULT_ALPHA`` for the squared loss (exactly on up
    to 10,000 rows; on more, the start is a sample's mean and ``L0`` exceeds ``var(y)`` by
    its squared offset, ~1e-4 relative: 1.000006e-4 on randhie's 20,190 rows), and the
    same relative weight at any scale of the target for the others.
    Classification losses and losses with a link (Poisson: coefficients on the log
    scale) get ``DEFAULT_ALPHA``.
    """
    if loss.task != "regression" or loss.link is not None:
        return DEFAULT_ALPHA
    if sample_weight is None:  # np.average costs more than these passes over Y
        variance = float(np.square(Y - Y.mean(axis=0)).mean())
    else:
        mean = np.average(Y, axis=0, weights=sample_weight)
        variance = float(np.mean(np.average((Y - mean) ** 2, axis=0, weights=sample_weight)))
    if not (variance > 0 and start_objective > 0):
        return DEFAULT_ALPHA
    return DEFAULT_ALPHA * start_objective / variance


def starting_intercept(Y, sample_weight, loss, n_sample_rows=10000, rng=None, rows=None):
    """The intercept training starts from, from the rows ``rows`` or else up to
    ``n_sample_rows`` random rows: the loss's own choice (``initial_raw_prediction``, e.g.
    the soft Dice loss) or else its best constant (:func:`~sklosses.losses.best_constant`)."""
    if rows is None:
        rows = sample_rows(Y.shape[0], n_sample_rows, rng)
    targets = np.asarray(Y[rows], dtype=np.float64)
    weight = None if sample_weight is None else sample_weight[rows]
    start = loss.initial_raw_prediction(targets, weight)
    if start is None:
        return best_constant(loss, targets, weight)
    return np.asarray(start, dtype=np.float64).reshape(Y.shape[1])


def initial_state(
    X,
    Y,
    sample_weight,
    loss,
    config,
    batch_size,
    rng,
    groups=None,
    start_model=None,
    takes_steps=True,
):
    """Zero coefficients and the best constant intercept, or the model ``start_model``,
    with the resolved penalty strength, the preconditioner and the step size of the
    schedule (None when the run ``takes_steps=False``: a fit that goes straight to the
    full-batch phase needs no step, and estimating it costs more than that phase on a
    small data set).

    ``start_model`` is a ``(coef, intercept)`` of shape ``(n_features, n_outputs)``
    and ``(n_outputs,)``; its number of outputs may differ from ``Y``'s columns (a
    metric loss: labels in one column, embeddings in ``n_outputs``). The loss
    curvature of the step size is then measured at zero raw predictions.
    """
    rows = starting_sample(Y.shape[0], groups, rng=rng)  # one sample for both statistics
    if start_model is None:
        n_outputs = Y.shape[1]
        intercept = np.zeros(n_outputs)
        if config.fit_intercept:
            intercept = starting_intercept(Y, sample_weight, loss, rows=rows)
        start_objective = constant_objective(Y, sample_weight, loss, intercept, groups)
    else:
        start_coef, intercept = (np.asarray(part, dtype=X.dtype) for part in start_model)
        n_outputs = start_coef.shape[1]
        start_objective = objective_of_model(
            X, Y, sample_weight, loss, config.penalty_of(0.0), start_model,
            batch_size=batch_size, groups=groups,
        )  # fmt: skip
    alpha = config.alpha
    if alpha == "auto":
        alpha = default_alpha(loss, Y, sample_weight, start_objective)
    if start_model is not None:
        start_penalty = config.penalty_of(alpha).value(start_coef)
        start_objective += penalty_share(loss, n_outputs) * start_penalty
        intercept = np.zeros(n_outputs)
    eta, preconditioner = config.eta0, Preconditioner.identity(X.shape[1])
    curvature = loss_curvature(loss, Y, sample_weight, intercept, groups=groups, rows=rows)
    gram = None
    if config.learning_rate == "auto":
        if gram_serves(X, sample_weight, loss, n_outputs, takes_steps):
            gram = raw_gram(X)
            moments = gram_moments(gram, X)
            preconditioner = Preconditioner.from_moments(X.shape[0], *moments, config.fit_intercept)
        else:
            preconditioner = Preconditioner.from_data(X, config.fit_intercept, rng)
    if config.learning_rate == "auto" and not takes_steps:
        eta = None
    elif config.learning_rate == "auto":
        eta = automatic_step_size(
            X,
            sample_weight,
            curvature,
            config.penalty_of(alpha),
            batch_size,
            preconditioner,
            config.fit_intercept,
            rng,
        )
    elif config.learning_rate == "optimal":
        eta = optimal_first_step(loss, alpha, Y.shape[1], n_outputs)
    state = SGDState.zeros(X.shape[1], n_outputs, X.dtype, eta, preconditioner)
    state.intercept[...] = intercept
    if start_model is not None:
        state.start_from(*start_model)
    state.curvature = curvature
    state.start_objective = start_objective
    state.start_model = state.model()
    state.alpha = float(alpha)
    state.gram = gram
    return state


def adapt_to_chunk(X, sample_weight, config, state, batch_size, rng):
    """``partial_fit`` under ``"auto"``: merge the chunk into the column statistics and
    size the step for this chunk (a first chunk of a few rows says little about the
    rest of a stream)."""
    state.change_preconditioner(state.preconditioner.updated(X, config.fit_intercept, rng))
    state.eta = automatic_step_size(
        X,
        sample_weight,
        state.curvature,
        config.penalty_of(state.alpha),
        batch_size,
        state.preconditioner,
        config.fit_intercept,
        rng,
    )
