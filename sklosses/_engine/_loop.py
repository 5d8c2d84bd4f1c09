"""The step loop: mini-batch proximal SGD epochs and the stopping rule.

The engine minimises, over ``coef`` (``n_features x n_outputs``) and
``intercept`` (``n_outputs``)::

    sum_i s_i loss(y_i, x_i @ coef + intercept) / sum_i s_i + alpha R(coef)

with ``R`` from :class:`~sklosses._engine._penalty.Penalty`. Each step takes one
mini-batch (:mod:`~sklosses._engine._batching`) and a proximal gradient step in
the preconditioned parameters of the state; with ``learning_rate="auto"`` the
step size comes from the loss's smoothness and the data
(:mod:`~sklosses._engine._step_size`), else from the schedule
(:class:`~sklosses._engine._config.Schedule`). An epoch whose values blow up is retried
with a ten times shorter step when the step is not the user's (the automatic one,
``"optimal"``'s first step), else raises :class:`DivergenceError`.
"""

import time
from dataclasses import dataclass

import numpy as np

from ._batching import (
    batch_gradients,
    batch_plan,
    dense_predictor,
    gather_buffer,
    parameter_gradient,
)
from ._penalty import penalty_share
from ._sparse_steps import SparseSteps, takes_sparse_steps


@dataclass
class Stopping:
    """When to stop: ``max_iter`` epochs, or ``n_iter_no_change`` epochs in a row
    whose score does not beat the best by ``tol * max(1, |best|)``: absolute
    like scikit-learn's for scores below 1 in magnitude, relative for larger
    ones (a target in the thousands would otherwise never stop).
    ``tol=None`` disables it. The score is minus the training objective, or a
    validation score. :meth:`stalled` records one epoch's score."""

    max_iter: int = 1000
    tol: float | None = 1e-3
    n_iter_no_change: int = 5
    best_score: float = -np.inf
    epochs_without_improvement: int = 0

    def stalled(self, score):
        """Record ``score``; whether ``n_iter_no_change`` epochs in a row failed to
        improve (the count then restarts, for schedules that shrink the step and go on)."""
        if self.tol is None:
            return False
        if self.best_score == -np.inf or (
            score >= self.best_score + self.tol * max(1.0, abs(self.best_score))
        ):
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        self.best_score = max(self.best_score, score)
        if self.epochs_without_improvement < self.n_iter_no_change:
            return False
        self.epochs_without_improvement = 0
        return True


def proximal_step(state, penalty, coef_gradient, intercept_gradient, step_size, fit_intercept):
    """``u <- prox(u - step_size * coef_gradient)``, ``c <- c - step_size * ...``.

    The gradient step comes first: shrinking first, ``prox(u) - step_size * gradient``,
    has its fixed point at the weaker penalty ``l2 / (1 + step_size * l2)``."""
    inverse_scale = state.preconditioner.inverse_scale.astype(state.coef.dtype, copy=False)
    state.coef -= step_size * coef_gradient
    penalty.shrink(state.coef, step_size, inverse_scale)
    penalty.proximal(state.coef, step_size, inverse_scale)
    if fit_intercept:
        state.intercept -= step_size * intercept_gradient


class DenseSteps:
    """Steps on the whole iterate of ``state`` (dense input, or any preconditioner): the
    steps' protocol of :func:`run_epoch` (:class:`~sklosses._engine._sparse_steps.SparseSteps`
    is the other)."""

    def __init__(self, X, plan, state, penalty):
        self.state, self.penalty = state, penalty
        self.predict = dense_predictor(X, state, plan, gather_buffer(X, plan))

    def step(self, X_batch, gradient, step_size, batch_size, fit_intercept):
        coef_gradient, intercept_gradient = parameter_gradient(
            X_batch, gradient, self.state.preconditioner
        )
        proximal_step(
            self.state,
            self.penalty,
            coef_gradient / batch_size,
            intercept_gradient / batch_size,
            step_size,
            fit_intercept,
        )

    def update_average(self):
        self.state.update_average()

    def finish(self):
        pass


def run_epoch(
    X,
    Y,
    sample_weight,
    loss,
    penalty,
    schedule,
    state,
    *,
    plan,
    fit_intercept,
    shuffle,
    rng,
    average_start,
    constant_step,
):
    """One pass over the data; returns the weighted mean objective seen on the way.

    For one-vs-rest outputs the objective is the mean of the per-class
    objectives (loss and penalty), for a coupled multiclass loss the loss plus
    the penalty of the whole coefficient matrix.

    ``sample_weight`` must be scaled to mean 1 (or be None). Each step uses
    the gradient summed over its batch divided by the nominal batch size, so
    the shorter tail batch is not over-weighted. Averaging is on for steps
    taken once ``state.t`` reaches ``average_start`` (None: off). ``constant_step``
    tells whether the automatic step stays constant (else it decays).
    CSR input takes :class:`~sklosses._engine._sparse_steps.SparseSteps`, whose cost
    follows the nonzeros of each batch.
    """
    weighted_loss_sum = 0.0
    share = penalty_share(loss, Y.shape[1])
    steps_kind = SparseSteps if takes_sparse_steps(X, state.preconditioner) else DenseSteps
    steps = steps_kind(X, plan, state, penalty)
    batches = batch_gradients(
        X, Y, sample_weight, loss, state, plan, plan.order(shuffle, rng), None, steps.predict
    )
    for X_batch, gradient, batch_loss in batches:
        weighted_loss_sum += float(batch_loss.sum())
        step_size = schedule.step_size(state, constant_step)
        steps.step(X_batch, gradient, step_size, plan.batch_size, fit_intercept)
        state.t += gradient.size // gradient.shape[-1]
        if average_start is not None and state.t >= average_start:
            steps.update_average()
    steps.finish()
    coef, _ = state.preconditioner.coefficients(state.coef, state.intercept)
    return weighted_loss_sum / X.shape[0] + share * penalty.value(coef)


