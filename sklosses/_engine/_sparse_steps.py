"""SGD steps on CSR input at a cost that follows the nonzeros of each batch, not ``X``'s width.

A mini-batch of a wide CSR matrix touches few of its columns. Each step here reads and
writes only those rows of the coefficients, and represents everything that acts on every
coefficient (the penalty, the running average) by a few numbers, applied to a column when a
batch touches it and to all of them when the epoch ends. The techniques are those of
Bottou's and scikit-learn's sparse SGD and of Tsuruoka et al. (2009), exact here for the
engine's penalty in the preconditioned parameters ``u``:

* **L2 by one factor per scale class.** The penalty's shrinkage divides ``u_j`` by
  ``1 + step * l2 * inverse_scale_j**2``. The preconditioner of CSR input has few distinct
  inverse scales (:class:`~sklosses._engine._preconditioner.Preconditioner`), so the
  columns form a few classes of equal factor: ``u_j = s_g v_j`` for the columns ``j`` of
  class ``g``, and a step shrinks the scalars ``s_g`` only.
* **L1 by cumulative thresholds.** The L1 proximal step soft-thresholds ``v_j`` by
  ``step * l1 * inverse_scale_j / s_g``. Thresholds of a coefficient that no gradient
  moves add up, so each class keeps the total handed out so far, each column the total it
  has received, and a column receives the difference when a batch touches it. (The
  running average sees an untouched column's thresholds only then: it averages that
  column's last touched value in between, a difference of the order of the thresholds.)
* **The running average as** ``sum_t u_t = P + Q_g v`` with ``Q_g`` the sum of the ``s_g``
  averaged: a step that changes ``v`` by ``delta`` on the touched columns changes ``P`` by
  ``-Q_g delta`` there (Xu 2011, as scikit-learn's averaged SGD).
"""

import numpy as np
import scipy.sparse as sp

from ._batching import csr_row_run, parameter_gradient
from ._preconditioner import MAX_SCALE_CLASSES, vector_product

COMPACT_BELOW = 4
"""A batch works on the columns it touches when its nonzeros are under ``1 / COMPACT_BELOW``
of the columns; else on all of them (a scattered access costs several sequential ones)."""
JOIN_FROM = 1024
"""A batch of runs of consecutive rows with at least this many stored values per run, on
average, is copied run by run (sequential copies); shorter runs are gathered."""
SMALLEST_SCALE = 1e-9
"""When a class's factor ``s_g`` falls below this, it is folded into its columns (``v``
loses no precision to a vanishing factor)."""


def takes_sparse_steps(X, preconditioner):
    """Whether the epochs on ``X`` take :class:`SparseSteps`: CSR input whose columns fall
    in a few scale classes. The preconditioner of CSR input centres only the columns that
    every row of the data stores, so every batch touches them."""
    return sp.issparse(X) and len(preconditioner.scale_classes[0]) <= MAX_SCALE_CLASSES


