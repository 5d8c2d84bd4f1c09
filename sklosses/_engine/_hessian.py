"""The Hessians of Newton's method in the full-batch phase (:mod:`~sklosses._engine._newton`).

In the standardised rows ``z_i`` (a 1 appended for the intercept), the Hessian of the
loss part of one output is ``sum_i h_i z_i z_i^T`` with ``h_i`` the weighted curvature of
row ``i`` (:class:`CurvatureSums`, kept up to date across the iterations from the rows
whose curvature changed, and summed over the rows of ``X`` as they are, without a
standardised copy); a loss coupling its outputs (softmax) has one block over all
the parameters, ``sum_i z_i z_i^T (x) H_i`` (:class:`CoupledHessian`). Both are returned
as Hessians of the normalised objective (:meth:`FlatObjective.normalise`).
"""

import numpy as np
import scipy.sparse as sp

from ._moments import DENSE_CHUNK_BYTES, MAX_RAW_OFFSET

CHUNK_ROWS = 4096
"""Rows per chunk of a pass that forms Hessians (its products stay in cache)."""
KEEP_STANDARDISED_BELOW = 2_000_000
"""Data of fewer entries has the rows its Hessians are summed over kept for the whole Newton
run (at most 16 MB) when they are a copy of ``X`` (standardised, centred or in float64)."""
REFRESH_SHARE = 0.25
"""An output whose curvature changed in more than this share of the rows has its Hessian
recomputed rather than updated."""


def _standardised_rows(objective, rows):
    """``z_i`` of ``X[rows]``: the standardised row, float64, with a 1 appended for the
    intercept."""
    z = objective.state.preconditioner.standardised(objective.X[rows])
    if objective.fit_intercept:
        z = np.hstack([z, np.ones((len(z), 1))])
    return z


def weighted_curvature(objective, loss):
    """The weighted curvature ``h`` of every row and output at the state's iterate (of a
    ``quadratic`` loss, the same at any raw prediction: no pass over ``X``)."""
    if loss.quadratic:
        curvature = loss.hessian(objective.Y, np.zeros(objective.Y.shape))
    else:
        curvature = np.empty(objective.Y.shape)
        for rows, raw in _raw_predictions(objective):
            curvature[rows] = loss.hessian(objective.Y[rows], raw)
    if objective.sample_weight is not None:
        curvature *= objective.sample_weight[:, None]
    return curvature


def weighted_coupled_curvature(objective, loss):
    """The weighted ``coupled_hessian`` of every row at the state's iterate, of shape
    ``(n_rows, n_outputs, n_outputs)``: a loss coupling its outputs has one block per row."""
    n_outputs = objective.state.coef.shape[1]
    curvature = np.empty((objective.Y.shape[0], n_outputs, n_outputs))
    for rows, block in _coupled_curvature_chunks(objective, loss):
        curvature[rows] = block
    return curvature


def _coupled_curvature_chunks(objective, loss):
    """``(rows, blocks)`` for each chunk of rows: the weighted ``coupled_hessian`` of its
    rows at the state's iterate."""
    weight = objective.sample_weight
    for rows, raw in _raw_predictions(objective):
        blocks = loss.coupled_hessian(objective.Y[rows], raw)
        yield rows, blocks if weight is None else blocks * weight[rows, None, None]