class DivergenceError(ValueError):
    """Training produced non-finite values."""


def _diverged(state, objective, reference_objective, blow_up):
    """Non-finite values, or an objective ``blow_up`` times above the reference (and 1)."""
    if not (
        np.isfinite(objective)
        and np.isfinite(state.coef).all()
        and np.isfinite(state.intercept).all()
    ):
        return True
    return reference_objective is not None and objective > blow_up * max(1.0, reference_objective)


def run_sgd(
    X,
    Y,
    sample_weight,
    loss,
    penalty,
    schedule,
    stopping,
    state,
    *,
    batch_size,
    fit_intercept=True,
    shuffle=True,
    rng,
    average_start=None,
    max_epochs=None,
    validation_score=None,
    verbose=0,
    groups=None,
    on_epoch=None,
):
    """Run epochs until the stopping rule, ``max_epochs`` or ``stopping.max_iter``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the loss's encoding (regression values or 0/1 indicators).
    sample_weight : ndarray of shape (n_samples,) with mean 1, or None
    loss : Loss
    penalty : Penalty
    schedule : Schedule
    stopping : Stopping
    state : SGDState
        Updated in place.
    batch_size : int
    validation_score : callable ``(coef, intercept) -> float`` or None
        Higher is better; used instead of minus the training objective for the
        stopping rule when given.
    max_epochs : int or None
        A hard cap below ``stopping.max_iter`` (``partial_fit`` uses 1).
    on_epoch : callable ``(epoch, model)`` or None
        Called after each epoch with ``state.epochs_seen`` and ``state.model`` (``train``).

    Returns
    -------
    n_epochs : int
        Epochs run.

    Raises
    ------
    DivergenceError
        When an epoch produces non-finite values or an objective ``schedule.blow_up`` times
        that of the starting model (``state.start_objective``; the first
        epoch's when unknown) and above 1. When the schedule
        ``shortens_on_divergence``, the engine first retries the epoch with a step ten
        times smaller, up to ten times.
    """
    reference_objective = state.start_objective
    if reference_objective is None and state.loss_curve:
        reference_objective = state.loss_curve[0]
    plan = batch_plan(X, batch_size, groups)
    # averaged constant-step SGD converges on a quadratic loss only (Bach & Moulines 2013),
    # below 2 / smoothness; else the step decays (log loss, partial_fit in chunks of 10
    # rows: 8.7% above the optimum with a constant step, 0.07% with the decay)
    constant_step = (
        loss.quadratic and loss.smoothness is not None and 2 * state.curvature >= loss.smoothness
    )
    epochs = stopping.max_iter if max_epochs is None else min(max_epochs, stopping.max_iter)
    start_time = time.perf_counter()
    for epoch in range(epochs):
        saved = state.copy_iterate()
        for _ in range(11):
            with np.errstate(all="ignore"):
                objective = run_epoch(
                    X,
                    Y,
                    sample_weight,
                    loss,
                    penalty,
                    schedule,
                    state,
                    plan=plan,
                    fit_intercept=fit_intercept,
                    shuffle=shuffle,
                    rng=rng,
                    average_start=average_start,
                    constant_step=constant_step,
                )
            if not _diverged(state, objective, reference_objective, schedule.blow_up):
                break
            if not schedule.shortens_on_divergence:
                raise DivergenceError(
                    f"Training diverged at epoch {state.epochs_seen + 1}: the coefficients "
                    f"blew up with {schedule.too_long()}"
                )
            state.restore_iterate(saved)
            saved = state.copy_iterate()
            state.eta /= 10
        else:
            raise DivergenceError(
                "Training diverged even with a step size 1e10 times below the first "
                "one. Scale the features (e.g. StandardScaler) and check the targets."
            )
        state.epochs_seen += 1
        state.loss_curve.append(objective)
        score = -objective
        if validation_score is not None:
            score = validation_score(*state.model())
            state.validation_scores.append(score)
        if on_epoch is not None:
            on_epoch(state.epochs_seen, state.model)
        if verbose:
            message = f"-- Epoch {state.epochs_seen}: objective {objective:.6g}"
            if validation_score is not None:
                message += f", validation score {score:.6g}"
            step_size = schedule.step_size(state, constant_step)
            print(
                f"{message}, step size {step_size:.3g}, "
                f"elapsed {time.perf_counter() - start_time:.2f} s",
                flush=True,
            )
        if stopping.stalled(score):
            if schedule.learning_rate == "adaptive" and state.eta > 1e-6:
                state.eta /= 5
            else:
                return epoch + 1
    return epochs
