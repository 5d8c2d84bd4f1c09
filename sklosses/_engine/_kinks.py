"""The pieces of a piecewise-linear loss, one output at a time: its gradient in one column,
the ends of its subdifferential at given raw predictions, and the first kink on a way from
one piece (for the exact finishes, :mod:`~sklosses._engine._active_set`,
:mod:`~sklosses._engine._dual_active_set` and :mod:`~sklosses._engine._kink_walk`)."""

import numpy as np


def in_column(method, targets, values, output):
    """``method(targets, raw)`` in column ``output``, for ``values`` of that column."""
    raw = np.repeat(values[:, None], targets.shape[1], axis=1)
    return method(targets, raw)[:, output]


def subgradient_range(base, targets, points, output):
    """``[low, high]``: the gradient of output ``output`` just below and just above
    ``points`` (one per sample), the ends of the subdifferential there."""
    shift = 1e-9 * (1 + np.abs(points))
    return [in_column(base.gradient, targets, points + sign * shift, output) for sign in (-1, 1)]


def first_kink(base, targets, output, start, end, slope):
    """The first kink of output ``output`` on the way from ``start``, on the piece of
    gradient ``slope``, to ``end`` (one per sample), by bisection on the gradient."""
    for _ in range(60):
        middle = 0.5 * (start + end)
        same = in_column(base.gradient, targets, middle, output) == slope
        start, end = np.where(same, middle, start), np.where(same, end, middle)
    return 0.5 * (start + end)
