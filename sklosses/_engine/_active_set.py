"""The exact minimiser of a piecewise-linear loss, from its smoothed solution.

For a convex piecewise-linear loss (absolute, pinball, hinge,
epsilon-insensitive) with an L2 penalty, the minimiser is pinned down by which
samples sit exactly at a kink of the loss (the set ``P``) and on which linear
piece every other sample lies. Given that partition, the optimality
conditions are linear. In the preconditioned parameters ``v = (u, c)``, rows
``z_i`` (with a trailing 1 for the intercept) and weights ``s_i``::

    sum_{i in P} s_i gamma_i z_i + n l2 D v = -sum_{i not in P} s_i g_i z_i
    z_i . v = kappa_i                                   (i in P)

with ``g_i`` the slope of the piece of a free sample, ``kappa_i`` the kink of
a pinned one, ``gamma_i`` its subgradient and ``D`` the diagonal of the
penalty (zero for the intercept). The solution of a Moreau envelope of small
width tells the partition: a sample is pinned where the envelope's curvature is
``1 / width``. If the solved ``gamma_i`` lie in the subdifferential of their
kinks and every free sample stays on its piece, the candidate satisfies the
optimality conditions of the loss itself: it is the exact minimiser, and the
continuation can stop.
"""

from dataclasses import dataclass

import numpy as np

from ._hessian import CHUNK_ROWS
from ._kinks import first_kink, subgradient_range
from ._newton import solved

RETRY_ROUNDS = 1
"""Active-set rounds with samples pinned at their closest kinks: when those are the
minimiser's, its first candidate is it (more rounds cost a twentieth of a hinge fit)."""


def _dense_rows(objective, index):
    """Preconditioned dense rows ``index`` of ``X`` (a slice or indices), with a trailing 1
    for the intercept, and their sample weights."""
    rows = objective.state.preconditioner.standardised(objective.X[index])
    if objective.fit_intercept:
        rows = np.column_stack([rows, np.ones(len(rows))])
    weight = objective.sample_weight
    return rows, (np.ones(len(rows)) if weight is None else weight[index].astype(np.float64))


