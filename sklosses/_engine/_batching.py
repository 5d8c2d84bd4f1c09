"""Mini-batches without copies of ``X``, and the chain rule from raw-prediction
gradients to parameter gradients (``X_batch.T @ gradient``, :func:`parameter_gradient`)
-- the only place it lives. A batch spans the data in blocks of consecutive rows
(:class:`BatchPlan`), or holds whole groups for a loss that compares the rows of a
group (:class:`GroupBatchPlan`); shuffling permutes the order of the batches.
"""

import numpy as np
import scipy.sparse as sp


class ChunkPlan:
    """Consecutive chunks of ``chunk_rows`` rows, in order: for full passes over the data,
    where the cut does not matter. A chunk is a slice: a view of ``X`` in any layout."""

    slices = True

    def __init__(self, n_samples, chunk_rows):
        self.n_samples, self.batch_size = n_samples, chunk_rows

    def order(self, shuffle, rng):
        return np.arange(-(-self.n_samples // self.batch_size))

    def view(self, array, batch):
        return array[batch * self.batch_size : (batch + 1) * self.batch_size]

    def rows(self, batch):
        return np.arange(*(bound[0] for bound in self.runs(batch)))

    def runs(self, batch):
        """The batch as runs of consecutive rows: ``(starts, stops)``."""
        start = batch * self.batch_size
        return [start], [min(start + self.batch_size, self.n_samples)]

    def groups_of(self, batch):
        return None


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

    slices = False

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

    def runs(self, batch):
        """The batch as runs of consecutive rows, ``(starts, stops)``, in :meth:`rows`' order."""
        if batch == self.n_strided:
            return [self.n_covered], [self.n_samples]
        starts = np.arange(self.blocks_per_batch) * self.segment_rows + batch * self.block_rows
        return starts, starts + self.block_rows

    def groups_of(self, batch):
        """The groups of a batch's rows: None, the rows form no groups."""
        return None


class GroupBatchPlan:
    """Mini-batches of whole groups (queries), for a loss that ``needs_groups``.

    The groups, in their order of first appearance or shuffled every epoch, are
    laid end to end; batch ``k`` holds the groups that *start* within rows
    ``[k * batch_size, (k + 1) * batch_size)`` of that sequence. A batch thus
    never splits a group and holds about ``batch_size`` rows: a group larger
    than ``batch_size`` stays whole, in a batch of up to ``batch_size - 1`` rows
    more. Rows are gathered (a copy of the batch, never of ``X``), in any order
    of the groups in ``X``; a batch of consecutive rows (data sorted by group, read
    in group order) is a view.
    """

    slices = False

    def __init__(self, groups, batch_size):
        self.groups = np.asarray(groups).reshape(-1)
        self.n_samples, self.batch_size = len(self.groups), batch_size
        self.rows_in_group_order = np.argsort(self.groups, kind="stable")
        ordered = self.groups[self.rows_in_group_order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.sizes = np.diff(np.r_[self.starts, self.n_samples])

    def order(self, shuffle, rng):
        """The batches of one epoch, each the array of its rows."""
        sequence = rng.permutation(len(self.sizes)) if shuffle else np.arange(len(self.sizes))
        sizes = self.sizes[sequence]
        offsets = np.cumsum(sizes) - sizes
        positions = np.repeat(self.starts[sequence] - offsets, sizes) + np.arange(self.n_samples)
        rows = self.rows_in_group_order[positions]
        batch_of_group = offsets // self.batch_size
        cuts = offsets[np.flatnonzero(np.diff(batch_of_group)) + 1]
        return [_as_slice(batch) for batch in np.split(rows, cuts)]

    def view(self, array, batch):
        """The rows ``batch`` of ``array``: a view for a slice, else a copy."""
        return array[batch]

    def rows(self, batch):
        return batch

    def groups_of(self, batch):
        """The group of each row of the batch."""
        return self.groups[batch]


def _as_slice(rows):
    """A run of consecutive rows as a slice (a view of ``X``, not a copy), else the rows:
    data sorted by group, as ranking data usually is, is then read in place."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows) and np.all(np.diff(rows) == 1):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def batch_plan(X, batch_size, groups=None, *, in_order=False):
    """The plan of ``X``'s mini-batches: whole groups when ``groups`` is given, else
    consecutive chunks for a full pass whose cut does not matter (``in_order``)."""
    if groups is not None:
        return GroupBatchPlan(groups, batch_size)
    if in_order:
        return ChunkPlan(X.shape[0], batch_size)
    return BatchPlan(X.shape[0], batch_size, row_bytes(X))


def row_bytes(X):
    if sp.issparse(X):
        return max(1, X.nnz // max(1, X.shape[0])) * (X.dtype.itemsize + X.indices.itemsize)
    return X.shape[1] * X.dtype.itemsize


def csr_row_run(X, start, stop):
    """Rows ``start:stop`` of CSR ``X`` as ``(data, indices, indptr)`` views of its arrays."""
    low, high = X.indptr[start], X.indptr[stop]
    return X.data[low:high], X.indices[low:high], X.indptr[start : stop + 1] - low


def _take_batch(X, plan, batch, buffer):
    """The rows of a batch of ``X``: a view of a C-contiguous array, else gathered (into
    ``buffer`` for other dense layouts); a slice for a chunk (of CSR ``X``, on its arrays:
    scipy's row slice would copy them)."""
    if plan.slices and sp.issparse(X):
        (start,), (stop,) = plan.runs(batch)
        return sp.csr_matrix(csr_row_run(X, start, stop), (stop - start, X.shape[1]))
    if plan.slices:
        return plan.view(X, batch)
    if sp.issparse(X):
        return X[plan.rows(batch)]
    if buffer is None:
        return plan.view(X, batch)
    rows = plan.rows(batch)
    return np.take(X, rows, axis=0, out=buffer[: len(rows)])


def _transposed_product(X_batch, gradient):
    """``X_batch.T @ gradient`` for a 2-D batch or a 3-D view of blocks; a ``bincount`` per
    output for a small CSR batch (scipy's ``.T @`` costs more there, not on a large one)."""
    if sp.issparse(X_batch) and gradient.shape[-1] <= 2 and X_batch.nnz <= 65536:
        gradient = gradient.reshape(X_batch.shape[0], -1)
        rows = np.repeat(np.arange(X_batch.shape[0]), np.diff(X_batch.indptr))
        sums = [
            np.bincount(X_batch.indices, X_batch.data * g[rows], X_batch.shape[1])
            for g in gradient.T
        ]
        return np.column_stack(sums).astype(np.float64, copy=False)  # empty: bincount's int
    if X_batch.ndim == 3:
        gradient = gradient.reshape(*X_batch.shape[:2], -1)
        return np.matmul(X_batch.transpose(0, 2, 1), gradient).sum(axis=0)
    return np.asarray(X_batch.T @ gradient.reshape(X_batch.shape[0], -1))


def gather_buffer(X, plan):
    """A reused batch buffer for dense arrays that cannot be viewed (else None)."""
    if sp.issparse(X) or X.flags.c_contiguous or plan.slices or isinstance(plan, GroupBatchPlan):
        return None
    return np.empty((plan.batch_size, X.shape[1]), X.dtype)


def dense_predictor(X, state, plan, buffer, *, moving=True):
    """``batch -> (X_batch, raw)``: a batch of ``X`` and its raw predictions at the iterate
    of ``state`` when called (of now when it is not ``moving``: a full pass)."""
    n_outputs = state.coef.shape[1]
    fixed = None if moving else state.preconditioner.coefficients(state.coef, state.intercept)
    constant = fixed is not None and not fixed[0].any()  # zero coefficients: no product

    def predict(batch):
        X_batch = _take_batch(X, plan, batch, buffer)
        coef, intercept = fixed or state.preconditioner.coefficients(state.coef, state.intercept)
        shape = (*X_batch.shape[:-1], n_outputs)
        raw = np.zeros(shape, np.result_type(X_batch.dtype, coef)) if constant else X_batch @ coef
        raw += intercept
        return X_batch, raw.reshape(-1, n_outputs)

    return predict


def batch_gradients(X, Y, sample_weight, loss, state, plan, batches, buffer, predict=None):
    """For each batch: ``(X_batch, weighted per-sample gradient, weighted loss sums)``.

    The gradient is taken at the current iterate, read when the batch is
    reached (so the caller may step between batches). Losses see 2-D arrays
    ``(n_rows, n_targets)`` and ``(n_rows, n_outputs)`` (the same width but for a
    metric loss, whose targets are one column of labels); the gradient and the loss
    sums come from one :meth:`Loss.weighted_sums_and_gradient`, the sums (one per
    column of the loss's values) divided by their number, so that they add up to
    the weighted per-sample loss: an element-scope loss (one value per output column,
    e.g. one-vs-rest) is averaged over its columns, a sample-scope loss (one value per
    sample) is taken as it is. ``predict`` (``batch -> (X_batch, raw)``) replaces
    :func:`dense_predictor` (the sparse steps predict on compact batches).
    """
    n_targets = Y.shape[1]  # differs from the outputs' number for a metric loss
    if predict is None:
        predict = dense_predictor(X, state, plan, buffer)
    for batch in batches:
        X_batch, raw = predict(batch)
        Y_batch = plan.view(Y, batch).reshape(-1, n_targets)
        weight = None if sample_weight is None else plan.view(sample_weight, batch).reshape(-1)
        groups = plan.groups_of(batch)
        loss_sums, gradient = loss.weighted_sums_and_gradient(Y_batch, raw, weight, groups)
        yield X_batch, gradient, loss_sums / len(loss_sums)


def parameter_gradient(X_batch, gradient, preconditioner, columns=None):
    """Chain rule through ``raw = ((x - center) * inverse_scale) @ u + c``:
    the summed gradients of ``u`` and ``c``. A compact batch holds only the ``columns``
    of ``X`` its rows touch (:mod:`~sklosses._engine._sparse_steps`); the gradient of
    ``u`` is then that of those rows of ``u``."""
    gradient_sum = gradient.reshape(-1, gradient.shape[-1]).sum(axis=0)
    product = _transposed_product(X_batch, gradient)
    return _chain_rule(product, gradient_sum, preconditioner, columns), gradient_sum


def _chain_rule(product, gradient_sum, preconditioner, columns=None):
    """The gradient of ``u`` from ``X.T @ gradient`` and the gradient's column sums."""
    every, coef_gradient = slice(None) if columns is None else columns, product
    if preconditioner.centred:
        center = preconditioner.center[every].astype(product.dtype, copy=False)
        coef_gradient = product - np.outer(center, gradient_sum)
    coef_gradient *= preconditioner.inverse_scale[every].astype(product.dtype, copy=False)[:, None]
    return coef_gradient


def full_gradient(X, Y, sample_weight, loss, state, *, plan):
    """Sums over all rows of the weighted loss and of its gradients in ``u`` and ``c``.

    Returns ``(loss_sums, coef_gradient, intercept_gradient)`` at the iterate of
    ``state``, with the loss sums per column of the loss as
    :func:`batch_gradients` gives them. Reads ``X`` once, in the batches of ``plan``
    (:func:`batch_plan`) in their order. The chain rule is linear, so it is applied once
    to the sums of the batches' ``X_batch.T @ gradient`` (no per-batch ``n_features`` term).
    """
    loss_sum = 0.0
    product = np.zeros(state.coef.shape)
    intercept_gradient = np.zeros(state.intercept.shape)
    predict = dense_predictor(X, state, plan, gather_buffer(X, plan), moving=False)
    batches = batch_gradients(
        X, Y, sample_weight, loss, state, plan, plan.order(False, None), None, predict
    )
    for X_batch, gradient, batch_loss in batches:
        loss_sum += batch_loss
        product += _transposed_product(X_batch, gradient)
        intercept_gradient += gradient.reshape(-1, gradient.shape[-1]).sum(axis=0)
    coef_gradient = _chain_rule(product, intercept_gradient, state.preconditioner)
    return loss_sum, coef_gradient, intercept_gradient
