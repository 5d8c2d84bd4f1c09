"""The full-batch phase on the columns a CSR matrix stores.

A wide CSR matrix (the hashing trick's 2**20 columns, a vocabulary of a large corpus)
often stores values in a small share of its columns. A column it never stores is
absent from every prediction: its coefficient only meets the penalty, which is least at
zero. The full-batch solvers' work per iteration grows with the parameters, not the
nonzeros, so they run on the stored columns alone (:func:`on_stored_columns`) and the
others are set to zero (:func:`write_back`).

The price is memory: the renumbered column indices are a copy of ``X.indices`` (4 bytes
per nonzero, a third of a float64 CSR matrix's size) for the duration of the phase. It is
made only while it stays within ``COPY_PER_COLUMN`` bytes per column of ``X`` (or below
``COPY_ALWAYS_BELOW``), so the phase's memory stays at the data plus ``O(n_features)``.
Beyond, the nonzeros outnumber the columns tenfold or more, and the solvers' work on the
unstored columns, ``O(n_features)`` per iteration, is small beside the products with ``X``.
"""

import numpy as np
import scipy.sparse as sp

from ._state import SGDState

COMPACT_BELOW = 0.9
"""Share of stored columns below which the phase runs on them alone: renumbering the column
indices costs a pass over the nonzeros and a copy of the indices, less than what the
unstored columns cost the solvers (20,000 x 2**20 rows storing 61% of the columns: a
default logistic fit 1.95 s with them, 1.62 s without)."""
COPY_PER_COLUMN = 40
"""Most bytes per column of ``X`` the renumbered indices may take: as much as the column
statistics the fit holds anyway (five float64 per column in the preconditioner), ten
nonzeros per column. Making the phase copy-free below it would cost time instead: on the
full columns 20,000 x 2**20 (50 nonzeros per row, 61% of the columns stored) took 1.95 s
against 1.62 s, and scattering the stored columns' parameters into a vector of all columns
for each product with ``X`` slowed the products 2-4x (2,000 x 1e6: 0.25 ms -> 1.2 ms)."""
COPY_ALWAYS_BELOW = 16_000_000
"""Renumbered indices of fewer bytes are made whatever the width: on narrow data they keep
the phase on few enough parameters for Newton's dense Hessians (at most 16 MB, as the rows
``_hessian`` keeps)."""


def stored_columns(X):
    """The sorted indices of the columns that CSR ``X`` stores a value in, or None when
    ``X`` is dense, stores values in ``COMPACT_BELOW`` of its columns or more, or has more
    nonzeros than its renumbered indices may take (``COPY_PER_COLUMN``)."""
    if not sp.issparse(X):
        return None
    copy_bytes = X.indices.itemsize * int(X.indptr[-1])
    if copy_bytes > max(COPY_PER_COLUMN * X.shape[1], COPY_ALWAYS_BELOW):
        return None
    stored = np.zeros(X.shape[1], dtype=bool)
    stored[X.indices[: X.indptr[-1]]] = True
    if stored.mean() >= COMPACT_BELOW:
        return None
    return np.flatnonzero(stored)


def on_stored_columns(X, state, columns):
    """``(X_stored, working)``: ``X`` on ``columns`` (a CSR matrix on ``X``'s values, its
    column indices renumbered) and a float64 state on them, starting from ``state``'s
    iterate."""
    nnz = X.indptr[-1]
    position = np.zeros(X.shape[1], dtype=X.indices.dtype)
    position[columns] = np.arange(len(columns))
    X_stored = sp.csr_matrix(
        (X.data[:nnz], position[X.indices[:nnz]], X.indptr), shape=(X.shape[0], len(columns))
    )
    working = SGDState(
        state.coef[columns].astype(np.float64),
        state.intercept.astype(np.float64),
        state.eta,
        state.preconditioner.restricted(columns),
        curvature=state.curvature,
    )
    return X_stored, working


def write_back(state, working, columns, penalty):
    """Copy ``working``'s iterate into ``state`` on ``columns``; the other columns become
    zero, their penalty's minimiser (without a penalty any value is a minimiser, and they
    keep theirs)."""
    if penalty.l1 or penalty.l2:
        state.coef[...] = 0
    state.coef[columns] = working.coef
    state.intercept[...] = working.intercept