def _raw_predictions(objective):
    """``(rows, raw)`` for each chunk of rows: the raw predictions at the state's iterate."""
    state = objective.state
    coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
    for start in range(0, objective.X.shape[0], CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        yield rows, objective.X[rows] @ coef + intercept


def _normalised(objective, loss, sums, inverse_scale):
    """The Hessians of the normalised objective from the loss's weighted curvature sums:
    their mean over the rows times the loss's share, plus the L2 penalty on the first
    ``len(inverse_scale)`` diagonal entries (the coefficients; the intercept is free)."""
    share = objective.share(loss)
    blocks = sums * (share / objective.Y.shape[0])
    diagonal = np.arange(len(inverse_scale))
    blocks[:, diagonal, diagonal] += share * objective.l2 * inverse_scale**2
    return blocks * (objective.length**2 / objective.scale)


class CoupledHessian:
    """The Hessian of a loss coupling its outputs (softmax), one block over all the
    parameters: ``sum_i z_i z_i^T (x) H_i`` with ``H_i`` the loss's ``coupled_hessian`` of
    row ``i``, in the order of the flat vector (``u`` row-major, then ``c``: parameter
    ``(f, k)`` at ``f * n_outputs + k``, the intercept as feature ``p``)."""

    def __init__(self, objective):
        self.objective = objective
        self.standardised = None
        if objective.X.shape[0] * (objective.X.shape[1] + 1) <= KEEP_STANDARDISED_BELOW:
            self.standardised = _standardised_rows(objective, slice(None))
        # each H_i is symmetric: only its pairs k <= l are summed, (K + 1) / 2K of the work
        n_outputs = objective.state.coef.shape[1]
        self.pairs = np.triu_indices(n_outputs)
        # the preconditioner's, per parameter (the preconditioner is fixed in this phase)
        self.inverse_scale = np.repeat(objective.state.preconditioner.inverse_scale, n_outputs)

    def _rows(self, rows):
        """``z_i`` of ``X[rows]``, with the intercept's 1: kept from the start on small data,
        as in :class:`CurvatureSums`."""
        if self.standardised is not None:
            return self.standardised[rows]
        return _standardised_rows(self.objective, rows)

    def hessian_blocks(self, loss, active):
        """The one block (shape ``(1, size, size)``) of the normalised objective."""
        objective = self.objective
        n_features, n_outputs = objective.state.coef.shape
        size = n_features + objective.fit_intercept
        upper, lower = self.pairs
        pair_sums = np.zeros((size, size * len(upper)))
        for rows, blocks in _coupled_curvature_chunks(objective, loss):
            z, curvature = self._rows(rows), blocks[:, upper, lower]
            # one product: z^T (z (x) H) gives [f, (g, pair)]
            pair_sums += z.T @ (z[:, :, None] * curvature[:, None, :]).reshape(len(z), -1)
        pairs = pair_sums.reshape(size, size, len(upper)).transpose(2, 0, 1)
        block = np.empty((size, n_outputs, size, n_outputs))
        block[:, upper, :, lower] = pairs
        block[:, lower, :, upper] = pairs
        block = block.reshape(1, size * n_outputs, size * n_outputs)
        blocks = _normalised(objective, loss, block, self.inverse_scale)
        # adding the same constant to every output's score changes nothing: a trace-scaled
        # floor keeps that direction out of the step
        diagonal = np.arange(size * n_outputs)
        blocks[0, diagonal, diagonal] += 1e-8 * np.trace(blocks[0]) / len(diagonal)
        return blocks


class CurvatureSums:
    """The Hessians of the loss part, ``sum_i h_i z_i z_i^T`` per output with ``z_i`` the
    standardised row with a 1 appended for the intercept and ``h_i`` its weighted
    curvature, kept up to date across Newton iterations (formed once for a ``quadratic``
    loss, whose curvature never changes).

    The curvature of most losses Newton meets is piecewise constant in the raw
    prediction (squared, Huber, expectile, squared hinge, the envelope of a
    piecewise-linear loss), so from one iterate to the next only the rows that crossed
    a kink change their ``h_i``: their difference is added to the sums, ``O(k p**2)``
    for ``k`` such rows instead of a pass of ``O(n p**2)`` (none at all for the squared
    loss). A smooth curvature changes every row, and the sums are then recomputed.

    The sums run over the rows ``x_i - shift`` with a 1 appended, ``shift`` zero (the rows
    of ``X`` as they are: no copy) unless a column lies more than ``MAX_RAW_OFFSET``
    standard deviations from zero (then the preconditioner's centre), and are carried to
    the standardised rows when a Hessian is asked for (:meth:`hessian_blocks`).
    """

    def __init__(self, objective):
        self.objective = objective
        self.curvature = None
        n_outputs, size = objective.Y.shape[1], objective.X.shape[1] + objective.fit_intercept
        self.sums = np.zeros((n_outputs, size, size))
        preconditioner = objective.state.preconditioner
        offset = np.abs(preconditioner.center) * preconditioner.inverse_scale
        self.shift = np.zeros(len(offset))
        if offset.max(initial=0.0) > MAX_RAW_OFFSET:
            self.shift = preconditioner.center
        self.kept = None
        X = objective.X
        copied = self.shift.any() or not isinstance(X, np.ndarray) or X.dtype != np.float64
        if copied and X.shape[0] * size <= KEEP_STANDARDISED_BELOW:
            self.kept = self._rows(slice(None))

    def _rows(self, rows):
        """``X[rows] - shift`` in float64, dense, without the intercept's 1: kept from the
        start on small data when that takes a copy (every Newton step needs them)."""
        if self.kept is not None:
            return self.kept[rows]
        part = self.objective.X[rows]
        part = part.toarray() if sp.issparse(part) else np.asarray(part, dtype=np.float64)
        return part - self.shift if self.shift.any() else part

    def _add(self, outputs, rows, weights):
        """Add ``sum_i weights[i, k] r_i r_i^T`` for ``i`` in ``rows`` to each output ``k``,
        ``r_i`` the row ``x_i - shift`` (:meth:`_rows`); the intercept's row and column are
        the weighted sums of the rows and the weights."""
        every_row = len(rows) == self.objective.X.shape[0]
        n_features = self.objective.X.shape[1]
        # few products of many rows: each costs a call, and a narrow chunk is read fast
        chunk_rows = max(CHUNK_ROWS, DENSE_CHUNK_BYTES // (8 * max(n_features, 1)))
        for start in range(0, len(rows), chunk_rows):
            # all the rows: slices, views of X in any layout, instead of gathered copies
            end = start + chunk_rows
            chunk = slice(start, end) if every_row else rows[start:end]
            z = self._rows(chunk)
            for output in outputs:
                weight, block = weights[chunk, output], self.sums[output]
                # z^T z through BLAS syrk, half the operations: on the rows themselves
                # under one weight (the squared loss), else on rows scaled by its root
                if weight.min() == weight.max():
                    block[:n_features, :n_features] += weight[0] * (z.T @ z)
                elif weight.min() >= 0:
                    root = z * np.sqrt(weight)[:, None]
                    block[:n_features, :n_features] += root.T @ root
                else:
                    block[:n_features, :n_features] += z.T @ (z * weight[:, None])
                if self.objective.fit_intercept:
                    column = z.T @ weight
                    block[:n_features, n_features] += column
                    block[n_features, :n_features] += column
                    block[n_features, n_features] += weight.sum()

    def update(self, loss, active):
        """Bring the sums of the ``active`` outputs to the state's iterate (of every output,
        once, for a ``quadratic`` loss: its curvature is the same at every iterate)."""
        if loss.quadratic:
            gram = self.objective.state.gram
            if self.curvature is None and gram is not None and not self.shift.any():
                # no sample weights (gram_serves): the first row's curvature is every row's
                first = self.objective.Y[:1]
                self.curvature = loss.hessian(first, np.zeros(first.shape))
                size = self.sums.shape[1]
                self.sums[...] = self.curvature[0][:, None, None] * gram[:size, :size]
            elif self.curvature is None:
                self.curvature = weighted_curvature(self.objective, loss)
                every_row = np.arange(len(self.curvature))
                self._add(range(len(self.sums)), every_row, self.curvature)
            return
        curvature = weighted_curvature(self.objective, loss)
        refresh = np.flatnonzero(active)
        if self.curvature is None:
            self.curvature = np.zeros_like(curvature)  # the sums start at zero
        else:
            change = curvature - self.curvature
            changed = change[:, refresh] != 0
            few = changed.sum(axis=0) <= REFRESH_SHARE * len(curvature)
            for column in np.flatnonzero(few):
                self._add([refresh[column]], np.flatnonzero(changed[:, column]), change)
            refresh = refresh[~few]
        if len(refresh):
            self.sums[refresh] = 0
            # only curved rows count: for the envelope of a kinked loss, those near a kink
            curved = np.flatnonzero((curvature[:, refresh] != 0).any(axis=1))
            self._add(refresh, curved, curvature)
        self.curvature[:, active] = curvature[:, active]

    def hessian_blocks(self, loss, active):
        """One ``(p + 1) x (p + 1)`` Hessian per output of the normalised objective at the
        state's iterate (``p x p`` without an intercept); zero for the outputs not
        ``active``."""
        self.update(loss, active)
        standardising = self.objective.state.preconditioner.standardising_map(
            self.objective.fit_intercept, self.shift
        )
        sums = standardising @ np.where(active[:, None, None], self.sums, 0.0) @ standardising.T
        inverse_scale = self.objective.state.preconditioner.inverse_scale
        return _normalised(self.objective, loss, sums, inverse_scale)


def hessian_sums(objective, loss):
    """The keeper of ``loss``'s Hessians on ``objective``: per-output sums
    (:class:`CurvatureSums`) for an element-scope loss, one block over all the parameters
    (:class:`CoupledHessian`) for a loss that couples its outputs."""
    return (CurvatureSums if loss.scope == "element" else CoupledHessian)(objective)