def batch_rows(X, plan, batch):
    """The rows of a batch of CSR ``X`` as ``(data, indices, indptr)``: slices of ``X``'s
    arrays for a run of consecutive rows, runs joined when they are long, else gathered."""
    starts, stops = plan.runs(batch) if hasattr(plan, "runs") else ([], [])
    if len(starts) == 1:
        return csr_row_run(X, starts[0], stops[0])
    rows = np.r_[plan.rows(batch)]  # a batch of groups may be a slice
    first, counts = X.indptr[rows], X.indptr[rows + 1] - X.indptr[rows]
    indptr = np.zeros(len(rows) + 1, dtype=X.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    if len(starts) and indptr[-1] >= JOIN_FROM * len(starts):
        pieces = [
            slice(X.indptr[start], X.indptr[stop])
            for start, stop in zip(starts, stops, strict=True)
        ]
        data = np.concatenate([X.data[piece] for piece in pieces])
        return data, np.concatenate([X.indices[piece] for piece in pieces]), indptr
    stored = np.repeat(first - indptr[:-1], counts) + np.arange(indptr[-1])
    return X.data[stored], X.indices[stored], indptr


class SparseSteps:
    """The iterate of ``state`` during one epoch on CSR input, stepped lazily.

    Built at the start of an epoch from ``state`` (whose ``coef`` becomes ``v`` with all
    ``s_g = 1``), and written back to it by :meth:`finish`. Implements the steps'
    protocol of :func:`~sklosses._engine._loop.run_epoch`: :meth:`predict`, :meth:`step`,
    :meth:`update_average`, :meth:`finish`.
    """

    def __init__(self, X, plan, state, penalty):
        self.X, self.plan, self.state = X, plan, state
        self.l2, self.l1 = penalty.l2, penalty.l1
        self.class_inverse_scale, self.class_of, self.columns_of_class = (
            state.preconditioner.scale_classes
        )
        n_classes = len(self.class_inverse_scale)
        self.v = state.coef
        self.scale = np.ones(n_classes)
        self.threshold_given = np.zeros(n_classes)
        self.threshold_received = np.zeros(len(self.v)) if self.l1 else None
        self.positions = np.empty(len(self.v), dtype=X.indices.dtype)
        self.coef_buffer = np.empty_like(self.v)  # the touched coefficients of a batch
        self.average_sum = self.scale_sum = self.intercept_sum = None
        if state.n_averaged:
            self._start_average(state.average_coef, state.average_intercept)
        self.touched = None

    def _start_average(self, average_coef, average_intercept):
        n_averaged = self.state.n_averaged
        self.average_sum = average_coef.astype(np.float64) * n_averaged
        self.scale_sum = np.zeros_like(self.scale)
        self.intercept_sum = average_intercept.astype(np.float64) * n_averaged

    def predict(self, batch):
        """``(X_batch, raw)``: the batch on the columns it touches, and its predictions."""
        data, indices, indptr = batch_rows(self.X, self.plan, batch)
        if COMPACT_BELOW * len(indices) < len(self.v):
            columns, local = _distinct_columns(indices, self.positions)
        else:  # touching most columns: whole-width arrays cost less than scattered ones
            columns, local = slice(None), indices
        self._catch_up(columns)
        self.touched = columns, self.class_of[columns]
        width = len(self.v) if isinstance(columns, slice) else len(columns)
        X_batch = sp.csr_matrix((data, local, indptr), shape=(len(indptr) - 1, width))
        pre = self.state.preconditioner
        factor = (self.scale[self.touched[1]] * pre.inverse_scale[columns])[:, None]
        coef = np.multiply(self.v[columns], factor, out=self.coef_buffer[:width])
        raw = X_batch @ coef
        raw += self.state.intercept
        if pre.centred:
            raw -= vector_product(pre.center[columns], coef)
        return X_batch, raw

    def step(self, X_batch, gradient, step_size, batch_size, fit_intercept):
        """A proximal gradient step on the touched columns; the penalty of all by scalars."""
        columns, classes = self.touched
        coef_gradient, intercept_gradient = parameter_gradient(
            X_batch, gradient, self.state.preconditioner, columns
        )
        # in place: on many outputs a new array per step costs page faults
        delta = coef_gradient
        delta *= (-step_size / batch_size / self.scale[classes])[:, None]
        self.v[columns] += delta
        if self.average_sum is not None:
            delta *= self.scale_sum[classes][:, None]
            self.average_sum[columns] -= delta
        if fit_intercept:
            self.state.intercept -= (step_size / batch_size) * intercept_gradient
        if self.l2:
            self.scale /= 1 + (step_size * self.l2) * self.class_inverse_scale**2
        if self.l1:
            self.threshold_given += (step_size * self.l1) * self.class_inverse_scale / self.scale
            self._catch_up(columns)  # now, as the dense step, so the average sees it
        if self.scale.min() < SMALLEST_SCALE:
            self._fold_scales()

    def update_average(self):
        """Fold the current iterate into the running average."""
        if self.average_sum is None:
            self._start_average(np.zeros_like(self.v), np.zeros_like(self.state.intercept))
        self.scale_sum += self.scale
        self.intercept_sum += self.state.intercept
        self.state.n_averaged += 1

    def finish(self):
        """Bring every column up to date and write the iterate and average to ``state``."""
        self._catch_up(slice(None))
        state, column_scale = self.state, self.scale[self.class_of][:, None]
        if self.average_sum is not None:
            average = self.average_sum + self.scale_sum[self.class_of][:, None] * self.v
            state.average_coef = (average / state.n_averaged).astype(self.v.dtype)
            state.average_intercept = (self.intercept_sum / state.n_averaged).astype(self.v.dtype)
        self.v *= column_scale

    def _catch_up(self, columns):
        """Give ``columns`` the L1 thresholds handed out since they were last touched."""
        if not self.l1:
            return
        given = self.threshold_given[self.class_of[columns]]
        threshold = (given - self.threshold_received[columns])[:, None]
        old = self.v[columns].copy()  # a view when ``columns`` is every column
        new = np.copysign(np.maximum(np.abs(old) - threshold, 0), old)
        self.v[columns] = new
        if self.average_sum is not None:
            self.average_sum[columns] -= self.scale_sum[self.class_of[columns]][:, None] * (
                new - old
            )
        self.threshold_received[columns] = given

    def _fold_scales(self):
        """``v <- s v`` on the columns of the classes of vanishing ``s``, whose ``s``
        becomes 1: their share ``Q v`` of the average moves to ``P`` (``Q`` becomes 0),
        and their thresholds, in units of ``v``, follow."""
        for group in np.flatnonzero(self.scale < SMALLEST_SCALE):
            columns, factor = self.columns_of_class[group], self.scale[group]
            if self.average_sum is not None:
                self.average_sum[columns] += self.scale_sum[group] * self.v[columns]
                self.scale_sum[group] = 0.0
            self.v[columns] *= factor
            if self.l1:
                self.threshold_given[group] *= factor
                self.threshold_received[columns] *= factor
            self.scale[group] = 1.0


def _distinct_columns(indices, positions):
    """The distinct columns among a batch's ``indices`` and, for each stored value, the
    position of its column among them, in O(nonzeros): ``positions`` is a work array of
    ``n_features`` entries, written only where the batch has values."""
    order = np.arange(len(indices))
    positions[indices] = order
    columns = indices[positions[indices] == order]
    positions[columns] = np.arange(len(columns))
    return columns, positions[indices]
