"""The exact minimiser of a piecewise-linear loss, walked to from kink to kink.

With an L2 penalty, the objective of a convex piecewise-linear loss (absolute,
pinball, hinge, epsilon-insensitive) is a convex quadratic programme. In the
preconditioned parameters ``v = (u, c)``, rows ``z_i`` (with a trailing 1 for the
intercept) and weights ``s_i``, it is ``sum_i s_i phi_i(z_i . v) + v . n l2 D v / 2``
(``D`` the diagonal of the penalty, zero for the intercept). This is the primal
active-set method for it, which moves one kink at a time: a set ``E`` of samples is
held at kinks of the loss (``z_i . v = kappa_i``) and every other sample is on a
linear piece of slope ``g_i``. Each step

1. minimises the model of the objective on that partition subject to ``E``
   (:func:`~sklosses._engine._active_set._solve_optimality_conditions`; where the
   model is unbounded, for example with ``E`` empty and an unpenalised intercept,
   a descent ray in the null space of the penalty and ``E``), and
2. goes along the segment towards that minimiser to the minimum of the *true*
   objective on it: a convex piecewise quadratic in the step length, whose slope
   jumps where a free sample reaches a kink. Samples passed on the way move to the
   next piece; the sample at whose kink the minimum lies joins ``E``.

At the model's minimiser with no sample passed, the multipliers of ``E`` are its
subgradients: within their kinks' subdifferentials, the point satisfies the
optimality conditions of the loss itself; otherwise the sample furthest outside
is released to the piece on that side, which lowers the objective. Every step
lowers the objective or grows ``E``; the walk ends at the exact minimiser or, after
``max_steps`` steps, changes nothing (a loss that is not piecewise linear fails the
final check). Releasing one sample at a time is what the earlier active-set finish
(:mod:`~sklosses._engine._active_set`) does not do: it releases every violating
sample at once and jumps past many kinks.
"""

import numpy as np
from scipy.linalg import null_space

from ._active_set import (
    _dense_rows,
    _Partition,
    _solve_optimality_conditions,
    penalty_diagonal,
)
from ._kinks import in_column, subgradient_range

MAX_ENTRIES = 10_000
"""Largest ``n_samples * n_parameters`` the walk is tried on. Its steps grow with the
parameters and each passes over every sample, so its cost grows about with the square of
this product: on random data (pinball, epsilon-insensitive, hinge) it took a third of the
time of the smoothing continuation at a few thousand entries, about as long at 10,000,
and up to two and a half times as long at 30,000."""
STEPS_PER_PARAMETER = 10
"""The walk gives up after ``STEPS_PER_PARAMETER * n_parameters + 20`` steps (it took 3 to 8
per parameter on random and real data): ties of many samples at one kink can make it
cycle."""


def walk_to_minimiser(objective, base, output, max_steps, rtol=1e-9):
    """Load the exact minimiser of the piecewise-linear loss ``base`` for output
    ``output`` into the state, walking from the state's iterate; return whether it was
    reached and the steps taken (the state is unchanged when it was not).

    Parameters
    ----------
    objective : FlatObjective
        The data, penalty (an L2 part or none) and state.
    base : Loss
        An element-scope convex piecewise-linear loss that declares its ``kinks``.
    output : int
        The output column solved.
    max_steps : int
        Most steps of the walk.
    rtol : float, default=1e-9
        Relative margin of the subdifferentials in the final check.

    Returns
    -------
    reached : bool
    n_steps : int
    """
    state = objective.state
    n_parameters = objective.X.shape[1] + objective.fit_intercept
    if objective.X.shape[0] * n_parameters > MAX_ENTRIES or max_steps < 1:
        return False, 0
    max_steps = min(max_steps, STEPS_PER_PARAMETER * n_parameters + 20)
    rows, weights = _dense_rows(objective, slice(None))
    targets = objective.Y.astype(np.float64)
    kinks = np.sort(base.kinks(targets)[:, output, :], axis=1)
    if not kinks.size:
        return False, 0
    per_kink = [subgradient_range(base, targets, kink, output) for kink in kinks.T]
    sides = [np.stack([pair[side] for pair in per_kink], axis=1) for side in (0, 1)]
    penalty = penalty_diagonal(objective, rows.shape[1])
    v = np.concatenate([state.coef[:, output], state.intercept[[output]]])[: rows.shape[1]]
    raw = rows @ v
    slopes = in_column(base.gradient, targets, raw, output)
    empty = {key: np.empty(0) for key in ("kinks", "offsets", "weights", "low", "high")}
    pinned = {**empty, "index": np.empty(0, dtype=int), "rows": np.empty((0, rows.shape[1]))}
    partition = _Partition(slopes, raw, rows.T @ (weights * slopes), pinned, raw)
    walk = _Walk(objective, base, output, rows, weights, kinks, sides, penalty, partition, rtol)
    start = v
    for step in range(1, max_steps + 1):
        status = walk.step(v, raw)
        if status is None:
            break
        v, raw = status
        if walk.done:
            if walk.optimal(v, targets):
                # a start as low is a minimiser too (the perceptron's zero model), and exact
                if walk.value(v, targets) < walk.value(start, targets):
                    _load(state, output, v)
                return True, step
            break
    return False, step