def _chunks(objective, output):
    """``(rows, targets, raw, weight, slice)`` per chunk of rows at the current iterate:
    preconditioned dense rows with a trailing 1 for the intercept, and the targets and
    raw predictions of every output (a loss may treat its columns differently)."""
    X, Y, state = objective.X, objective.Y, objective.state
    coef, intercept = state.preconditioner.coefficients(state.coef, state.intercept)
    for start in range(0, X.shape[0], CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        raw = X[part] @ coef.astype(np.float64) + intercept
        rows, weight = _dense_rows(objective, part)
        yield rows, Y[part].astype(np.float64), np.asarray(raw), weight, part


def _partition(objective, envelope, output):
    """The partition of output ``output`` read off the envelope's solution at the current
    iterate (see :class:`_Partition`)."""
    base, width = envelope.base, envelope.width
    slopes, on_piece = np.empty(objective.Y.shape[0]), np.empty(objective.Y.shape[0])
    raw_of_output = np.empty(objective.Y.shape[0])
    free_term = 0.0
    pinned = {key: [] for key in ("mask", "rows", "kinks", "offsets", "weights", "low", "high")}
    for rows, targets, raw, weight, part in _chunks(objective, output):
        closest_all = base.proximal(targets, raw, width)
        closest = closest_all[:, output]
        on_piece[part], raw_of_output[part] = closest, raw[:, output]
        at_kink = envelope.hessian(targets, raw)[:, output] > 0.5 / width
        slopes[part] = base.gradient(targets, closest_all)[:, output]
        free_term = free_term + rows[~at_kink].T @ (weight[~at_kink] * slopes[part][~at_kink])
        kink = closest[at_kink]
        low, high = subgradient_range(base, targets[at_kink], kink, output)
        for key, value in (
            ("mask", at_kink),
            ("rows", rows[at_kink]),
            ("kinks", kink),
            ("offsets", raw[at_kink, output] - kink),
            ("weights", weight[at_kink]),
            ("low", low),
            ("high", high),
        ):
            pinned[key].append(value)
    pinned = {key: np.concatenate(parts) for key, parts in pinned.items()}
    pinned["index"] = np.flatnonzero(pinned.pop("mask"))
    return _Partition(slopes, on_piece, free_term, pinned, raw_of_output)


@dataclass
class _Partition:
    """Which piece of the loss every sample is on: ``slopes`` of the pieces, a point
    ``on_piece`` of each, the free samples' term ``sum s_i g_i z_i``, and for the samples
    at a kink (``pinned``): their ``index``, ``rows``, ``kinks``, the ``offsets`` of their
    raw predictions from the kinks, ``weights`` and the ``low`` and ``high`` ends of the
    subdifferential; the ``raw`` predictions of every sample it was read at."""

    slopes: np.ndarray
    on_piece: np.ndarray
    free_term: np.ndarray
    pinned: dict
    raw: np.ndarray

    def copy(self):
        """An independent copy (:meth:`release` changes ``slopes`` in place, not others)."""
        return _Partition(self.slopes.copy(), self.on_piece, self.free_term, self.pinned, self.raw)

    def release(self, leaving, side):
        """Move the pinned samples ``leaving`` to their linear piece on ``side`` (``"low"``
        or ``"high"``): their slope joins the free term."""
        pinned = self.pinned
        self.slopes[pinned["index"][leaving]] = pinned[side][leaving]
        self.free_term = self.free_term + pinned["rows"][leaving].T @ (
            pinned["weights"][leaving] * pinned[side][leaving]
        )
        self.pinned = {key: value[~leaving] for key, value in pinned.items()}

    def keep_closest(self, count):
        """Release all but the ``count`` pinned samples closest to their kinks, each to
        the piece on the side of its raw prediction."""
        offsets = self.pinned["offsets"]
        far = np.zeros(len(offsets), dtype=bool)
        far[np.argsort(np.abs(offsets))[count:]] = True
        self.release(far & (offsets < 0), "low")
        self.release((far & (offsets >= 0))[~(far & (offsets < 0))], "high")

    def pin(self, objective, base, output, index, raw):
        """Pin the free samples ``index``, which crossed a kink on their way to ``raw``: at
        the first kink past their piece, found by bisection on the gradient."""
        targets = objective.Y[index].astype(np.float64)
        kink = first_kink(base, targets, output, self.on_piece[index], raw, self.slopes[index])
        self.pin_at(objective, base, output, index, kink, raw)

    def pin_closest(self, objective, base, output, count):
        """Pin the ``count`` free samples whose raw predictions are closest to a kink, at
        that kink; False when the loss declares no kinks (nothing to pin at)."""
        raw = self.raw
        free = np.ones(len(raw), dtype=bool)
        free[self.pinned["index"]] = False
        index = np.flatnonzero(free)
        kinks = base.kinks(objective.Y[index].astype(np.float64))[:, output, :]
        if not kinks.size:
            return False
        distance = np.abs(kinks - raw[index, None])
        nearest = distance.argmin(axis=1)
        chosen = np.argsort(distance[np.arange(len(index)), nearest])[:count]
        kink = kinks[chosen, nearest[chosen]]
        self.pin_at(objective, base, output, index[chosen], kink, raw[index[chosen]])
        return True

    def pin_at(self, objective, base, output, index, kink, raw):
        """Pin the free samples ``index`` at ``kink`` (their raw predictions ``raw``)."""
        targets = objective.Y[index].astype(np.float64)
        rows, weight = _dense_rows(objective, index)
        self.free_term = self.free_term - rows.T @ (weight * self.slopes[index])
        low, high = subgradient_range(base, targets, kink, output)
        added = {
            "index": index,
            "rows": rows,
            "kinks": kink,
            "offsets": raw - kink,
            "weights": weight,
            "low": low,
            "high": high,
        }
        self.pinned = {key: np.concatenate([self.pinned[key], added[key]]) for key in self.pinned}


def penalty_diagonal(objective, n_parameters):
    """The diagonal ``n l2 D`` of the penalty's Hessian in ``v`` (zero for the intercept)."""
    diagonal = np.zeros(n_parameters)
    inverse_scale = objective.state.preconditioner.inverse_scale
    diagonal[: len(inverse_scale)] = objective.Y.shape[0] * objective.penalty.l2 * inverse_scale**2
    return diagonal


def _solve_optimality_conditions(objective, free_term, pinned):
    """The parameters and subgradients solving the linear optimality conditions, or None
    when they are inconsistent."""
    n_parameters, n_pinned = len(free_term), len(pinned["kinks"])
    system = np.zeros((n_parameters + n_pinned, n_parameters + n_pinned))
    system[:n_parameters, :n_parameters] = np.diag(penalty_diagonal(objective, n_parameters))
    system[:n_parameters, n_parameters:] = (pinned["rows"] * pinned["weights"][:, None]).T
    system[n_parameters:, :n_parameters] = pinned["rows"]
    right = np.concatenate([-free_term, pinned["kinks"]])
    solution = solved(system, right)  # by LU: a kink walk solves at every step
    residual = np.abs(system @ solution - right)
    if not np.all(residual <= 1e-8 * (np.abs(right) + 1 + np.abs(right).max())):
        return None
    return solution[:n_parameters], solution[n_parameters:]


def exact_solution(objective, envelope, output, max_rounds=30, rtol=1e-9):
    """Load the exact minimiser of ``envelope.base`` for output ``output`` into the state
    and return True when the partition of the current envelope solution leads to one;
    else change nothing and return False. An L2 penalty or none.

    A primal active-set method (:func:`_active_set`) from the partition of the envelope's
    solution, and, when that has fewer samples at kinks than parameters (a vertex of a
    nearly unpenalised problem has as many) and does not lead to the minimiser, from
    that partition with the free samples closest to a kink pinned there up to as many
    (``RETRY_ROUNDS`` rounds): the narrow envelope of a late stage holds few samples in
    its bends.
    """
    state = objective.state
    saved = state.coef[:, output].copy(), state.intercept[output].copy()
    partition = _partition(objective, envelope, output)
    n_parameters, n_pinned = len(partition.free_term), len(partition.pinned["kinks"])
    if n_pinned > n_parameters + n_parameters // 2 + 2:
        # a wide envelope: far more samples in its bends than a vertex has (on the real
        # data sets of the tests, none with more than one per parameter led to the
        # minimiser; the margin is for ties)
        return False
    retry = partition.copy() if n_pinned < n_parameters else None
    if _active_set(objective, envelope.base, partition, output, max_rounds, rtol):
        return True
    state.coef[:, output], state.intercept[output] = saved
    if retry is not None:
        partition = retry
        pinned = partition.pin_closest(objective, envelope.base, output, n_parameters - n_pinned)
        if pinned and _active_set(objective, envelope.base, partition, output, RETRY_ROUNDS, rtol):
            return True
        state.coef[:, output], state.intercept[output] = saved
    return False


def _active_set(objective, base, partition, output, max_rounds, rtol):
    """Whether the active-set rounds from ``partition`` end at the exact minimiser, which
    is then in the state (else the state holds the last candidate).

    Each round solves the conditions of the partition; releases the pinned samples whose
    subgradient falls outside their kink's subdifferential to the piece on that side;
    once none does, checks the candidate, and pins the free samples that crossed a kink
    on the way to it. A minimiser generically has at most as many samples at kinks as
    parameters: of more, the closest to their kinks are kept.
    """
    state = objective.state
    n_parameters = len(partition.free_term)
    for _ in range(max_rounds):
        if len(partition.pinned["kinks"]) > n_parameters:
            partition.keep_closest(n_parameters)
        solved = _solve_optimality_conditions(objective, partition.free_term, partition.pinned)
        if solved is None:
            return False
        parameters, subgradient = solved
        pinned = partition.pinned
        margin = rtol * (1 + np.abs(pinned["high"] - pinned["low"]))
        below, above = subgradient < pinned["low"] - margin, subgradient > pinned["high"] + margin
        if below.any() or above.any():
            partition.release(below, "low")
            partition.release(above[~below], "high")
            continue
        state.coef[:, output] = parameters[: state.coef.shape[0]]
        if objective.fit_intercept:
            state.intercept[output] = parameters[-1]
        crossed, raw = _crossings(objective, base, partition, output)
        if crossed is None or len(crossed) > n_parameters:
            return False  # far from a vertex: the envelope's partition was not close
        if len(crossed) == 0:
            return True
        partition.pin(objective, base, output, crossed, raw)
    return False


def _crossings(objective, base, partition, output):
    """At the candidate: the free samples whose slope is no longer their piece's, and
    their raw predictions; ``(None, None)`` if a pinned sample is off its kink."""
    pinned = partition.pinned
    at_kink = np.zeros(objective.Y.shape[0], dtype=bool)
    at_kink[pinned["index"]] = True
    kink = np.zeros(objective.Y.shape[0])
    kink[pinned["index"]] = pinned["kinks"]
    crossed, crossed_raw = [], []
    for _, targets, raw_all, _, part in _chunks(objective, output):
        raw = raw_all[:, output]
        free = ~at_kink[part]
        if not np.allclose(raw[~free], kink[part][~free], rtol=1e-7, atol=1e-9):
            return None, None
        slope = base.gradient(targets, raw_all)[:, output]
        moved = free & (np.abs(slope - partition.slopes[part]) > 1e-12)
        crossed.append(np.flatnonzero(moved) + part.start)
        crossed_raw.append(raw[moved])
    return np.concatenate(crossed), np.concatenate(crossed_raw)
