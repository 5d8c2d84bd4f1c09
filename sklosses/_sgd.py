"""The mini-batch SGD engine: pure functions over arrays, no estimator knowledge.

The engine minimises, over ``coef`` (``n_features x n_outputs``) and
``intercept`` (``n_outputs``)::

    sum_i s_i loss(y_i, x_i @ coef + intercept) / sum_i s_i + alpha R(coef)

with ``R`` from :class:`Penalty`. Each step takes one mini-batch (a strided view
of ``X`` -- see :class:`BatchPlan` -- never a copy of it), computes the per-sample gradients with
``loss.gradient`` and turns them into a coefficient step with one product
``X_batch.T @ gradient`` -- the only place where the chain rule lives.
Every batch spans the whole data in blocks of consecutive rows, so ``X`` is
read in sequential runs; shuffling permutes the order of the batches.

With ``learning_rate="auto"`` the steps are taken in implicitly standardised
coordinates, with a step size derived from the loss's smoothness and the data
(both in :mod:`sklosses._preconditioning`).

Public pieces: :class:`Penalty`, :class:`Schedule`, :class:`Stopping`,
:class:`SGDState`, :func:`run_sgd`, :func:`sparse_average`.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._preconditioning import Preconditioner, automatic_step_size
from .losses import batch_weight

PENALTIES = (None, "l2", "l1", "elasticnet")
LEARNING_RATES = ("auto", "constant", "invscaling", "adaptive")


@dataclass
class Penalty:
    """``alpha R(w)`` with ``R = (1 - r)/2 ||w||^2 + r ||w||_1``.

    ``kind`` None, ``"l2"`` (r = 0), ``"l1"`` (r = 1) or ``"elasticnet"``
    (r = ``l1_ratio``). The L2 part is applied as a shrinkage of the gradient
    step and the L1 part as its proximal operator (soft thresholding), so L1
    gives exact zeros.
    """

    kind: str | None = "l2"
    alpha: float = 1e-4
    l1_ratio: float = 0.15

    @property
    def _l1_fraction(self):
        return {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}[self.kind]

    @property
    def l1(self):
        """Weight of ``||w||_1``."""
        return 0.0 if self.kind is None else self.alpha * self._l1_fraction

    @property
    def l2(self):
        """Weight of ``||w||^2 / 2``."""
        return 0.0 if self.kind is None else self.alpha * (1 - self._l1_fraction)

    def value(self, coef):
        """``alpha R(coef)``."""
        return 0.5 * self.l2 * float(np.vdot(coef, coef)) + self.l1 * float(np.abs(coef).sum())

    def shrink(self, u, step_size, inverse_scale):
        """Proximal step of the L2 part on ``u`` in place."""
        if self.l2:
            u /= 1 + (step_size * self.l2) * inverse_scale[:, None] ** 2

    def proximal(self, u, step_size, inverse_scale):
        """Proximal step of the L1 part (soft thresholding) on ``u`` in place."""
        if self.l1:
            threshold = (step_size * self.l1) * inverse_scale[:, None]
            np.copysign(np.maximum(np.abs(u) - threshold, 0), u, out=u)


@dataclass
class Schedule:
    """Step sizes for the batch-mean gradient.

    * ``"constant"``: ``eta0``.
    * ``"invscaling"``: ``eta0 / t**power_t``, ``t`` the samples seen plus one.
    * ``"adaptive"``: ``eta0``, divided by 5 each time the stopping criterion
      would stop; training ends when it falls below 1e-6.
    * ``"auto"``: ``eta0`` is set by :func:`automatic_step_size` from the
      loss's smoothness; constant for smooth losses, ``eta0 / sqrt(epochs)``
      for non-smooth ones. Meant to be used with averaging.
    """

    learning_rate: str = "auto"
    eta0: float = 0.01
    power_t: float = 0.25

    def step_size(self, state, smooth):
        if self.learning_rate == "invscaling":
            return self.eta0 / state.t**self.power_t
        if self.learning_rate == "auto" and not smooth:
            return state.eta / np.sqrt(1 + state.epochs_seen)
        return state.eta


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


@dataclass
class SGDState:
    """Everything that training carries from one epoch (or ``partial_fit``) to the next.

    ``coef``/``intercept`` are the SGD iterate in the preconditioned
    parameters (:class:`Preconditioner`), ``average_*`` its running average
    over ``n_averaged`` steps, ``t`` the samples seen plus one (as
    scikit-learn's ``t_``), ``eta`` the current base step size and
    ``curvature`` the loss curvature it was derived from, ``start_objective``
    the objective of the model training started from (the divergence guard's
    reference).
    """

    coef: np.ndarray
    intercept: np.ndarray
    eta: float
    preconditioner: Preconditioner
    curvature: float = 1.0
    t: float = 1.0
    epochs_seen: int = 0
    average_coef: np.ndarray | None = None
    average_intercept: np.ndarray | None = None
    n_averaged: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    start_objective: float | None = None

    @classmethod
    def zeros(cls, n_features, n_outputs, dtype, eta, preconditioner):
        return cls(
            np.zeros((n_features, n_outputs), dtype=dtype),
            np.zeros(n_outputs, dtype=dtype),
            eta,
            preconditioner,
        )

    def model(self):
        """``(coef, intercept)`` to predict with: the average once averaging started."""
        if self.n_averaged:
            return self.preconditioner.coefficients(self.average_coef, self.average_intercept)
        return self.preconditioner.coefficients(self.coef, self.intercept)

    def start_from(self, coef, intercept):
        """Set the iterate to the model ``(coef, intercept)`` (warm start)."""
        self.coef[...], self.intercept[...] = self.preconditioner.parameters(coef, intercept)

    def change_preconditioner(self, preconditioner):
        """Re-express the iterate and its average under ``preconditioner``."""
        old = self.preconditioner
        self.preconditioner = preconditioner
        self.start_from(*old.coefficients(self.coef, self.intercept))
        if self.average_coef is not None:
            self.average_coef[...], self.average_intercept[...] = preconditioner.parameters(
                *old.coefficients(self.average_coef, self.average_intercept)
            )

    def adopt_average(self):
        """Make the running average the iterate, and stop averaging."""
        if self.n_averaged:
            self.coef, self.intercept = self.average_coef, self.average_intercept
            self.average_coef = self.average_intercept = None
            self.n_averaged = 0

    def copy_iterate(self):
        return (
            self.coef.copy(),
            self.intercept.copy(),
            None if self.average_coef is None else self.average_coef.copy(),
            None if self.average_intercept is None else self.average_intercept.copy(),
            self.n_averaged,
            self.t,
        )

    def restore_iterate(self, saved):
        (
            self.coef,
            self.intercept,
            self.average_coef,
            self.average_intercept,
            self.n_averaged,
            self.t,
        ) = saved


def mix_states(start, states, weights):
    """One state from ``states`` trained in parallel from ``start`` (parameter mixing).

    Each state ran SGD on its own share of the data from the common ``start``
    (or from scratch when ``start`` is None). In the coordinates of the model
    (``coef``, ``intercept``), whatever each state's preconditioner:

    * iterate: the mean of the iterates, weighted by ``weights`` (the share of
      the data each state saw) -- McDonald et al. (2010), *Distributed
      training strategies for the structured perceptron*;
    * Polyak average: the average over every averaged step of every state.
      State ``k`` averaged ``n_k = N + m_k`` steps into ``A_k``, ``N`` and
      ``A`` those of ``start``, so the average over all steps is
      ``(sum_k n_k A_k - (K - 1) N A) / (sum_k n_k - (K - 1) N)``;
    * ``t``: the samples seen by all states; ``epochs_seen``: one more round;
      ``loss_curve``: the weighted mean of the states' last objectives;
      ``eta``: the smallest; ``curvature``: the weighted mean.

    The mixed state keeps the preconditioner of the state of largest weight
    (any preconditioner represents the same model).
    """
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    main = states[int(np.argmax(weights))]
    models = [state.preconditioner.coefficients(state.coef, state.intercept) for state in states]
    coef = sum(w * model[0] for w, model in zip(weights, models, strict=True))
    intercept = sum(w * model[1] for w, model in zip(weights, models, strict=True))
    mixed = SGDState.zeros(
        *main.coef.shape,
        main.coef.dtype,
        eta=min(state.eta for state in states),
        preconditioner=main.preconditioner,
    )
    mixed.start_from(coef, intercept)
    mixed.curvature = float(np.dot(weights, [state.curvature for state in states]))
    start_t, start_averaged = (1.0, 0) if start is None else (start.t, start.n_averaged)
    mixed.t = start_t + sum(state.t - start_t for state in states)
    mixed.epochs_seen = max(state.epochs_seen for state in states)
    mixed.loss_curve = ([] if start is None else list(start.loss_curve)) + [
        float(np.dot(weights, [state.loss_curve[-1] for state in states]))
    ]
    n_averaged = sum(state.n_averaged for state in states) - (len(states) - 1) * start_averaged
    if n_averaged > 0:
        averaged = [(state.n_averaged, *state.model()) for state in states if state.n_averaged]
        if start_averaged:
            averaged.append((-(len(states) - 1) * start_averaged, *start.model()))
        average_coef = sum(count * coef for count, coef, _ in averaged) / n_averaged
        average_intercept = sum(count * intercept for count, _, intercept in averaged)
        mixed.average_coef, mixed.average_intercept = (
            part.astype(main.coef.dtype)
            for part in main.preconditioner.parameters(average_coef, average_intercept / n_averaged)
        )
        mixed.n_averaged = n_averaged
    return mixed


class BatchPlan:
    """How one epoch cuts the rows into mini-batches, without copying ``X``.

    The rows are split into ``blocks_per_batch`` equal segments; batch ``k``
    takes the ``k``-th block of ``block_rows`` consecutive rows from every
    segment, so each batch spans the whole data (data sorted by class or time
    is fine) while every block is read sequentially. For a C-contiguous array
    a batch is a strided *view* of shape ``(blocks_per_batch, block_rows,
    n_columns)``; other inputs (CSR, Fortran order) gather the same rows. The
    rows past the last full segment form one shorter *tail* batch. Shuffling
    permutes the order of the batches every epoch.
    """

    def __init__(self, n_samples, batch_size, row_bytes, block_bytes=262144):
        self.n_samples = n_samples
        self.block_rows = int(max(1, min(block_bytes // row_bytes, batch_size // 16)))
        self.blocks_per_batch = max(1, batch_size // self.block_rows)
        self.batch_size = self.blocks_per_batch * self.block_rows
        self.n_strided = n_samples // self.batch_size
        self.segment_rows = self.n_strided * self.block_rows
        self.n_covered = self.blocks_per_batch * self.segment_rows

    def order(self, shuffle, rng):
        """Batch ids of one epoch (``n_strided`` is the tail batch)."""
        ids = np.arange(self.n_strided + (self.n_covered < self.n_samples))
        return rng.permutation(ids) if shuffle else ids

    def view(self, array, batch):
        """Batch ``batch`` of a C-contiguous array, as a view."""
        if batch == self.n_strided:
            return array[self.n_covered :]
        segments = array[: self.n_covered].reshape(
            self.blocks_per_batch, self.segment_rows, *array.shape[1:]
        )
        start = batch * self.block_rows
        return segments[:, start : start + self.block_rows]

    def rows(self, batch):
        """Row indices of batch ``batch`` (for inputs that cannot be viewed)."""
        if batch == self.n_strided:
            return np.arange(self.n_covered, self.n_samples)
        segment_starts = np.arange(self.blocks_per_batch)[:, None] * self.segment_rows
        return (segment_starts + batch * self.block_rows + np.arange(self.block_rows)).ravel()


def _row_bytes(X):
    if sp.issparse(X):
        return max(1, X.nnz // max(1, X.shape[0])) * (X.dtype.itemsize + X.indices.itemsize)
    return X.shape[1] * X.dtype.itemsize


def _take_batch(X, plan, batch, buffer):
    """The rows of a batch of ``X``: a view of a C-contiguous array, else gathered
    (into ``buffer`` for other dense layouts)."""
    if sp.issparse(X):
        return X[plan.rows(batch)]
    if buffer is None:
        return plan.view(X, batch)
    rows = plan.rows(batch)
    return np.take(X, rows, axis=0, out=buffer[: len(rows)])


def _transposed_product(X_batch, gradient):
    """``X_batch.T @ gradient`` for a 2-D batch or a 3-D strided view of blocks."""
    if X_batch.ndim == 3:
        return np.matmul(X_batch.transpose(0, 2, 1), gradient).sum(axis=0)
    return np.asarray(X_batch.T @ gradient.reshape(X_batch.shape[0], -1))


def _gather_buffer(X, plan):
    """A reused batch buffer for dense arrays that cannot be viewed (else None)."""
    if sp.issparse(X) or X.flags.c_contiguous:
        return None
    return np.empty((plan.batch_size, X.shape[1]), X.dtype)


def _batch_gradients(X, Y, sample_weight, loss, state, plan, batches, buffer):
    """For each batch: ``(X_batch, weighted per-sample gradient, weighted loss sums)``.

    The gradient is taken at the current iterate, read when the batch is
    reached (so the caller may step between batches). The loss sums, one per
    column of the loss's values, add up to the per-sample loss: an elementwise
    loss (one value per output column, e.g. one-vs-rest) is averaged over its
    columns, a coupled loss (one value per sample, shape ``(..., 1)``) is taken
    as it is.
    """
    n_outputs = Y.shape[1]
    for batch in batches:
        X_batch = _take_batch(X, plan, batch, buffer)
        Y_batch = plan.view(Y, batch)
        if X_batch.ndim == 2:
            Y_batch = Y_batch.reshape(-1, n_outputs)
        coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
        raw = X_batch @ coef
        raw += intercept
        weight = None
        if sample_weight is not None:
            weight = plan.view(sample_weight, batch)[..., None].reshape(Y_batch.shape[:-1] + (1,))
        for_batch_loss = batch_weight(loss, weight)
        gradient = loss.gradient(Y_batch, raw, **for_batch_loss)
        batch_loss = loss.loss(Y_batch, raw, **for_batch_loss)
        if weight is not None:
            gradient *= weight
            batch_loss *= weight
        columns = batch_loss.shape[-1]
        yield X_batch, gradient, batch_loss.reshape(-1, columns).sum(axis=0) / columns


def _parameter_gradient(X_batch, gradient, preconditioner):
    """Chain rule through ``raw = ((x - center) * inverse_scale) @ u + c``:
    the summed gradients of ``u`` and ``c``."""
    n_outputs = gradient.shape[-1]
    gradient_sum = gradient.reshape(-1, n_outputs).sum(axis=0)
    center = preconditioner.center.astype(gradient.dtype, copy=False)
    coef_gradient = _transposed_product(X_batch, gradient) - np.outer(center, gradient_sum)
    coef_gradient *= preconditioner.inverse_scale.astype(gradient.dtype, copy=False)[:, None]
    return coef_gradient, gradient_sum


def _proximal_step(state, penalty, coef_gradient, intercept_gradient, step_size, fit_intercept):
    """``u <- prox(u - step_size * coef_gradient)``, ``c <- c - step_size * ...``."""
    inverse_scale = state.preconditioner.inverse_scale.astype(state.coef.dtype, copy=False)
    penalty.shrink(state.coef, step_size, inverse_scale)
    state.coef -= step_size * coef_gradient
    penalty.proximal(state.coef, step_size, inverse_scale)
    if fit_intercept:
        state.intercept -= step_size * intercept_gradient


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
    smooth,
):
    """One pass over the data; returns the weighted mean objective seen on the way.

    For one-vs-rest outputs the objective is the mean of the per-class
    objectives (loss and penalty), for a coupled multiclass loss the loss plus
    the penalty of the whole coefficient matrix.

    ``sample_weight`` must be scaled to mean 1 (or be None). Each step uses
    the gradient summed over its batch divided by the nominal batch size, so
    the shorter tail batch is not over-weighted. Averaging is on for steps
    taken once ``state.t`` reaches ``average_start`` (None: off). ``smooth``
    tells whether the loss has a smoothness constant.
    """
    weighted_loss_sum = 0.0
    share = penalty_share(loss, Y.shape[1])
    batches = _batch_gradients(
        X, Y, sample_weight, loss, state, plan, plan.order(shuffle, rng), _gather_buffer(X, plan)
    )
    for X_batch, gradient, batch_loss in batches:
        weighted_loss_sum += float(batch_loss.sum())
        coef_gradient, intercept_gradient = _parameter_gradient(
            X_batch, gradient, state.preconditioner
        )
        step_size = schedule.step_size(state, smooth)
        _proximal_step(
            state,
            penalty,
            coef_gradient / plan.batch_size,
            intercept_gradient / plan.batch_size,
            step_size,
            fit_intercept,
        )
        state.t += gradient.size // gradient.shape[-1]
        if average_start is not None and state.t >= average_start:
            _update_average(state)
    coef, _ = state.preconditioner.coefficients(state.coef, state.intercept)
    return weighted_loss_sum / X.shape[0] + share * penalty.value(coef)


def penalty_share(loss, n_outputs):
    """The weight of the penalty in the objective: ``1 / n_outputs`` for one-vs-rest
    outputs (the objective is the mean of the per-output objectives), 1 for a
    coupled multiclass loss (one objective over the whole coefficient matrix)."""
    return 1.0 if loss.task == "multiclass" else 1 / n_outputs


def full_gradient(X, Y, sample_weight, loss, state, *, batch_size):
    """Sums over all rows of the weighted loss and of its gradients in ``u`` and ``c``.

    Returns ``(loss_sums, coef_gradient, intercept_gradient)`` at the iterate of
    ``state``, with the loss sums per column of the loss as
    :func:`_batch_gradients` gives them. Reads ``X`` once, ``batch_size`` rows
    at a time.
    """
    plan = BatchPlan(X.shape[0], batch_size, _row_bytes(X))
    loss_sum = 0.0
    coef_gradient = np.zeros(state.coef.shape)
    intercept_gradient = np.zeros(state.intercept.shape)
    batches = _batch_gradients(
        X, Y, sample_weight, loss, state, plan, plan.order(False, None), _gather_buffer(X, plan)
    )
    for X_batch, gradient, batch_loss in batches:
        batch_coef_gradient, batch_intercept_gradient = _parameter_gradient(
            X_batch, gradient, state.preconditioner
        )
        loss_sum += batch_loss
        coef_gradient += batch_coef_gradient
        intercept_gradient += batch_intercept_gradient
    return loss_sum, coef_gradient, intercept_gradient


def constant_objective(Y, sample_weight, loss, intercept):
    """The objective of the model with zero coefficients and ``intercept`` (no pass over X)."""
    raw = np.broadcast_to(np.asarray(intercept, dtype=Y.dtype), Y.shape)
    weight = None if sample_weight is None else sample_weight[:, None]
    values = loss.loss(Y, raw, **batch_weight(loss, weight))
    per_sample = values.sum(axis=1) / values.shape[1]
    return float(np.average(per_sample, weights=sample_weight))


def objective_of_model(X, Y, sample_weight, loss, penalty, model, *, batch_size):
    """The objective of the model ``(coef, intercept)``, from one pass over the data."""
    coef, intercept = model
    state = SGDState(coef, intercept, 0.0, Preconditioner.identity(X.shape[1]))
    loss_sums, _, _ = full_gradient(X, Y, sample_weight, loss, state, batch_size=batch_size)
    return float(loss_sums.sum()) / X.shape[0] + penalty_share(loss, Y.shape[1]) * penalty.value(
        coef
    )


def sparse_average(X, Y, sample_weight, loss, penalty, state, *, batch_size, fit_intercept):
    """The averaged model made exactly sparse by one full proximal-gradient step.

    An average of L1-proximal SGD iterates is not sparse. The minimiser ``w*``
    is the fixed point of ``w -> prox(w - eta grad f(w))``, so one such step
    from the average (which is close to ``w*``), with the full-data gradient
    and the full-batch step ``1 / L`` (:func:`automatic_step_size` with one
    batch of all rows), returns a point as close to ``w*`` whose zeros are
    exact. Costs one pass over the data. Returns ``(coef, intercept)``.
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
        X, Y, sample_weight, loss, polished, batch_size=batch_size
    )
    with np.errstate(all="ignore"):
        _proximal_step(
            polished,
            penalty,
            (coef_gradient / X.shape[0]).astype(polished.coef.dtype),
            (intercept_gradient / X.shape[0]).astype(polished.coef.dtype),
            step_size,
            fit_intercept,
        )
    return polished.model()


