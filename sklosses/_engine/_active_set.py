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

from ._newton import CHUNK_ROWS


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


def _in_column(method, targets, values, output):
    """``method(targets, raw)`` in column ``output``, for ``values`` of that column."""
    raw = np.repeat(values[:, None], targets.shape[1], axis=1)
    return method(targets, raw)[:, output]


def _partition(objective, envelope, output):
    """The partition of output ``output`` read off the envelope's solution at the current
    iterate (see :class:`_Partition`)."""
    base, width = envelope.base, envelope.width
    slopes, on_piece = np.empty(objective.Y.shape[0]), np.empty(objective.Y.shape[0])
    free_term = 0.0
    pinned = {
        "mask": [],
        "rows": [],
        "kinks": [],
        "offsets": [],
        "weights": [],
        "low": [],
        "high": [],
    }
    for rows, targets, raw, weight, part in _chunks(objective, output):
        closest_all = base.proximal(targets, raw, width)
        closest = closest_all[:, output]
        on_piece[part] = closest
        at_kink = envelope.hessian(targets, raw)[:, output] > 0.5 / width
        slopes[part] = base.gradient(targets, closest_all)[:, output]
        free_term = free_term + rows[~at_kink].T @ (weight[~at_kink] * slopes[part][~at_kink])
        kink = closest[at_kink]
        shift = 1e-9 * (1 + np.abs(kink))
        for key, value in (
            ("mask", at_kink),
            ("rows", rows[at_kink]),
            ("kinks", kink),
            ("offsets", raw[at_kink, output] - kink),
            ("weights", weight[at_kink]),
            ("low", _in_column(base.gradient, targets[at_kink], kink - shift, output)),
            ("high", _in_column(base.gradient, targets[at_kink], kink + shift, output)),
        ):
            pinned[key].append(value)
    pinned = {key: np.concatenate(parts) for key, parts in pinned.items()}
    pinned["index"] = np.flatnonzero(pinned.pop("mask"))
    return _Partition(slopes, on_piece, free_term, pinned)


@dataclass
class _Partition:
    """Which piece of the loss every sample is on: ``slopes`` of the pieces, a point
    ``on_piece`` of each, the free samples' term ``sum s_i g_i z_i``, and for the samples
    at a kink (``pinned``): their ``index``, ``rows``, ``kinks``, the ``offsets`` of their
    raw predictions from the kinks, ``weights`` and the ``low`` and ``high`` ends of the
    subdifferential."""

    slopes: np.ndarray
    on_piece: np.ndarray
    free_term: np.ndarray
    pinned: dict

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
        start, end = self.on_piece[index], raw
        slope = self.slopes[index]
        for _ in range(60):
            middle = 0.5 * (start + end)
            same = _in_column(base.gradient, targets, middle, output) == slope
            start, end = np.where(same, middle, start), np.where(same, end, middle)
        kink = 0.5 * (start + end)
        rows, weight = _dense_rows(objective, index)
        self.free_term = self.free_term - rows.T @ (weight * slope)
        shift = 1e-9 * (1 + np.abs(kink))
        added = {
            "index": index,
            "rows": rows,
            "kinks": kink,
            "offsets": raw - kink,
            "weights": weight,
            "low": _in_column(base.gradient, targets, kink - shift, output),
            "high": _in_column(base.gradient, targets, kink + shift, output),
        }
        self.pinned = {key: np.concatenate([self.pinned[key], added[key]]) for key in self.pinned}


def _solve_optimality_conditions(objective, free_term, pinned):
    """The parameters and subgradients solving the linear optimality conditions, or None
    when they are inconsistent."""
    n_samples = objective.Y.shape[0]
    n_parameters, n_pinned = len(free_term), len(pinned["kinks"])
    system = np.zeros((n_parameters + n_pinned, n_parameters + n_pinned))
    penalty = n_samples * objective.penalty.l2 * objective.state.preconditioner.inverse_scale**2
    system[np.arange(len(penalty)), np.arange(len(penalty))] = penalty
    system[:n_parameters, n_parameters:] = (pinned["rows"] * pinned["weights"][:, None]).T
    system[n_parameters:, :n_parameters] = pinned["rows"]
    right = np.concatenate([-free_term, pinned["kinks"]])
    solution = np.linalg.lstsq(system, right, rcond=None)[0]
    if not np.allclose(system @ solution, right, rtol=1e-8, atol=1e-8 * (1 + np.abs(right).max())):
        return None
    return solution[:n_parameters], solution[n_parameters:]


def exact_solution(objective, envelope, output, max_rounds=30, rtol=1e-9):
    """Load the exact minimiser of ``envelope.base`` for output ``output`` into the state
    and return True when the partition of the current envelope solution leads to one;
    else change nothing and return False. An L2 penalty or none.

    A primal active-set method: solve the conditions of the partition; release the
    pinned samples whose subgradient falls outside their kink's subdifferential to the
    piece on that side; once none does, check the candidate, and pin the free samples
    that crossed a kink on the way to it. A minimiser generically has at most as many
    samples at kinks as parameters: of more, the closest to their kinks are kept, and a
    partition with more than twice as many (plus ten) is not tried.
    """
    state = objective.state
    saved = state.coef[:, output].copy(), state.intercept[output].copy()
    partition = _partition(objective, envelope, output)
    n_parameters = len(partition.free_term)
    if len(partition.pinned["kinks"]) > 2 * n_parameters + 10:
        return False  # a wide envelope: far more samples in its bends than a vertex has
    for _ in range(max_rounds):
        if len(partition.pinned["kinks"]) > n_parameters:
            partition.keep_closest(n_parameters)
        solved = _solve_optimality_conditions(objective, partition.free_term, partition.pinned)
        if solved is None:
            break
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
        crossed, raw = _crossings(objective, envelope.base, partition, output)
        if crossed is None:
            break
        if len(crossed) == 0:
            return True
        if len(crossed) > n_parameters:
            break  # far from a vertex: the envelope's partition was not close
        partition.pin(objective, envelope.base, output, crossed, raw)
    state.coef[:, output], state.intercept[output] = saved
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
