"""The engine's door: train a linear model on data in memory, from scratch or from a state.

A run starts from the best constant model (:mod:`~sklosses._engine._start`),
resolves ``alpha="auto"``, runs mini-batch SGD epochs (:mod:`~sklosses._engine._loop`)
and, for ``fit`` with ``solver="auto"``, finishes with the full-batch phase
(:mod:`~sklosses._engine._full_batch`), which ends at the minimiser of the objective
within ``tol``. ``partial_fit`` runs one SGD epoch from the previous state.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._full_batch import minimise_full_batch
from ._guard import (
    MAX_ITER_MESSAGE,
    checked_model,
    warn_if_max_iter_reached,
    warn_if_step_shortened,
    warn_zero_model_minimises,
    zero_model_minimises,
)
from ._loop import run_sgd
from ._newton import newton_applies
from ._newton_cg import newton_cg_applies
from ._objective import objective_of_model
from ._prox_newton import prox_newton_applies
from ._sparse_average import sparse_average
from ._start import adapt_to_chunk, initial_state
from ._state import SGDState
from ._threads import one_blas_thread

SGD_ABOVE_ROWS = 10_000
SGD_FROM_FEATURES = 32
SGD_EPOCHS_BEFORE = 3
"""Epochs of SGD before the full-batch phase, on more than ``SGD_ABOVE_ROWS`` rows of at
least ``SGD_FROM_FEATURES`` columns, unless the phase solves a ``quadratic`` loss by Newton's
method or a differentiable loss by truncated Newton on CSR input. On fewer rows an epoch (a
hundred steps in Python) costs more than the full-batch iterations it saves, on few columns a
Newton step is cheap, on a quadratic loss one Newton step from anywhere is the minimiser
(measured in ``benchmarks/time_to_optimum.py``), and truncated Newton from the start needs no
more steps than from the epochs' end (20,000 x 2**20 CSR, logistic: 5 either way, 0.9 s
without the epochs, 1.3-1.6 s with them)."""
FULL_BATCH_MIN_ITER = 3
"""The fewest iterations ``max_iter`` must leave the full-batch phase for ``fit`` to run it;
a smaller ``max_iter`` is spent on SGD epochs, as in scikit-learn. One or two passes of
averaged SGD end nearer the minimum than as many full-batch iterations (on 3 of 4 data sets
at one pass, the first iterations of a quasi-Newton method being little more than gradient
steps); from three on the full-batch phase is ahead."""


@dataclass
class Training:
    """What a training run returns: the state to continue from, the model to predict
    with, the passes over the data (``n_iter``: SGD epochs plus full-batch iterations, at
    most ``max_iter`` in a ``fit``), and, for ``fit``, the
    objective of the model, the optimality measure of the full-batch phase (None
    without it) and its iterations."""

    state: SGDState
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    objective: float | None = None
    optimality: float | None = None
    n_full_batch_iter: int = 0


def sgd_epochs_before(X, loss, config, n_outputs):
    """How many SGD epochs ``fit`` runs before its full-batch phase on ``X``."""
    (n_samples, n_features), penalty = X.shape, config.penalty_of(1.0)
    # the L1 part, which picks proximal Newton over Newton, is there for any alpha > 0
    newton_step = newton_applies(loss, penalty, X) or prox_newton_applies(loss, penalty, X)
    one_newton_step = loss.quadratic and newton_step
    truncated_newton = loss.differentiable and newton_cg_applies(X, loss, penalty, n_outputs)
    if n_samples <= SGD_ABOVE_ROWS or n_features < SGD_FROM_FEATURES:
        return 0
    return 0 if one_newton_step or truncated_newton else SGD_EPOCHS_BEFORE


def _normalised_weight(sample_weight, n_samples):
    """Sample weights scaled to mean 1 (the engine's convention), or None."""
    if sample_weight is None:
        return None
    total = sample_weight.sum()
    if not total > 0:
        raise ValueError("sample_weight sums to zero: there is nothing to train on.")
    return sample_weight * (n_samples / total)


def train(
    X,
    Y,
    sample_weight,
    loss,
    config,
    *,
    rng,
    previous=None,
    partial=False,
    validation_score=None,
    groups=None,
    start_model=None,
    on_epoch=None,
    warm_model=None,
):
    """Train on ``(X, Y)``; the engine's only entry point.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the loss's encoding (regression values, 0/1 indicators or class
        probabilities), in the dtype of ``X``.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights (scaled here to mean 1); rows of weight 0 do not count.
    loss : Loss
    config : TrainingConfig
    rng : numpy.random.Generator
    previous : SGDState or None
        The state of the previous run: ``partial_fit`` continues it; ``fit`` starts
        from its model (warm start). None starts from the best constant model.
    partial : bool
        One epoch of SGD, no full-batch phase (``partial_fit``).
    validation_score : callable ``(coef, intercept) -> float`` or None
        Early stopping: stop on this score (higher is better) instead of the
        training objective; no full-batch phase.
    groups : ndarray of shape (n_samples,) or None
        The group (query) of each row, in any order, for a loss that
        ``needs_groups``: every mini-batch then holds whole groups
        (:class:`~sklosses._engine._batching.GroupBatchPlan`). None: one group.
    start_model : tuple ``(coef, intercept)`` or None
        The model a fresh run starts from instead of zero coefficients and the best
        constant, ``coef`` of shape ``(n_features, n_outputs)``: ``n_outputs`` may
        differ from ``Y``'s columns (a metric loss embeds rows in ``n_outputs``
        dimensions from one column of labels). Ignored when continuing ``previous``.
    on_epoch : callable ``(epoch, model) -> None`` or None
        Progress reports: called after each SGD epoch with its number (``partial_fit``
        calls go on counting) and ``model``, a callable returning the current
        ``(coef, intercept)`` (the average once averaging started), computed only if
        called. The full-batch phase is not reported: it ends with the returned model.
    warm_model : tuple ``(coef, intercept)`` or None
        A model ``fit`` starts from as from ``previous``'s, in its place (scikit-learn's
        ``coef_init``): the run is set up as a fresh one, then its iterate set to it.

    Returns
    -------
    Training

    Raises
    ------
    DivergenceError
        When training blows up with a step the user chose, or ends worse than the
        constant model it started from with such a step.
    """
    sample_weight = _normalised_weight(sample_weight, X.shape[0])
    batch_size = config.rows_per_batch(X.shape[0])
    degenerate = not partial and zero_model_minimises(loss)
    if degenerate and config.learning_rate == "auto":
        warn_zero_model_minimises(loss)
    full_batch = (
        not partial
        and validation_score is None
        and config.solver == "auto"
        and config.learning_rate == "auto"
        and config.tol is not None
        and config.max_iter >= FULL_BATCH_MIN_ITER
        and (loss.scope != "batch" or loss.needs_groups)
    )
    # a loss without a fixed objective has no full-batch phase: SGD from its surrogate's
    surrogate = None if (loss.fixed_objective or not full_batch) else loss.surrogate()
    full_batch = full_batch and loss.fixed_objective
    max_epochs = 1 if partial else None
    if full_batch:
        # max_iter counts the epochs and the full-batch iterations together
        max_epochs = min(
            sgd_epochs_before(X, loss, config, Y.shape[1]), config.max_iter - FULL_BATCH_MIN_ITER
        )
    if partial and previous is not None:
        state = previous
        if config.learning_rate == "auto":
            adapt_to_chunk(X, sample_weight, config, state, batch_size, rng)
    else:
        state = initial_state(
            X,
            Y,
            sample_weight,
            loss,
            config,
            batch_size,
            rng,
            groups,
            start_model,
            takes_steps=max_epochs != 0,
        )
        if warm_model is None and previous is not None:
            warm_model = previous.model()
        if warm_model is not None:
            state.start_from(*warm_model)
            # the divergence checks hold training to a warm start worse than the constant
            warm_objective = objective_of_model(
                X, Y, sample_weight, loss, config.penalty_of(state.alpha), warm_model,
                batch_size=batch_size, groups=groups,
            )  # fmt: skip
            state.start_objective = max(state.start_objective, warm_objective)
    penalty = config.penalty_of(state.alpha)
    if surrogate is not None and warm_model is None and previous is None:
        _full_batch(X, Y, sample_weight, surrogate, penalty, config, state, groups, config.max_iter)
    first_step = state.eta
    # scipy's sparse products use no BLAS, only the steps' small dense updates do
    batch_entries = 0 if sp.issparse(X) else batch_size * X.shape[1]
    n_epochs = 0
    if max_epochs != 0:  # straight to the full-batch phase: no thread settings to pay for
        with one_blas_thread(batch_entries):
            n_epochs = run_sgd(
                X, Y, sample_weight, loss, penalty, config.schedule(), config.stopping(), state,
                batch_size=batch_size, fit_intercept=config.fit_intercept, shuffle=config.shuffle,
                rng=rng, average_start=config.average_start(X.shape[0]), max_epochs=max_epochs,
                validation_score=validation_score, verbose=config.verbose, groups=groups,
                on_epoch=on_epoch,
            )  # fmt: skip
    warn_if_step_shortened(first_step, state, config)
    if full_batch:
        return _finish_with_full_batch(
            X, Y, sample_weight, loss, penalty, config, state, n_epochs, groups
        )
    model = state.model()
    if penalty.l1 and state.n_averaged:
        model = sparse_average(
            X,
            Y,
            sample_weight,
            loss,
            penalty,
            state,
            batch_size=batch_size,
            fit_intercept=config.fit_intercept,
            groups=groups,
        )
    if partial:
        return Training(state, *model, n_epochs)
    objective = objective_of_model(
        X, Y, sample_weight, loss, penalty, model, batch_size=batch_size, groups=groups
    )
    model, objective = checked_model(model, objective, state, config, minimiser_is_start=degenerate)
    warn_if_max_iter_reached(n_epochs, config)
    return Training(state, *model, n_epochs, objective=objective)


def _full_batch(X, Y, sample_weight, loss, penalty, config, state, groups, max_iter):
    """:func:`minimise_full_batch` with the settings of ``config``, in ``max_iter``
    iterations."""
    return minimise_full_batch(
        X, Y, sample_weight, loss, penalty, state, fit_intercept=config.fit_intercept,
        tol=config.tol, max_iter=max_iter, groups=groups,
    )  # fmt: skip


def _finish_with_full_batch(X, Y, sample_weight, loss, penalty, config, state, n_epochs, groups):
    """The full-batch phase from the averaged SGD iterate, to the optimum within ``tol``,
    in the iterations the epochs left of ``max_iter``."""
    state.adopt_average()
    budget = config.max_iter - n_epochs
    result = _full_batch(X, Y, sample_weight, loss, penalty, config, state, groups, budget)
    if config.verbose:
        print(
            f"-- Full batch: {result.n_iter} iterations, objective "
            f"{result.objective:.8g}, optimality {result.optimality:.3g}",
            flush=True,
        )
    state.loss_curve.append(result.objective)
    if not result.converged:
        warnings.warn(
            f"{MAX_ITER_MESSAGE} The full-batch phase stopped before reaching tol={config.tol} "
            f"(optimality {result.optimality:.3g}, smoothing gap "
            f"{result.smoothing_gap:.3g} after {result.n_iter} iterations); increase "
            "max_iter, or scale the features if they span many orders of magnitude.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return Training(
        state,
        *state.model(),
        n_epochs + result.n_iter,
        objective=result.objective,
        optimality=result.optimality,
        n_full_batch_iter=result.n_iter,
    )