def _update_average(state):
    if state.n_averaged == 0:
        state.average_coef = state.coef.copy()
        state.average_intercept = state.intercept.copy()
    else:
        weight = 1.0 / (state.n_averaged + 1)
        state.average_coef += weight * (state.coef - state.average_coef)
        state.average_intercept += weight * (state.intercept - state.average_intercept)
    state.n_averaged += 1


class DivergenceError(ValueError):
    """Training produced non-finite values."""


def _diverged(state, objective, reference_objective):
    """Non-finite values, or an objective 1e8 times above the reference (and above 1)."""
    if not (
        np.isfinite(objective)
        and np.isfinite(state.coef).all()
        and np.isfinite(state.intercept).all()
    ):
        return True
    return reference_objective is not None and objective > 1e8 * max(1.0, reference_objective)


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

    Returns
    -------
    n_epochs : int
        Epochs run.

    Raises
    ------
    DivergenceError
        When an epoch produces non-finite values or an objective 1e8 times
        that of the starting model (``state.start_objective``; the first
        epoch's when unknown) and above 1. With ``learning_rate="auto"``
        the engine first retries the epoch with a step ten times smaller, up to
        ten times.
    """
    reference_objective = state.start_objective
    if reference_objective is None and state.loss_curve:
        reference_objective = state.loss_curve[0]
    plan = BatchPlan(X.shape[0], batch_size, _row_bytes(X))
    smooth = getattr(loss, "smoothness", None) is not None
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
                    smooth=smooth,
                )
            if not _diverged(state, objective, reference_objective):
                break
            if schedule.learning_rate != "auto":
                raise DivergenceError(
                    f"Training diverged at epoch {state.epochs_seen + 1}: the coefficients "
                    f"blew up with learning_rate={schedule.learning_rate!r} and "
                    f"eta0={schedule.eta0}. Scale the features (e.g. StandardScaler) or "
                    "lower eta0 (or use learning_rate='auto')."
                )
            state.restore_iterate(saved)
            saved = state.copy_iterate()
            state.eta /= 10
        else:
            raise DivergenceError(
                "Training diverged even with a step size 1e10 times below the automatic "
                "one. Scale the features (e.g. StandardScaler) and check the targets."
            )
        state.epochs_seen += 1
        state.loss_curve.append(objective)
        score = -objective
        if validation_score is not None:
            score = validation_score(*state.model())
            state.validation_scores.append(score)
        if verbose:
            message = f"-- Epoch {state.epochs_seen}: objective {objective:.6g}"
            if validation_score is not None:
                message += f", validation score {score:.6g}"
            step_size = schedule.step_size(state, smooth)
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