def _load(state, output, v):
    """Set the state's parameters of output ``output`` to ``v`` (``u``, then ``c``)."""
    state.coef[:, output] = v[: state.coef.shape[0]]
    if len(v) > state.coef.shape[0]:
        state.intercept[output] = v[-1]


class _Walk:
    """The fixed data of one walk and its partition (:class:`_Partition`, changed in
    place); ``done`` once a step finds the optimality conditions met."""

    def __init__(
        self, objective, base, output, rows, weights, kinks, sides, penalty, partition, rtol
    ):
        self.objective, self.base, self.output, self.rtol = objective, base, output, rtol
        self.rows, self.weights, self.kinks = rows, weights, kinks
        self.low, self.high = sides
        self.penalty, self.partition, self.done = penalty, partition, False
        self.subgradient = np.empty(0)  # the multipliers of E (none at the start)

    def value(self, v, targets):
        """The objective of this output at ``v``, in the walk's units."""
        losses = in_column(self.base.loss, targets, self.rows @ v, self.output)
        return float(self.weights @ losses + 0.5 * v @ (self.penalty * v))

    def step(self, v, raw):
        """One step from ``v`` (raw predictions ``raw``): the new ``(v, raw)``, or None
        when the walk cannot go on (an unbounded or inconsistent model)."""
        partition = self.partition
        pinned = partition.pinned
        solved = _solve_optimality_conditions(self.objective, partition.free_term, pinned)
        if solved is None:
            direction, bounded = self._descent_ray(v), False
            if direction is None:
                return None
        else:
            target, subgradient = solved
            direction, bounded = target - v, True
        change = self.rows @ direction
        free = np.ones(len(raw), dtype=bool)
        free[pinned["index"]] = False
        # a sample the step moves by less than this stays where it is (ties with E)
        still = 1e-12 * (1 + np.abs(raw).max())
        if bounded and np.abs(change[free]).max(initial=0.0) <= still:
            return self._release(target, subgradient)
        slope = change[free] @ (self.weights[free] * partition.slopes[free])
        slope += direction @ (self.penalty * v)
        if bounded and slope >= 0:
            # the model is flat along the step (its minimiser is not unique): here is one
            return self._release(v, subgradient)
        moving = free & (np.abs(change) > still)
        found = self._line_search(
            v, direction, change, raw, slope, moving, 1 if bounded else np.inf
        )
        if found is None:
            return None
        length, (index, kink), stop = found
        raw = raw + length * change
        self._move_to_pieces(index, kink, change[index] > 0)
        if stop is not None:
            partition.pin_at(
                self.objective,
                self.base,
                self.output,
                np.array([stop[0]]),
                np.array([self.kinks[stop]]),
                raw[[stop[0]]],
            )
        return v + length * direction, raw

    def optimal(self, v, targets):
        """Whether ``v``, where the walk ended, satisfies the optimality conditions of
        the loss: the samples of ``E`` at their kinks, every other sample's slope in the
        subdifferential at its raw prediction (at a tie with a kink, either side's), and
        the gradient of the objective with these subgradients zero."""
        pinned, slopes = self.partition.pinned, self.partition.slopes.copy()
        raw = self.rows @ v
        if not np.allclose(raw[pinned["index"]], pinned["kinks"], rtol=1e-7, atol=1e-9):
            return False
        low, high = subgradient_range(self.base, targets, raw, self.output)
        margin = self.rtol * (1 + np.abs(high - low))
        slopes[pinned["index"]] = self.subgradient
        if np.any((slopes < low - margin) | (slopes > high + margin)):
            return False
        terms = self.rows * (self.weights * slopes)[:, None]
        gradient = terms.sum(axis=0) + self.penalty * v
        return np.abs(gradient).max() <= 1e-8 * (1 + np.abs(terms).sum(axis=0).max())

    def _release(self, target, subgradient):
        """At the model's minimiser ``target``: done if every multiplier lies in its
        subdifferential, else the sample furthest outside leaves ``E``."""
        pinned = self.partition.pinned
        low, high = pinned["low"], pinned["high"]
        excess = np.maximum(low - subgradient, subgradient - high) / (1 + np.abs(high - low))
        if not len(excess) or excess.max() <= self.rtol:
            self.done, self.subgradient = True, subgradient
            return target, self.rows @ target
        leaving = np.zeros(len(excess), dtype=bool)
        leaving[excess.argmax()] = True
        self.partition.release(
            leaving, "low" if subgradient[leaving][0] < low[leaving][0] else "high"
        )
        return target, self.rows @ target

    def _descent_ray(self, v):
        """Steepest descent of the model within the null space of the penalty and of the
        rows of ``E`` (where the model is unbounded), or None if there is none."""
        pinned = self.partition.pinned
        constraints = np.vstack([np.diag(self.penalty), pinned["rows"]])
        basis = null_space(constraints)
        gradient = self.partition.free_term + self.penalty * v
        direction = -basis @ (basis.T @ gradient)
        if not basis.size or np.abs(direction).max() <= 1e-12 * (1 + np.abs(gradient).max()):
            return None
        return direction

    def _line_search(self, v, direction, change, raw, slope, moving, limit):
        """The minimum of the objective along ``v + t direction`` for ``t <= limit``,
        where the raw predictions change by ``t change`` (the ``moving`` samples move)
        and the objective's slope is ``slope`` at ``t = 0``: ``(t, passed, stop)``, the
        ``(samples, kinks)`` passed before it and the ``(sample, kink)`` it lies at (or
        None), or None without a descent or a minimum."""
        if slope >= 0:
            return None
        curvature = direction @ (self.penalty * direction)
        gap = self.kinks - raw[:, None]
        # a sample within rounding of a kink is at it: it leaves its piece at once if it
        # moves to the other side (ties are common: integer targets, repeated rows)
        gap[np.abs(gap) <= 1e-12 * (1 + np.abs(raw).max())] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            length = gap / change[:, None]
        ahead = moving[:, None] & (length >= 0)
        up = change[:, None] > 0
        # the first kink ahead of a sample leaves the piece it is on now
        first = ahead & (length == np.where(ahead, length, np.inf).min(axis=1, keepdims=True))
        before = np.where(up, self.low, self.high)
        before = np.where(first, self.partition.slopes[:, None], before)
        jump = (
            self.weights[:, None] * (np.where(up, self.high, self.low) - before) * change[:, None]
        )
        index, kink = np.nonzero(ahead & (length < limit))
        order = np.argsort(length[index, kink], kind="stable")
        index, kink = index[order], kink[order]
        at, jump = length[index, kink], jump[index, kink]
        # the slope along the line just before each kink it passes, and just after
        below = slope + curvature * at + np.cumsum(jump) - jump
        rising = np.flatnonzero(below + jump >= 0)
        last = rising[0] if len(rising) else len(at)
        passed = index[:last], kink[:last]
        if last < len(at) and (below[last] < 0 or curvature <= 0):
            return at[last], passed, (index[last], kink[last])
        # the minimum lies inside the piece that ends at kink ``last``, or at ``limit``
        if curvature <= 0:
            return (limit, passed, None) if np.isfinite(limit) else None
        return min(-(slope + jump[:last].sum()) / curvature, limit), passed, None

    def _move_to_pieces(self, index, kink, up):
        """The samples ``index`` have passed their kinks ``kink`` (in that order) upwards
        where ``up`` and downwards elsewhere: their slopes, and the free samples' term,
        become those of the pieces beyond."""
        partition = self.partition
        changed = np.unique(index)
        old = partition.slopes[changed]
        partition.slopes[index] = np.where(up, self.high[index, kink], self.low[index, kink])
        partition.free_term = partition.free_term + self.rows[changed].T @ (
            self.weights[changed] * (partition.slopes[changed] - old)
        )
